"""A big generation in a real browser: Save answers at once with a progress bar that
follows the worker, on a laptop and on a phone, and the dialog closes when it is done."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from followups import background
from followups.models import FollowUp, GenerationJob, JobStatus

from .helpers import dialog, open_dialog, settle


@pytest.mark.parametrize(
    ("size", "name"),
    [({"width": 1366, "height": 768}, "laptop"), ({"width": 390, "height": 844}, "phone")],
)
def test_a_big_generation_shows_its_progress_until_done(
    crm_world, logged_in_page, live_url, screenshot, settings, size, name
):
    settings.BACKGROUND_GENERATION_ABOVE = 2  # the world's selection has 5 members
    w = crm_world
    page: Page = logged_in_page(w.salesperson)
    page.set_viewport_size(size)
    box = open_dialog(page, live_url, w.selection)
    box.get_by_label("Description", exact=True).fill("Vårkampanje")
    expect(box.locator("#generate-preview")).to_contain_text("5 follow-ups will be created")
    box.get_by_role("button", name="Save").click()

    bar = box.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuemax", "5")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(box).to_contain_text("Waiting for a worker to start")
    assert FollowUp.objects.count() == 0

    # The worker has written 2 of 5: the bar follows within a second or so.
    job = GenerationJob.objects.get()
    now = timezone.now()
    GenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, written=2, started_at=now, heartbeat=now
    )
    expect(bar).to_have_attribute("aria-valuenow", "2")
    expect(box).to_contain_text("2 of 5 written (40 %)")
    cancel = box.get_by_role("button", name="Cancel generation")
    expect(cancel).to_be_visible()
    cancel.focus()
    poll = reverse("followups:job_status", args=[job.pk])
    for _ in range(2):  # two polls replace the progress: the focus stays
        with page.expect_response(lambda r: r.url.endswith(poll)):
            pass
        settle(page)
        expect(cancel).to_be_focused()
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, "the page scrolls sideways"
    screenshot(page, f"generation-progress-{name}")

    # The worker finishes: the dialog closes and the page says what was created.
    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    background.job_run(job.pk)
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Created 5 follow-ups")
    assert FollowUp.objects.count() == 5

"""A time of day on the new and edit forms in the browser: Start time and Duration show
only for a type whose kind has a time, are saved in the associate's time zone and shown
as "10:30-11:15" (with an en dash); on a laptop and a phone (screenshots into a temporary folder)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from demo.factories import FollowUpTypeFactory
from followups.models import FollowUp, FollowUpType

pytestmark = pytest.mark.e2e

SIZES = [{"width": 1366, "height": 768}, {"width": 390, "height": 844}]


@pytest.mark.parametrize("size", SIZES, ids=["laptop", "phone"])
def test_a_meeting_gets_a_time_and_a_task_does_not(
    salesperson, logged_in_page, live_url, size, tmp_path: Path, screenshot
):
    FollowUpTypeFactory(name="Kundemøte", kind=FollowUpType.Kind.APPOINTMENT, rank=1)
    FollowUpTypeFactory(name="Oppgave", kind=FollowUpType.Kind.TASK, rank=2)
    salesperson.time_zone = "America/New_York"
    salesperson.save(update_fields=["time_zone"])
    page: Page = logged_in_page(salesperson)
    page.set_viewport_size(size)
    name = f"timed-form-{size['width']}"

    page.goto(f"{live_url}/followups/new/")
    start_time, duration = page.get_by_label("Start time"), page.get_by_label("Duration")
    expect(start_time).to_be_visible()  # the first type, a meeting, has a time
    page.get_by_label("Type").select_option(label="Oppgave")
    expect(start_time).to_be_hidden()
    expect(duration).to_be_hidden()
    page.get_by_label("Type").select_option(label="Kundemøte")
    start_time.fill("10:30")
    duration.fill("0:45")
    page.get_by_label("Start", exact=True).fill("01.12.2026")
    page.get_by_label("Description").fill("Møte om avtalen")
    page.screenshot(path=str(tmp_path / f"{name}-new.png"), full_page=True)
    screenshot(page, f"{name}-new")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Created the follow-up.")).to_be_visible()

    followup = FollowUp.objects.get()
    assert followup.start_at == datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    assert followup.start_at.astimezone(zoneinfo.ZoneInfo("America/New_York")).hour == 10
    assert followup.duration == timedelta(minutes=45)
    expect(page.get_by_label("Start time")).to_have_value("10:30")
    expect(page.get_by_label("Duration")).to_have_value("0:45")
    page.get_by_label("Start time").fill("25:99")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_start_time_error")).to_contain_text("Enter a time of day")
    page.screenshot(path=str(tmp_path / f"{name}-edit-error.png"), full_page=True)
    screenshot(page, f"{name}-edit-error")

    # A task: the hidden fields are not sent, so the time typed before goes.
    page.get_by_label("Type").select_option(label="Oppgave")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the follow-up.")).to_be_visible()
    followup.refresh_from_db()
    assert (followup.start_at, followup.duration) == (None, None)
    print(tmp_path)

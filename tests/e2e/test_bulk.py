"""Changing many follow-ups at once in the browser: tick rows on the activity list, move
them a week on, check the counts, change them, and undo from the message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from demo.factories import AssociateFactory, FollowUpFactory
from followups.models import BulkChange, FollowUp

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", [{"width": 1366, "height": 768}, {"width": 390, "height": 844}])
def test_tick_move_a_week_on_and_undo(salesperson, logged_in_page, live_url, size, tmp_path):
    today = timezone.localdate()
    rows = [
        FollowUpFactory(
            owner=salesperson, start_date=today + timedelta(days=d), description=f"Ring {d}"
        )
        for d in range(-3, 3)
    ]
    # Completed, so not on the overdue list: not changed.
    done = FollowUpFactory(owner=salesperson, created_by=AssociateFactory(), completed=True)
    page: Page = logged_in_page(salesperson)
    page.set_viewport_size(size)
    page.goto(f"{live_url}/activities/?show=overdue")

    table = page.locator("table.followups tbody tr")
    expect(table).to_have_count(3)
    page.get_by_label("Select every follow-up on this page").check()
    page.get_by_label("Bulk change").select_option("move")
    page.get_by_role("button", name="The ticked ones…").click()

    box = page.locator("#bulk-dialog")
    expect(box).to_be_visible()
    expect(box.get_by_role("heading", name="Move the start")).to_be_visible()
    expect(box.locator(".errorlist")).to_have_count(0)
    box.get_by_label("or by days").fill("+7")
    box.get_by_role("button", name="Check").click()
    expect(box.locator(".preview")).to_contain_text("3 follow-ups will be changed.")
    page.screenshot(path=str(tmp_path / f"bulk-{size['width']}.png"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box.get_by_role("button", name="Change 3 follow-ups").click()

    expect(page.locator("#messages")).to_contain_text("Moved the start by +7 days: 3 follow-ups.")
    starts = dict(FollowUp.objects.values_list("pk", "start_date"))
    for row in rows:
        moved = 7 if row.start_date < today else 0
        assert starts[row.pk] == row.start_date + timedelta(days=moved)
    assert starts[done.pk] == done.start_date

    page.locator("#messages").get_by_role("link", name="Undo…").click()
    expect(page.get_by_role("heading", name="Undo this change?")).to_be_visible()
    page.get_by_role("button", name="Undo", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Put back 3 follow-ups as they were.")
    assert dict(FollowUp.objects.values_list("pk", "start_date")) == {
        r.pk: r.start_date for r in [*rows, done]
    }
    assert BulkChange.objects.get().restored_count == 3


def test_a_completed_tick_keeps_the_select_column(salesperson, logged_in_page, live_url):
    FollowUpFactory.create_batch(2, owner=salesperson)
    page: Page = logged_in_page(salesperson)
    page.goto(f"{live_url}/activities/")

    first = page.locator("table.followups tbody tr").first
    first.locator("button.tick").click()
    expect(first.locator("button.tick")).to_have_attribute("aria-checked", "true")
    expect(
        page.locator("table.followups tbody tr").first.locator("input[name=ids]")
    ).to_be_visible()

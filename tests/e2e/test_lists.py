"""Working in a list in the browser: sort the history by a heading, narrow it with the
filter bar, tick rows (the focus and the ticks survive a Completed tick) and change them
in bulk; the same on a company's card with "all that match"; on a laptop and a phone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from demo.factories import CompanyFactory, FollowUpFactory, FollowUpTypeFactory, PriorityFactory
from followups.models import FollowUp

pytestmark = pytest.mark.e2e

SIZES = [{"width": 1366, "height": 768}, {"width": 390, "height": 844}]


def shot(page: Page, tmp_path: Path, screenshot, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    screenshot(page, name)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name


def starts(page: Page) -> list[str]:
    return page.locator("table.followups tbody tr td.date").all_inner_texts()


@pytest.mark.parametrize("size", SIZES)
def test_sort_filter_and_change_the_history(
    salesperson, logged_in_page, live_url, size, tmp_path, screenshot
):
    today = timezone.localdate()
    call, visit = (
        FollowUpTypeFactory(name="Call", rank=1),
        FollowUpTypeFactory(name="Visit", rank=2),
    )
    urgent = PriorityFactory(name="Urgent", rank=1)
    company = CompanyFactory(name="Aker Brygge AS")
    calls = [
        FollowUpFactory(
            owner=salesperson,
            type=call,
            company=company,
            start_date=today + timedelta(days=d),
            description=f"Ring {d}",
        )
        for d in (1, 2, 3)
    ]
    FollowUpFactory(
        owner=salesperson, type=visit, start_date=today + timedelta(days=9), description="Besøk"
    )
    FollowUpFactory(
        owner=salesperson, type=call, start_date=today - timedelta(days=30), completed=True
    )
    page: Page = logged_in_page(salesperson)
    page.set_viewport_size(size)
    page.goto(f"{live_url}/activities/history/")
    expect(page.locator("#list-total")).to_have_text("5 follow-ups")

    # Sort by Type with its heading; Visit (rank 2) last; aria-sort says so.
    page.get_by_role("link", name="Type", exact=True).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Type")
    expect(page.locator("table.followups tbody tr").last).to_contain_text("Besøk")
    assert "sort=type" in page.url

    # Narrow it to open calls: the filter bar, a GET form.
    page.get_by_label("Type", exact=True).select_option(label="Call")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.locator("#list-total")).to_have_text("4 follow-ups")
    assert "sort=type" in page.url and f"type={call.pk}" in page.url
    shot(page, tmp_path, screenshot, f"history-sorted-filtered-{size['width']}")

    # Tick two rows; complete one with the keyboard: focus and ticks stay.
    first = page.locator(f"#followup-{calls[0].pk}")
    first.locator("input[name=ids]").check()
    page.locator(f"#followup-{calls[1].pk} input[name=ids]").check()
    tick = first.locator("button.tick")
    tick.focus()
    page.keyboard.press("Space")
    expect(page.locator(f"#tick-{calls[0].pk}")).to_have_attribute("aria-checked", "true")
    expect(page.locator(f"#tick-{calls[0].pk}")).to_be_focused()
    expect(page.locator(f"#select-{calls[0].pk}")).to_be_checked()
    # The select tick keeps the focus when its row is swapped too.
    page.locator(f"#select-{calls[1].pk}").focus()
    page.keyboard.press("Space")
    expect(page.locator(f"#select-{calls[1].pk}")).not_to_be_checked()
    page.keyboard.press("Space")
    expect(page.locator(f"#select-{calls[1].pk}")).to_be_checked()
    expect(page.locator(f"#select-{calls[1].pk}")).to_be_focused()

    # Change the priority of the two ticked ones.
    page.get_by_label("Bulk change").select_option("priority")
    page.get_by_role("button", name="The ticked ones…").click()
    box = page.locator("#bulk-dialog")
    box.get_by_label("Priority").select_option(label="Urgent")
    box.get_by_role("button", name="Check").click()
    expect(box.locator(".preview")).to_contain_text("1 follow-up will be changed.")
    expect(box.locator(".preview")).to_contain_text("1 skipped")
    shot(page, tmp_path, screenshot, f"history-bulk-{size['width']}")
    box.get_by_role("button", name="Change 1 follow-up").click()
    expect(page.locator("#messages")).to_contain_text("Set the priority to Urgent: 1 follow-up.")
    # Back on the same list: sorted and filtered as it was.
    assert "sort=type" in page.url and f"type={call.pk}" in page.url
    assert FollowUp.objects.get(pk=calls[1].pk).priority_id == urgent.pk
    assert FollowUp.objects.filter(priority=urgent).count() == 1


@pytest.mark.parametrize("size", SIZES)
def test_all_that_match_on_a_company_card(
    salesperson, colleague, logged_in_page, live_url, size, tmp_path, screenshot
):
    today = timezone.localdate()
    call, visit = FollowUpTypeFactory(name="Call"), FollowUpTypeFactory(name="Visit")
    company = CompanyFactory(name="Fjord Fisk AS")
    mine = [
        FollowUpFactory(owner=salesperson, company=company, type=call, start_date=today)
        for _ in range(3)
    ]
    theirs = FollowUpFactory(owner=colleague, company=company, type=call, start_date=today)
    other = FollowUpFactory(owner=salesperson, company=company, type=visit, start_date=today)
    page: Page = logged_in_page(salesperson)
    page.set_viewport_size(size)
    page.goto(f"{live_url}/crm/companies/{company.pk}/")
    expect(page.locator("#list-total")).to_have_text("5 follow-ups")

    page.get_by_label("Type", exact=True).select_option(label="Call")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.locator("#list-total")).to_have_text("4 follow-ups")
    page.get_by_role("link", name="Company", exact=True).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Company")
    shot(page, tmp_path, screenshot, f"card-filtered-{size['width']}")

    page.get_by_label("Bulk change").select_option("complete")
    page.get_by_role("button", name="All 4 that match…").click()
    box = page.locator("#bulk-dialog")
    expect(box.locator(".preview")).to_contain_text("3 follow-ups will be changed.")
    expect(box.locator(".preview")).to_contain_text("1 skipped: not yours to change.")
    shot(page, tmp_path, screenshot, f"card-bulk-{size['width']}")
    box.get_by_role("button", name="Change 3 follow-ups").click()
    expect(page.locator("#messages")).to_contain_text("3 follow-ups")
    assert set(FollowUp.objects.filter(completed=True).values_list("pk", flat=True)) == {
        f.pk for f in mine
    }
    assert not FollowUp.objects.get(pk=theirs.pk).completed
    assert not FollowUp.objects.get(pk=other.pk).completed

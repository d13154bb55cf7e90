"""Thousands of ticked members in a real browser: Show all, select all, Task, "selected
members only", Create follow-ups, Save. The ticked ids travel as one field of ranges.

On a page of 2,000 rows, a web-first assertion that has to retry (expect(…) before the
element is there) makes Playwright walk the whole page's accessibility tree again and
again, which holds up the page's own scripts for many seconds. So this test waits with
`wait_for` (a plain selector) until what it looks for is there, then asserts once.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, expect

from crm.models import Company, Person
from demo.factories import SelectionFactory
from followups.models import FollowUp, Generation
from selections.models import SelectionMember

from .helpers import dialog, open_task_menu, preview

MEMBERS = 2000


def make_members(selection, n: int) -> None:
    """n members, made in one go: companies, and persons at every other company."""
    companies = Company.objects.bulk_create(
        Company(name=f"Firma {i:04} AS", city="Oslo") for i in range(n)
    )
    persons = Person.objects.bulk_create(
        Person(first_name="Kontakt", last_name=f"{i:04}", company=companies[i])
        for i in range(0, n, 2)
    )
    by_company = {p.company_id: p for p in persons}
    SelectionMember.objects.bulk_create(
        SelectionMember(selection=selection, company=c, person=by_company.get(c.pk))
        for c in companies
    )


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_salesperson_creates_followups_for_2000_ticked_members(
    salesperson, logged_in_page, live_url, tmp_path, width, height
):
    selection = SelectionFactory(name="Messe 2026", owner=salesperson)
    make_members(selection, MEMBERS)
    page: Page = logged_in_page(salesperson)
    page.set_viewport_size({"width": width, "height": height})

    # Show all, then select all: every member of the selection is ticked.
    page.goto(f"{live_url}/selections/{selection.pk}/")
    expect(page.get_by_text("2,000 members")).to_be_visible()
    page.get_by_role("link", name="Show all").click()
    page.wait_for_url("**/?all=1")
    page.locator("a[href='?page=1']").wait_for()  # "Show pages of 100": the page is whole
    ticks = page.locator("input[name=members][form=task-form]")
    assert ticks.count() == MEMBERS
    page.locator("input[data-select-all]").check()
    assert page.locator("input[name=members][form=task-form]:checked").count() == MEMBERS

    # Task, Create follow-ups for the ticked members: one short POST opens the dialog.
    menu = open_task_menu(page)
    page.screenshot(path=str(tmp_path / f"many-selected-{width}-menu.png"))
    with page.expect_request(lambda r: r.url.endswith("/followups/new/")) as opened:
        menu.get_by_role(
            "button", name="Create follow-ups for the 2,000 ticked members", exact=True
        ).click()
    request = opened.value
    request.response()
    assert request.method == "POST"
    assert "?" not in request.url
    sent = parse_qs(request.post_data)
    assert sent["selected_only"] == ["on"]
    assert len(sent["members"]) == 1 and len(request.post_data) < 300, request.post_data

    box = dialog(page)
    box.wait_for()
    expect(box).to_be_visible()
    expect(box).to_contain_text("For the 2,000 ticked members of “Messe 2026”")
    preview(box).locator(".preview-total").wait_for()
    expect(preview(box)).to_contain_text("2,000 follow-ups will be created")
    box.get_by_label("Description", exact=True).fill("Takk for besøket på standen")
    page.screenshot(path=str(tmp_path / f"many-selected-{width}-dialog.png"))

    # Save: the dialog closes, and the message says how many were created.
    with page.expect_request(lambda r: r.url.endswith("/followups/")) as saved:
        box.get_by_role("button", name="Save").click()
    assert len(saved.value.post_data) < 1000
    saved.value.response()
    dialog(page).wait_for(state="detached")
    page.locator("#messages .message-success").wait_for()
    expect(page.locator("#messages")).to_contain_text(
        "Created 2,000 follow-ups in your activity list."
    )
    page.screenshot(path=str(tmp_path / f"many-selected-{width}-saved.png"))
    generation = Generation.objects.get()
    assert (generation.selected_only, generation.selected_count) == (True, MEMBERS)
    assert FollowUp.objects.filter(generation=generation).count() == MEMBERS
    print(f"screenshots: {tmp_path}")

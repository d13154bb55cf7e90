"""Smoke test of the selection page in a real browser: list, detail, add and remove members."""

from __future__ import annotations

from playwright.sync_api import expect

from demo.factories import (
    CompanyFactory,
    PersonFactory,
    SelectionFactory,
    SelectionMemberFactory,
)


def test_owner_adds_and_removes_members_without_reloading(
    salesperson, logged_in_page, live_url, screenshot
):
    selection = SelectionFactory(name="Kunder Oslo", owner=salesperson)
    for first, last, company in [
        ("Ola", "Nordmann", "Aker Bygg AS"),
        ("Kari", "Hansen", "Bryggen Handel AS"),
        ("Per", "Olsen", "Dovre Data AS"),
    ]:
        SelectionMemberFactory(
            selection=selection,
            person=PersonFactory(
                first_name=first, last_name=last, company=CompanyFactory(name=company)
            ),
        )
    CompanyFactory(name="Fjordlys Energi AS", city="Bergen")  # not a member yet

    page = logged_in_page(salesperson)

    # The selection list links to the selection.
    page.goto(f"{live_url}/selections/")
    expect(page.get_by_role("heading", name="Selections", level=1)).to_be_visible()
    page.get_by_role("link", name="Kunder Oslo").click()

    expect(page.get_by_role("heading", name="Kunder Oslo", level=1)).to_be_visible()
    expect(page.get_by_role("tab", name="Company/person")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.get_by_text("3 members")).to_be_visible()

    # htmx swaps parts of the page; a full reload would clear this marker.
    page.evaluate("window.__e2eNoReload = true")

    # Type-ahead: typing the start of a company name shows it with an Add button.
    page.get_by_label("Add companies and persons").press_sequentially("Fjordl")
    suggestion = page.get_by_role("listitem").filter(has_text="Fjordlys Energi AS")
    expect(suggestion).to_be_visible()
    screenshot(page, "selection-detail-search")
    suggestion.get_by_role("button", name="Add").click()

    expect(page.get_by_text("4 members")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Added Fjordlys Energi AS.")
    expect(page.get_by_role("cell", name="Fjordlys Energi AS", exact=True)).to_be_visible()

    # Remove a member: the count goes down again.
    page.get_by_role("button", name="Remove Ola Nordmann (Aker Bygg AS)").click()

    expect(page.get_by_text("3 members")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Removed the member.")
    expect(page.get_by_role("cell", name="Aker Bygg AS", exact=True)).to_have_count(0)

    assert page.evaluate("window.__e2eNoReload === true"), "the page reloaded"
    assert list(
        selection.members.values_list("company__name", flat=True).order_by("company__name")
    ) == ["Bryggen Handel AS", "Dovre Data AS", "Fjordlys Energi AS"]

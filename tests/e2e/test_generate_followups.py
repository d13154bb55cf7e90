"""The help page's walk in a real browser: Generate follow-ups from a selection.

Every test starts from `crm_world` (tests/e2e/conftest.py): the selection "Kunder Oslo"
with five members in four "companies", and the projects Nordlys Drift / Nordlys
Utvidelse (active), Nordlys Arkiv (inactive) and Sørlandet.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from demo.factories import FollowUpFactory
from followups.models import FollowUp, FollowUpType, Generation, OwnerMode

from .helpers import (
    counter,
    dialog,
    expect_counters_refreshed,
    fit_dialog_in_viewport,
    focused_in,
    mark_counters,
    open_dialog,
    pick_project,
    preview,
    settle,
    tab_to,
)

TYPES_BY_RANK = ["Meeting", "Phone call", "To-do", "Presentation", "Send offer"]


def followups_of() -> set[tuple]:
    """(company, person) of every generated follow-up."""
    return {
        (f.company.name if f.company else None, f.person.name if f.person else None)
        for f in FollowUp.objects.filter(generation__isnull=False).select_related(
            "company", "person"
        )
    }


def test_salesperson_walks_the_help_page_through_the_dialog(
    crm_world, logged_in_page, live_url, screenshot
):
    w = crm_world
    today = timezone.localdate()
    start = today + timedelta(days=7)
    FollowUpFactory(
        owner=w.salesperson,
        type=FollowUpType.objects.get(name="To-do"),
        start_date=today,
        description="Ring Aker om kontrakten",
    )
    page = logged_in_page(w.salesperson)
    expect(counter(page, "open")).to_have_text("Open follow-ups: 1")

    # 1. The Company/person tab lists the members with their count.
    page.goto(f"{live_url}/selections/{w.selection.pk}/")
    expect(page.get_by_text("5 members")).to_be_visible()
    expect(page.get_by_role("cell", name="Eva Lund", exact=True)).to_be_visible()

    # 2-4. Task, Create follow-ups: the dialog opens over the page, focus inside it.
    box = open_dialog(page, live_url, w.selection)
    assert box.evaluate("d => d.open && d.matches(':modal')"), "not a modal <dialog>"
    expect(box).to_contain_text("For all 5 members of “Kunder Oslo”")
    type_select = box.get_by_label("Type", exact=True)
    expect(type_select).to_be_focused()
    assert focused_in(box)

    # Type: the active types, by rank.
    assert type_select.locator("option").all_text_contents() == TYPES_BY_RANK
    type_select.select_option(label="Phone call")

    # 5. Start: today by default, written as the app's language has it (day first), not
    # as the browser's own date field would; the calendar button writes the same style.
    start_input = box.get_by_label("Start", exact=True)
    expect(start_input).to_have_attribute("type", "text")
    expect(start_input).to_have_attribute("placeholder", "dd.mm.yyyy")
    expect(start_input).to_have_value(f"{today:%d.%m.%Y}")
    expect(box.get_by_role("button", name="Choose a date")).to_be_visible()
    box.locator("input.date-calendar").evaluate(
        """(calendar, iso) => {
             calendar.value = iso;
             calendar.dispatchEvent(new Event("change", {bubbles: true}));
           }""",
        start.isoformat(),
    )
    expect(start_input).to_have_value(f"{start:%d.%m.%Y}")
    expect(start_input).to_be_focused()
    start_input.fill(f"{start:%d.%m.%Y}")

    # 6. Description.
    box.get_by_label("Description", exact=True).fill(
        "Ring og følg opp tilbudet\nSpør etter innkjøpsansvarlig."
    )

    # 7. Project: type the start of the name (any case); only active projects are offered.
    combo = box.get_by_role("combobox", name="Project", exact=True)
    combo.press_sequentially("nordl")
    listbox = box.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(2)
    expect(listbox.get_by_role("option", name="Nordlys Arkiv")).to_have_count(0)
    listbox.get_by_role("option", name="Nordlys Utvidelse").click()
    expect(listbox).to_be_hidden()
    expect(combo).to_have_value("Nordlys Utvidelse")

    # 8. Priority: blank by default; High, Medium, Low.
    priority = box.get_by_label("Priority", exact=True)
    expect(priority).to_have_value("")
    assert priority.locator("option").all_text_contents() == ["", "High", "Medium", "Low"]
    priority.select_option(label="High")

    # 9-10. Completed, one per company.
    box.get_by_label("Completed", exact=True).check()
    box.get_by_label("Create only one follow-up per company").check()

    # 11. Owner: mine by default; our contact is not this role's right.
    expect(box.get_by_role("radio", name="My activity list")).to_be_checked()
    expect(
        box.get_by_role("radio", name="Company owner's (our contact's) activity list")
    ).to_be_disabled()
    expect(preview(box)).to_contain_text("4 follow-ups will be created, for 4 companies.")
    fit_dialog_in_viewport(page)
    screenshot(page, "dialog-en")

    # 12. Save: the dialog closes, a message, the counters refresh.
    mark_counters(page)
    box.get_by_role("button", name="Save").click()
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Created 4 follow-ups in your activity list.")
    expect_counters_refreshed(page)
    expect(counter(page, "open")).to_have_text("Open follow-ups: 1")  # completed never count

    generated = FollowUp.objects.filter(generation__isnull=False)
    assert generated.count() == 4
    for f in generated.select_related("type", "priority"):
        assert f.owner == w.salesperson
        assert f.created_by == w.salesperson
        assert f.type.name == "Phone call"
        assert f.start_date == start
        assert f.description == "Ring og følg opp tilbudet\nSpør etter innkjøpsansvarlig."
        assert f.project == w.projects.utvidelse
        assert f.priority.name == "High"
        assert f.completed and f.completed_at is not None
    # One per company: Aker's first-added member (Ola, not Per); Dovre with no person;
    # Eva (no company) a company of her own.
    assert followups_of() == {
        ("Aker Bygg AS", "Ola Nordmann"),
        ("Bryggen Handel AS", "Kari Hansen"),
        ("Dovre Data AS", None),
        (None, "Eva Lund"),
    }
    generation = Generation.objects.get()
    assert (generation.created_count, generation.one_per_company, generation.completed) == (
        4,
        True,
        True,
    )
    assert generation.owner_mode == OwnerMode.MINE and generation.selection == w.selection

    # Completed: shown ticked in the activity list (until tomorrow), and in the history list.
    page.goto(f"{live_url}/activities/")
    ticks = page.get_by_role("checkbox", name="Completed: Ring og følg opp tilbudet")
    expect(ticks).to_have_count(4)
    for tick in ticks.all():
        expect(tick).to_have_attribute("aria-checked", "true")
    page.goto(f"{live_url}/activities/history/")
    expect(page.get_by_role("link", name="Ring og følg opp tilbudet")).to_have_count(4)


def test_manager_assigns_to_each_companys_our_contact(crm_world, logged_in_page, live_url):
    w = crm_world
    page = logged_in_page(w.manager)
    box = open_dialog(page, live_url, w.selection)
    box.get_by_label("Description", exact=True).fill("Kvartalsmøte")
    radio = box.get_by_role("radio", name="Company owner's (our contact's) activity list")
    expect(radio).to_be_enabled()
    radio.check()

    # The preview says how they split, and who falls back to me and why, before saving.
    expect(preview(box)).to_contain_text("5 follow-ups will be created, for 4 companies.")
    owners = preview(box).locator(".preview-owners li")
    expect(owners).to_have_count(3)
    expect(owners.filter(has_text=w.salesperson.name)).to_contain_text("2")
    expect(owners.filter(has_text="Siri Berg")).to_contain_text("2")
    expect(owners.filter(has_text="You")).to_contain_text("1")
    expect(preview(box).get_by_role("note")).to_contain_text(
        "1 goes to your own list instead: 1 has no our contact."
    )

    box.get_by_role("button", name="Save").click()
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text(
        f"Created 5 follow-ups in the our contacts' activity lists: {w.salesperson.name} 2, "
        "Siri Berg 2, you 1."
    )

    owner_of = {
        (f.company_id, f.person_id): f.owner
        for f in FollowUp.objects.filter(generation__isnull=False)
    }
    c, p = w.companies, w.persons
    assert owner_of == {
        (c.aker.pk, p.ola.pk): w.salesperson,  # Aker's our contact
        (c.bryggen.pk, p.kari.pk): w.colleague,  # Bryggen's our contact
        (c.aker.pk, p.per.pk): w.salesperson,
        (c.dovre.pk, None): w.manager,  # no our contact: the current user
        (None, p.eva.pk): w.colleague,  # no company: the person's own our contact
    }
    assert FollowUp.objects.filter(created_by=w.manager).count() == 5
    assert Generation.objects.get().owner_mode == OwnerMode.OUR_CONTACT


def test_other_associate_from_own_group_only(crm_world, logged_in_page, live_url):
    w = crm_world
    page = logged_in_page(w.salesperson)
    box = open_dialog(page, live_url, w.selection)
    box.get_by_label("Description", exact=True).fill("Send julekort")
    box.get_by_role("radio", name="Other associate").check()
    other = box.get_by_role("combobox", name="Other associate")
    names = other.locator("option").all_text_contents()
    assert "Siri Berg" in names and w.manager.name in names
    assert w.outsider.name not in names  # another user group
    other.select_option(label="Siri Berg")
    expect(preview(box).locator(".preview-owners")).to_contain_text("Siri Berg")

    mark_counters(page)
    box.get_by_role("button", name="Save").click()
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text(
        "Created 5 follow-ups in Siri Berg's activity list."
    )
    expect_counters_refreshed(page)
    expect(counter(page, "open")).to_have_text("Open follow-ups: 0")

    generated = FollowUp.objects.filter(generation__isnull=False)
    assert generated.count() == 5
    assert set(generated.values_list("owner", "created_by")) == {(w.colleague.pk, w.salesperson.pk)}
    generation = Generation.objects.get()
    assert (generation.owner_mode, generation.owner_associate) == (OwnerMode.OTHER, w.colleague)


def test_validation_errors_shown_in_the_dialog_then_fixed(crm_world, logged_in_page, live_url):
    w = crm_world
    page = logged_in_page(w.salesperson)
    box = open_dialog(page, live_url, w.selection)
    box.get_by_label("Type", exact=True).select_option(label="To-do")
    combo = box.get_by_role("combobox", name="Project", exact=True)
    combo.fill("Finnes ikke")
    box.get_by_role("button", name="Save").click()

    # Still open, each error next to its field, tied to it, and focus on the first one.
    expect(box).to_be_visible()
    description = box.get_by_label("Description", exact=True)
    error = box.locator("#id_description_error")
    expect(error).to_have_text("Describe the follow-up.")
    expect(description).to_have_attribute("aria-invalid", "true")
    expect(description).to_have_attribute(
        "aria-describedby", "id_description_helptext id_description_error"
    )
    expect(description).to_be_focused()
    expect(box.locator("#id_project_text_error")).to_have_text(
        "No active project matches “Finnes ikke”."
    )
    expect(combo).to_have_attribute("aria-invalid", "true")
    assert "id_project_text_error" in combo.get_attribute("aria-describedby").split()
    # What was chosen is kept.
    assert (
        box.get_by_label("Type", exact=True).evaluate("s => s.options[s.selectedIndex].text")
        == "To-do"
    )
    assert FollowUp.objects.count() == 0 and Generation.objects.count() == 0

    # Fixed: a description, and a project typed in full with another case.
    description.fill("Send tilbud")
    combo.fill("sørlandet")
    box.get_by_role("button", name="Save").click()
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Created 5 follow-ups in your activity list.")
    assert FollowUp.objects.count() == 5
    assert set(FollowUp.objects.values_list("project", "type__name")) == {
        (w.projects.sor.pk, "To-do")
    }


def test_cancel_and_close_write_nothing(crm_world, logged_in_page, live_url):
    w = crm_world
    page = logged_in_page(w.salesperson)
    box = open_dialog(page, live_url, w.selection)
    box.get_by_label("Description", exact=True).fill("Skal ikke lagres")
    box.get_by_role("button", name="Cancel").click()
    # Something was typed: the dialog asks before throwing it away.
    page.get_by_role("dialog", name="Discard your changes?").get_by_role(
        "button", name="Discard"
    ).click()
    expect(dialog(page)).to_have_count(0)
    expect_focus_back_on_task_menu(page)

    box = open_dialog(page, live_url, w.selection)  # it opens again, blank
    expect(box.get_by_label("Description", exact=True)).to_have_value("")
    box.get_by_label("Description", exact=True).fill("Skal heller ikke lagres")
    box.get_by_role("button", name="Close").click()
    page.get_by_role("dialog", name="Discard your changes?").get_by_role(
        "button", name="Discard"
    ).click()
    expect(dialog(page)).to_have_count(0)

    settle(page)  # nothing is on its way to the server
    assert FollowUp.objects.count() == 0
    assert Generation.objects.count() == 0


def test_double_click_and_retried_request_create_once(crm_world, logged_in_page, live_url):
    w = crm_world
    page = logged_in_page(w.salesperson)
    box = open_dialog(page, live_url, w.selection)
    box.get_by_label("Description", exact=True).fill("Dobbeltklikk")
    # What the browser would send again on a retry: the same form, the same one-time key.
    form = box.locator("#generate-form")
    sent = form.evaluate("f => [f.action, new URLSearchParams(new FormData(f)).toString()]")

    box.get_by_role("button", name="Save").dblclick()
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Created 5 follow-ups in your activity list.")
    settle(page)  # a second save, if the double click sent one, has been answered
    assert FollowUp.objects.count() == 5
    assert Generation.objects.count() == 1

    status = page.evaluate(
        """([action, body]) => fetch(action, {method: "POST", body,
            headers: {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}}
        ).then(r => r.status)""",
        sent,
    )
    assert status < 500
    assert FollowUp.objects.count() == 5
    assert Generation.objects.count() == 1


def test_selected_members_only(crm_world, logged_in_page, live_url):
    w = crm_world
    page = logged_in_page(w.salesperson)
    page.goto(f"{live_url}/selections/{w.selection.pk}/")
    page.get_by_label("Select Kari Hansen (Bryggen Handel AS)").check()
    page.get_by_label("Select Dovre Data AS").check()
    box = open_dialog(page, live_url, w.selection, selected_only=True)
    expect(box).to_contain_text("For the 2 ticked members of “Kunder Oslo”")
    expect(preview(box)).to_contain_text("2 follow-ups will be created, for 2 companies.")
    box.get_by_label("Description", exact=True).fill("Bare to")
    box.get_by_role("button", name="Save").click()
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Created 2 follow-ups in your activity list.")
    assert followups_of() == {("Bryggen Handel AS", "Kari Hansen"), ("Dovre Data AS", None)}
    generation = Generation.objects.get()
    assert generation.selected_only and generation.selected_count == 2


def expect_focus_back_on_task_menu(page: Page) -> None:
    """Focus is back on the Task menu (its summary, or the item if the menu stays open),
    not lost to <body>."""
    where = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    assert page.evaluate(
        """() => {
            const el = document.activeElement;
            return el !== document.body && !!el.closest(".toolbar") && el.checkVisibility();
        }"""
    ), f"focus is not back on the Task menu but on {where}"


def _date_keys(day) -> str:
    """What one types into the Start field: the date as the app's language writes it."""
    return f"{day:%d.%m.%Y}"


def _open_dialog_by_keyboard(page: Page) -> None:
    summary = page.locator("details[data-menu] > summary")
    tab_to(page, summary)
    page.keyboard.press("Enter")
    expect(page.locator("details[data-menu]")).to_have_attribute("open", "")
    tab_to(page, page.get_by_role("button", name="Create follow-ups"))
    page.keyboard.press("Enter")
    expect(dialog(page)).to_be_visible()


def test_keyboard_only_through_the_whole_dialog(crm_world, logged_in_page, live_url):
    w = crm_world
    start = timezone.localdate() + timedelta(days=3)
    page = logged_in_page(w.salesperson)
    page.goto(f"{live_url}/selections/{w.selection.pk}/")
    expect(page.get_by_text("5 members")).to_be_visible()
    keys = page.keyboard

    # Open the Task menu and the dialog with the keyboard: focus moves into the dialog.
    _open_dialog_by_keyboard(page)
    box = dialog(page)
    type_select = box.get_by_label("Type", exact=True)
    expect(type_select).to_be_focused()

    keys.press("ArrowDown")  # Meeting -> Phone call
    expect(type_select).to_have_value(str(FollowUpType.objects.get(name="Phone call").pk))
    keys.press("Tab")
    expect(box.get_by_label("Start", exact=True)).to_be_focused()
    keys.type(_date_keys(start))
    expect(box.get_by_label("Start", exact=True)).to_have_value(_date_keys(start))
    tab_to(page, box.get_by_label("Description", exact=True))
    keys.type("Tastatur hele veien")

    # Project: type, ArrowDown through the suggestions, Enter picks (and does not save).
    keys.press("Tab")
    combo = box.get_by_role("combobox", name="Project", exact=True)
    expect(combo).to_be_focused()
    keys.type("Nordl")
    listbox = box.get_by_role("listbox")
    expect(listbox.get_by_role("option")).to_have_count(2)
    expect(combo).to_have_attribute("aria-expanded", "true")
    keys.press("ArrowDown")
    keys.press("ArrowDown")
    expect(combo).to_have_attribute(
        "aria-activedescendant", f"project-option-{w.projects.utvidelse.pk}"
    )
    expect(listbox.get_by_role("option", name="Nordlys Utvidelse")).to_have_attribute(
        "aria-selected", "true"
    )
    keys.press("Enter")
    expect(combo).to_have_value("Nordlys Utvidelse")
    expect(listbox).to_be_hidden()
    expect(combo).to_have_attribute("aria-expanded", "false")
    expect(box).to_be_visible()
    assert FollowUp.objects.count() == 0

    # ArrowDown opens the list again; Esc closes the list, not the dialog.
    keys.press("ArrowDown")
    expect(listbox).to_be_visible()
    keys.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_be_visible()
    assert box.evaluate("d => d.open")
    expect(combo).to_be_focused()

    keys.press("Tab")
    priority = box.get_by_label("Priority", exact=True)
    expect(priority).to_be_focused()
    keys.press("ArrowDown")  # blank -> High
    assert priority.evaluate("s => s.options[s.selectedIndex].text") == "High"
    keys.press("Tab")
    expect(box.get_by_label("Completed", exact=True)).to_be_focused()
    keys.press("Space")
    keys.press("Tab")
    expect(box.get_by_label("Create only one follow-up per company")).to_be_focused()
    keys.press("Space")

    # Owner radios: arrows move the choice (past the disabled one).
    keys.press("Tab")
    expect(box.get_by_role("radio", name="My activity list")).to_be_focused()
    keys.press("ArrowDown")
    expect(box.get_by_role("radio", name="Other associate")).to_be_checked()
    keys.press("Tab")
    other = box.get_by_role("combobox", name="Other associate")
    expect(other).to_be_focused()
    for _ in range(10):
        if other.evaluate("s => s.options[s.selectedIndex].text") == "Siri Berg":
            break
        keys.press("ArrowDown")
    assert other.evaluate("s => s.options[s.selectedIndex].text") == "Siri Berg"
    expect(preview(box)).to_contain_text("4 follow-ups will be created, for 4 companies.")

    # Save with Enter on Save.
    save = box.get_by_role("button", name="Save")
    tab_to(page, save)
    keys.press("Enter")
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text(
        "Created 4 follow-ups in Siri Berg's activity list."
    )
    rows = FollowUp.objects.select_related("type", "priority")
    assert rows.count() == 4
    for f in rows:
        assert (f.owner, f.type.name, f.start_date) == (w.colleague, "Phone call", start)
        assert (f.project, f.priority.name, f.completed) == (w.projects.utvidelse, "High", True)

    expect_focus_back_on_task_menu(page)

    # Esc closes the dialog; focus goes back to the page, not lost to <body>.
    _open_dialog_by_keyboard(page)
    assert focused_in(dialog(page))
    keys.press("Escape")
    expect(dialog(page)).to_have_count(0)
    assert FollowUp.objects.count() == 4
    expect_focus_back_on_task_menu(page)


def test_activity_list_shows_the_generated_followups(
    crm_world, logged_in_page, live_url, screenshot
):
    w = crm_world
    today = timezone.localdate()
    FollowUpFactory(
        owner=w.salesperson,
        company=w.companies.bryggen,
        person=w.persons.kari,
        type=FollowUpType.objects.get(name="Meeting"),
        start_date=today - timedelta(days=2),
        description="Møte om rammeavtalen",
    )
    page = logged_in_page(w.salesperson)
    expect(counter(page, "overdue")).to_have_text("Overdue: 1")
    box = open_dialog(page, live_url, w.selection)
    box.get_by_label("Type", exact=True).select_option(label="Send offer")
    box.get_by_label("Description", exact=True).fill("Send tilbud på vinterservice")
    pick_project(box, "Sør", "Sørlandet")
    box.get_by_label("Priority", exact=True).select_option(label="Medium")
    mark_counters(page)
    box.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Created 5 follow-ups in your activity list.")
    expect_counters_refreshed(page)
    expect(counter(page, "today")).to_have_text("Due today: 5")
    expect(counter(page, "open")).to_have_text("Open follow-ups: 6")

    page.get_by_role("link", name="Activities").click()
    expect(page.get_by_role("heading", name="My activities")).to_be_visible()
    rows = page.locator("table.followups tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text("Møte om rammeavtalen")  # by start date: overdue first
    expect(rows.first).to_contain_text("Overdue")
    dovre = rows.filter(has_text="Dovre Data AS")
    expect(dovre).to_contain_text("Send tilbud på vinterservice")
    expect(dovre).to_contain_text("Sørlandet")
    expect(dovre).to_contain_text("Medium")
    screenshot(page, "activity-list")

    # Quick search finds open follow-ups; once completed, it no longer does.
    search = page.get_by_label("Quick search: companies, persons and open follow-ups")
    search.fill("Dovre")
    results = page.locator("#quick-search-results")
    # The company itself is found too, in a group of its own.
    expect(results.locator(".quick-companies").get_by_role("link")).to_have_text(
        ["Dovre Data AS Lillehammer"]
    )
    expect(results.locator(".quick-results").get_by_role("link")).to_have_count(1)
    expect(results).to_contain_text("Dovre Data AS")
    search.fill("")

    mark_counters(page)
    tick = dovre.get_by_role("checkbox", name="Completed: Send tilbud på vinterservice")
    expect(tick).to_have_attribute("aria-checked", "false")
    tick.click()
    expect(
        page.locator("table.followups tbody tr")
        .filter(has_text="Dovre Data AS")
        .get_by_role("checkbox", name="Completed: Send tilbud på vinterservice")
    ).to_have_attribute("aria-checked", "true")
    expect_counters_refreshed(page)
    expect(counter(page, "open")).to_have_text("Open follow-ups: 5")
    assert FollowUp.objects.get(company=w.companies.dovre).completed

    search.fill("Dovre")
    expect(results).to_contain_text("No open follow-up matches “Dovre”.")

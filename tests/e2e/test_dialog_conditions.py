"""The Generate follow-ups dialog when things do not go to plan, in a real browser: a
save whose answer fails or never comes, a session that ended in another tab, a slow save;
and the details around it: the Task menu's choices, Other associate, asking before
discarding, the description's counter, the Project list's pages, the preview's
fallbacks, and the focus on an activity list's tick.

Requests are steered with Playwright's page.route on the save's address: answered with an
error, dropped, held back, or let through to the server with its answer then dropped.

Set E2E_SHOTS=<folder> to keep screenshots of what a person sees, at both sizes.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import reverse
from playwright.sync_api import Page, Route, expect

from demo.factories import DEMO_PASSWORD, FollowUpFactory, ProjectFactory
from followups.models import FollowUp, Generation, OwnerMode

from .helpers import (
    ALL_CHOICE,
    TICKED_CHOICE,
    counter,
    dialog,
    expect_counters_refreshed,
    mark_counters,
    next_frames,
    open_dialog,
    open_task_menu,
    pick_project,
    preview,
    settle,
    tab_to,
)

SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
NOTHING_SAVED = "Nothing was saved. Press Save to try again."


def shot(page: Page, name: str) -> None:
    """A screenshot in $E2E_SHOTS, if set."""
    folder = os.environ.get("E2E_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def save_route(page: Page, selection) -> str:
    return f"**/selections/{selection.pk}/followups/"


def status(page: Page):
    return dialog(page).locator("#generate-status")


def fill_in(box) -> None:
    """Type, description and project: what must survive any failure."""
    box.get_by_label("Type", exact=True).select_option(label="Phone call")
    box.get_by_label("Description", exact=True).fill("Ring om vinteravtalen")
    pick_project(box, "Sør", "Sørlandet")
    expect(preview(box)).to_contain_text("5 follow-ups will be created")


def expect_kept(box) -> None:
    assert (
        box.get_by_label("Type", exact=True).evaluate("s => s.options[s.selectedIndex].text")
        == "Phone call"
    )
    expect(box.get_by_label("Description", exact=True)).to_have_value("Ring om vinteravtalen")
    expect(box.get_by_role("combobox", name="Project", exact=True)).to_have_value("Sørlandet")


def expect_saved_once(page: Page, w, count: int = 5) -> None:
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text(
        f"Created {count} follow-ups in your activity list."
    )
    settle(page)  # a second save, if there were one, has been answered
    assert Generation.objects.count() == 1
    assert FollowUp.objects.filter(generation__isnull=False).count() == count
    assert set(FollowUp.objects.values_list("description", "project")) == {
        ("Ring om vinteravtalen", w.projects.sor.pk)
    }


# 1. A failed save is never silent ---------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_server_error_says_nothing_was_saved_and_save_works_again(
    crm_world, logged_in_page, live_url, size
):
    w = crm_world
    page = logged_in_page(w.salesperson)
    page.set_viewport_size(SIZES[size])
    box = open_dialog(page, live_url, w.selection)
    fill_in(box)
    # An error the server did not catch, with DEBUG's page for it.
    page.route(
        save_route(page, w.selection),
        lambda route: route.fulfill(
            status=500, content_type="text/html", body="<h1>Server Error</h1><p>TRACEBACK-XYZ</p>"
        ),
    )
    box.get_by_role("button", name="Save").click()

    expect(status(page)).to_contain_text("The save failed on the server.")
    expect(status(page)).to_contain_text(NOTHING_SAVED)
    assert "TRACEBACK-XYZ" not in page.content()
    expect_kept(box)
    expect(box.get_by_role("button", name="Save")).to_be_enabled()
    expect(box.get_by_role("button", name="Cancel")).to_be_enabled()
    assert Generation.objects.count() == 0
    box.get_by_role("button", name="Save").scroll_into_view_if_needed()
    shot(page, f"save-failed-{size}")

    page.unroute(save_route(page, w.selection))
    box.get_by_role("button", name="Save").click()
    expect_saved_once(page, w)


def test_a_refused_save_says_so_and_that_nothing_was_saved(crm_world, logged_in_page, live_url):
    w = crm_world
    page = logged_in_page(w.salesperson)
    box = open_dialog(page, live_url, w.selection)
    fill_in(box)
    page.route(
        save_route(page, w.selection),
        lambda route: route.fulfill(status=403, body="<h1>403 Forbidden</h1>CSRF-XYZ"),
    )
    box.get_by_role("button", name="Save").click()

    expect(status(page)).to_contain_text("The server refused the save.")
    expect(status(page)).to_contain_text(NOTHING_SAVED)
    assert "CSRF-XYZ" not in page.content()
    expect_kept(box)
    assert Generation.objects.count() == 0


def test_a_lost_connection_says_nothing_was_saved_and_save_works_again(
    crm_world, logged_in_page, live_url
):
    w = crm_world
    page = logged_in_page(w.salesperson)
    box = open_dialog(page, live_url, w.selection)
    fill_in(box)
    page.route(save_route(page, w.selection), lambda route: route.abort("internetdisconnected"))
    box.get_by_role("button", name="Save").click()

    expect(status(page)).to_contain_text("The connection to the server was lost.")
    expect(status(page)).to_contain_text(NOTHING_SAVED)
    expect_kept(box)
    assert Generation.objects.count() == 0

    page.unroute(save_route(page, w.selection))
    box.get_by_role("button", name="Save").click()
    expect_saved_once(page, w)


def test_a_save_that_takes_too_long_is_told_and_save_works_again(
    crm_world, logged_in_page, live_url
):
    w = crm_world
    page = logged_in_page(w.salesperson)
    box = open_dialog(page, live_url, w.selection)
    fill_in(box)
    # The dialog waits 3 minutes; here, one second, for an answer that never comes.
    box.locator("#generate-form").evaluate(
        """f => f.setAttribute("hx-request", '{"timeout": 1000}')"""
    )
    held: list[Route] = []
    page.route(save_route(page, w.selection), lambda route: held.append(route))
    box.get_by_role("button", name="Save").click()

    expect(status(page)).to_contain_text("The server did not answer in time.")
    expect(status(page)).to_contain_text(NOTHING_SAVED)
    expect_kept(box)
    expect(box.get_by_role("button", name="Save")).to_be_enabled()
    assert Generation.objects.count() == 0

    page.unroute(save_route(page, w.selection))
    for route in held:
        with contextlib.suppress(Exception):  # the browser gave up on it already
            route.abort()
    box.get_by_role("button", name="Save").click()
    expect_saved_once(page, w)


def test_a_save_whose_answer_is_lost_after_it_committed_reports_success(
    crm_world, logged_in_page, live_url
):
    w = crm_world
    page = logged_in_page(w.salesperson)
    box = open_dialog(page, live_url, w.selection)
    fill_in(box)

    def commit_then_drop(route: Route) -> None:
        route.fetch()  # the save reaches the server, which commits it
        route.abort("connectionreset")  # and its answer never reaches the page

    page.route(save_route(page, w.selection), commit_then_drop)
    mark_counters(page)
    box.get_by_role("button", name="Save").click()

    # The dialog asked, learnt that it was saved, and treats it as the success it was.
    expect_saved_once(page, w)
    expect_counters_refreshed(page)
    expect(counter(page, "today")).to_have_text("Due today: 5")
    expect(page.locator("#messages")).not_to_contain_text("Nothing was saved")


# 2. A session that ended in another tab ---------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_after_a_logout_elsewhere_the_dialog_says_so_and_saves_after_a_login_elsewhere(
    crm_world, logged_in_page, live_url, size
):
    w = crm_world
    page = logged_in_page(w.salesperson)
    page.set_viewport_size(SIZES[size])
    box = open_dialog(page, live_url, w.selection)
    fill_in(box)
    token_before = csrf_cookie(page)

    # Another tab of the same browser logs out.
    other = page.context.new_page()
    other.goto(f"{live_url}/selections/")
    other.get_by_role("button", name="Log out").click()
    other.wait_for_url(re.compile(r"/login/"))

    # The preview asks (a changed field), and is told: in the dialog's status line.
    box.get_by_label("Create only one follow-up per company").check()
    ended = status(page).locator("[data-session-ended]")
    expect(ended).to_contain_text("Your session has ended.")
    link = ended.get_by_role("link", name="Log in (opens a new tab)")
    expect(link).to_have_attribute("target", "_blank")
    assert f"next=%2Fselections%2F{w.selection.pk}%2F" in link.get_attribute("href")
    expect(preview(box)).to_contain_text("5 follow-ups will be created")  # not a login page
    expect(preview(box).get_by_label("Username")).to_have_count(0)

    # Save is told the same; nothing typed is lost.
    box.get_by_role("button", name="Save").click()
    expect(ended).to_contain_text("Your session has ended.")
    expect(box.get_by_role("button", name="Save")).to_be_enabled()
    expect_kept(box)
    expect(box.get_by_label("Create only one follow-up per company")).to_be_checked()
    assert Generation.objects.count() == 0
    box.get_by_role("button", name="Save").scroll_into_view_if_needed()
    shot(page, f"session-ended-{size}")

    # Logged in again, in the other tab, through the link: a new CSRF token.
    other.goto(live_url + link.get_attribute("href"))
    other.get_by_label("Username").fill(w.salesperson.user.username)
    other.get_by_label("Password").fill(DEMO_PASSWORD)
    other.get_by_role("button", name="Log in").click()
    other.wait_for_url(f"{live_url}/selections/{w.selection.pk}/")
    assert csrf_cookie(page) != token_before

    box.get_by_role("button", name="Save").click()
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Created 4 follow-ups in your activity list.")
    assert Generation.objects.count() == 1
    assert FollowUp.objects.filter(description="Ring om vinteravtalen").count() == 4


def csrf_cookie(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


# 3. The Task menu: the ticked members, or all -------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_the_task_menu_offers_the_ticked_members_as_they_are_ticked(
    crm_world, logged_in_page, live_url, size
):
    w = crm_world
    page = logged_in_page(w.salesperson)
    page.set_viewport_size(SIZES[size])
    page.goto(f"{live_url}/selections/{w.selection.pk}/")

    menu = open_task_menu(page)
    expect(menu.get_by_role("button", name=TICKED_CHOICE)).to_have_count(0)
    expect(menu.get_by_role("button", name="Create follow-ups for all members (5)")).to_be_visible()
    page.keyboard.press("Escape")

    for name in ["Kari Hansen (Bryggen Handel AS)", "Dovre Data AS", "Eva Lund"]:
        page.get_by_label(f"Select {name}").check()
    menu = open_task_menu(page)
    ticked = menu.get_by_role("button", name="Create follow-ups for the 3 ticked members")
    expect(ticked).to_be_visible()
    expect(menu.get_by_role("button", name="Create follow-ups for all members (5)")).to_be_visible()
    shot(page, f"task-menu-{size}")
    page.keyboard.press("Escape")

    page.get_by_label("Select Eva Lund").uncheck()
    menu = open_task_menu(page)
    menu.get_by_role("button", name="Create follow-ups for the 2 ticked members").click()
    box = dialog(page)
    expect(box).to_contain_text("For the 2 ticked members of “Kunder Oslo”")
    expect(preview(box)).to_contain_text("2 follow-ups will be created, for 2 companies.")
    box.get_by_label("Description", exact=True).fill("Bare de avmerkede")
    box.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Created 2 follow-ups in your activity list.")
    generation = Generation.objects.get()
    assert generation.selected_only and generation.selected_count == 2

    # Select all, then untick them: back to the one choice.
    page.locator("input[data-select-all]").check()
    menu = open_task_menu(page)
    expect(
        menu.get_by_role("button", name="Create follow-ups for the 5 ticked members")
    ).to_be_visible()
    page.keyboard.press("Escape")
    page.locator("input[data-select-all]").uncheck()
    menu = open_task_menu(page)
    expect(menu.get_by_role("button", name=TICKED_CHOICE)).to_have_count(0)


def test_all_members_with_rows_ticked_is_all_members(crm_world, logged_in_page, live_url):
    w = crm_world
    page = logged_in_page(w.salesperson)
    page.goto(f"{live_url}/selections/{w.selection.pk}/")
    page.get_by_label("Select Dovre Data AS").check()
    menu = open_task_menu(page)
    menu.get_by_role("button", name=ALL_CHOICE).click()
    box = dialog(page)
    expect(box).to_contain_text("For all 5 members of “Kunder Oslo”")
    expect(preview(box)).to_contain_text("5 follow-ups will be created")
    box.get_by_label("Description", exact=True).fill("Alle sammen")
    box.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Created 5 follow-ups in your activity list.")
    assert not Generation.objects.get().selected_only


# 4. Other associate --------------------------------------------------------------------------


def test_choosing_an_associate_chooses_other_associate(crm_world, logged_in_page, live_url):
    w = crm_world
    page = logged_in_page(w.salesperson)
    box = open_dialog(page, live_url, w.selection)
    box.get_by_label("Description", exact=True).fill("Til Siri")
    expect(box.get_by_role("radio", name="My activity list")).to_be_checked()

    box.get_by_role("combobox", name="Other associate").select_option(label="Siri Berg")

    expect(box.get_by_role("radio", name="Other associate")).to_be_checked()
    expect(preview(box).locator(".preview-owners")).to_contain_text("Siri Berg")
    box.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text(
        "Created 5 follow-ups in Siri Berg's activity list."
    )
    generation = Generation.objects.get()
    assert (generation.owner_mode, generation.owner_associate) == (OwnerMode.OTHER, w.colleague)
    assert set(FollowUp.objects.values_list("owner", flat=True)) == {w.colleague.pk}


# 5. Asking before throwing away what was typed ----------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_esc_cancel_and_close_ask_before_discarding_changes(
    crm_world, logged_in_page, live_url, size
):
    w = crm_world
    page = logged_in_page(w.salesperson)
    page.set_viewport_size(SIZES[size])
    keys = page.keyboard

    # Unchanged: Esc closes at once.
    box = open_dialog(page, live_url, w.selection)
    keys.press("Escape")
    expect(dialog(page)).to_have_count(0)

    box = open_dialog(page, live_url, w.selection)
    description = box.get_by_label("Description", exact=True)
    description.fill("Ikke kast meg")
    confirm = page.get_by_role("dialog", name="Discard your changes?")

    # Esc asks; "Keep editing" has the focus; Esc again keeps editing, focus back.
    description.focus()
    keys.press("Escape")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("What you entered in this dialog will be lost.")
    expect(confirm.get_by_role("button", name="Keep editing")).to_be_focused()
    shot(page, f"discard-question-{size}")
    keys.press("Escape")
    expect(confirm).to_be_hidden()
    expect(dialog(page)).to_be_visible()
    expect(description).to_be_focused()
    expect(description).to_have_value("Ikke kast meg")

    # Close asks too; Keep editing with the keyboard.
    box.get_by_role("button", name="Close").click()
    expect(confirm).to_be_visible()
    keys.press("Enter")
    expect(confirm).to_be_hidden()
    expect(description).to_have_value("Ikke kast meg")

    # Cancel asks; Tab to Discard, Enter: gone, nothing saved.
    box.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_visible()
    keys.press("Tab")
    expect(confirm.get_by_role("button", name="Discard")).to_be_focused()
    keys.press("Enter")
    expect(dialog(page)).to_have_count(0)
    assert page.evaluate("() => document.activeElement !== document.body")
    assert FollowUp.objects.count() == 0 and Generation.objects.count() == 0

    # A change taken back is no change.
    box = open_dialog(page, live_url, w.selection)
    box.get_by_label("Completed", exact=True).check()
    box.get_by_label("Completed", exact=True).uncheck()
    box.get_by_role("button", name="Cancel").click()
    expect(dialog(page)).to_have_count(0)


# 6. The description's counter and limit -----------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_the_description_counts_and_a_long_paste_is_an_error_not_cut(
    crm_world, logged_in_page, live_url, size
):
    w = crm_world
    page = logged_in_page(w.salesperson)
    page.set_viewport_size(SIZES[size])
    box = open_dialog(page, live_url, w.selection)
    description = box.get_by_label("Description", exact=True)
    count = box.locator("#id_description-count")
    expect(count).to_have_text("0 / 2,048")
    assert description.get_attribute("aria-describedby").split() == ["id_description_helptext"]
    expect(box.locator("#id_description_helptext #id_description-count")).to_have_count(1)

    description.press_sequentially("Hei")
    expect(count).to_have_text("3 / 2,048")

    description.fill("")
    description.focus()
    page.keyboard.insert_text("ø" * 2100)  # as a paste does
    expect(description).to_have_value("ø" * 2100)  # not cut at 2,048
    expect(count).to_have_text("2,100 / 2,048 · 52 too many")
    expect(count).to_have_class(re.compile(r"\bover\b"))
    description.scroll_into_view_if_needed()
    shot(page, f"description-too-long-{size}")

    box.get_by_role("button", name="Save").click()
    error = box.locator("#id_description_error")
    expect(error).to_have_text("Keep the description to 2048 characters (it has 2100).")
    expect(description).to_be_focused()
    expect(description).to_have_value("ø" * 2100)
    expect(count).to_have_text("2,100 / 2,048 · 52 too many")
    assert FollowUp.objects.count() == 0

    # Down to the limit, with a line break counted once: saved.
    description.fill("ø" * 1000 + "\n" + "å" * 1047)
    expect(count).to_have_text("2,048 / 2,048")
    box.get_by_role("button", name="Save").click()
    expect(dialog(page)).to_have_count(0)
    assert FollowUp.objects.filter(description="ø" * 1000 + "\n" + "å" * 1047).count() == 5


# 7. The Project list reaches every active project ------------------------------------------


def test_the_project_list_loads_more_when_scrolled_or_arrowed_to_its_end(
    crm_world, logged_in_page, live_url
):
    w = crm_world
    campaigns = [ProjectFactory(name=f"Kampanje {i:03}") for i in range(45)]
    page = logged_in_page(w.salesperson)
    box = open_dialog(page, live_url, w.selection)
    combo = box.get_by_role("combobox", name="Project", exact=True)
    listbox = box.get_by_role("listbox")
    names = listbox.locator("[role=option][data-value]")

    type_into(page, combo, "kamp")
    expect(names).to_have_count(20)
    expect(listbox.locator("[data-more]")).to_contain_text("show more")
    listbox.evaluate("l => { l.scrollTop = l.scrollHeight; }")
    expect(names).to_have_count(40)
    listbox.evaluate("l => { l.scrollTop = l.scrollHeight; }")
    expect(names).to_have_count(45)
    expect(listbox.locator("[data-more]")).to_have_count(0)
    assert names.all_text_contents()[-1].startswith("Kampanje 044")

    # By keyboard: arrowing past the twentieth loads the next ones, on from there.
    combo.fill("")
    type_into(page, combo, "kampanje 0")
    expect(names).to_have_count(20)
    for _ in range(21):  # the twentieth, then "more" (or the next one, if already loaded)
        page.keyboard.press("ArrowDown")
    expect(names).to_have_count(40)
    expect(combo).to_have_attribute("aria-activedescendant", f"project-option-{campaigns[20].pk}")
    page.keyboard.press("ArrowDown")
    expect(combo).to_have_attribute("aria-activedescendant", f"project-option-{campaigns[21].pk}")
    page.keyboard.press("Enter")
    expect(combo).to_have_value("Kampanje 021")
    box.get_by_label("Description", exact=True).fill("Kampanjen")
    box.get_by_role("button", name="Save").click()
    expect(dialog(page)).to_have_count(0)
    assert set(FollowUp.objects.values_list("project", flat=True)) == {campaigns[21].pk}


def type_into(page: Page, combo, text: str) -> None:
    """Type into the Project combobox and wait for the options of the whole text (those
    of a shorter text may come first, and would be replaced under the test's hands)."""
    wanted = "project_text=" + quote(text)
    with page.expect_response(lambda r: r.url.endswith(wanted) and r.ok):
        combo.press_sequentially(text)
    expect(combo).to_have_attribute("aria-expanded", "true")


# 8. A slow save shows progress, and Cancel and Esc wait -------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_slow_save_shows_progress_and_holds_cancel_until_it_ends(
    crm_world, logged_in_page, live_url, size
):
    w = crm_world
    page = logged_in_page(w.salesperson)
    page.set_viewport_size(SIZES[size])
    box = open_dialog(page, live_url, w.selection)
    fill_in(box)
    held: list[Route] = []
    page.route(save_route(page, w.selection), lambda route: held.append(route))
    save = box.get_by_role("button", name="Save")
    save_path = reverse("followups:generate_save", args=[w.selection.pk])
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith(save_path)):
        save.click()

    progress = box.get_by_role("status").filter(has_text="Saving")
    expect(progress).to_have_text("Saving 5 follow-ups…")
    expect(progress).to_have_attribute("aria-live", "polite")
    expect(save).to_be_disabled()
    expect(box.get_by_role("button", name="Cancel")).to_be_disabled()
    expect(box.get_by_role("button", name="Close")).to_be_disabled()
    page.keyboard.press("Escape")
    next_frames(page)
    expect(dialog(page)).to_be_visible()
    expect(page.get_by_role("dialog", name="Discard your changes?")).to_be_hidden()
    shot(page, f"saving-{size}")

    # It fails after all: everything is usable again, and says so.
    held.pop().fulfill(status=503, body="Service Unavailable")
    expect(status(page)).to_contain_text(NOTHING_SAVED)
    expect(progress).to_have_count(0)
    expect(save).to_be_enabled()
    expect(box.get_by_role("button", name="Cancel")).to_be_enabled()
    expect(box.get_by_role("button", name="Close")).to_be_enabled()

    # Again, and this time the server answers, late.
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith(save_path)):
        save.click()
    expect(progress).to_have_text("Saving 5 follow-ups…")  # the held request is in `held`
    expect(save).to_be_disabled()
    held.pop().continue_()
    expect_saved_once(page, w)


# 9. The preview says when "You" includes fallbacks -----------------------------------------


def test_the_preview_says_how_many_of_yours_are_fallbacks(crm_world, logged_in_page, live_url):
    w = crm_world
    page = logged_in_page(w.manager)
    box = open_dialog(page, live_url, w.selection)
    box.get_by_role("radio", name="Company owner's (our contact's) activity list").check()
    you = preview(box).locator(".preview-owners li").filter(has_text="You")
    expect(you).to_have_text(
        re.compile(r"^You\s+1\s+\(of which 1 because their company has no our contact\)$")
    )


# 10. The activity list's tick keeps the keyboard's focus ------------------------------------


def test_ticking_a_row_with_the_keyboard_keeps_the_focus_on_it(crm_world, logged_in_page, live_url):
    w = crm_world
    first = FollowUpFactory(owner=w.salesperson, description="Første")
    FollowUpFactory(owner=w.salesperson, description="Andre")
    page = logged_in_page(w.salesperson)
    page.goto(f"{live_url}/activities/")
    row = page.locator(f"#followup-{first.pk}")
    row.evaluate("r => r.setAttribute('data-e2e-old', '1')")
    tick = page.get_by_role("checkbox", name="Completed: Første")
    tab_to(page, tick)

    page.keyboard.press("Space")
    expect(page.locator(f"#followup-{first.pk}")).not_to_have_attribute("data-e2e-old", "1")
    expect(tick).to_have_attribute("aria-checked", "true")
    expect(tick).to_be_focused()
    first.refresh_from_db()
    assert first.completed

    page.keyboard.press("Enter")
    expect(tick).to_have_attribute("aria-checked", "false")
    expect(tick).to_be_focused()
    page.keyboard.press("Tab")  # and on from there, not from the top of the page
    expect(page.get_by_role("link", name="Første")).to_be_focused()


# Start in N working days --------------------------------------------------------------------


def test_in_working_days_writes_the_start_and_a_typed_start_clears_it(
    crm_world, logged_in_page, live_url
):
    from datetime import timedelta

    from django.utils import timezone

    from crm.workdays import working_days_after

    w = crm_world
    page = logged_in_page(w.salesperson)
    box = open_dialog(page, live_url, w.selection)
    start = box.get_by_label("Start", exact=True)
    days = box.get_by_label("or in working days", exact=True)
    expected = working_days_after(timezone.localdate(), 3)

    days.fill("3")

    expect(start).to_have_value(f"{expected:%d.%m.%Y}")
    expect(preview(box)).to_contain_text("in 3 working days")
    expect(box.get_by_role("button", name="Choose a date")).to_have_count(1)
    box.get_by_label("Description", exact=True).fill("Om tre arbeidsdager")
    box.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Created 5 follow-ups")
    assert set(FollowUp.objects.values_list("start_date", flat=True)) == {expected}

    box = open_dialog(page, live_url, w.selection)
    box.get_by_label("or in working days", exact=True).fill("2")
    start = box.get_by_label("Start", exact=True)
    expect(start).to_have_value(f"{working_days_after(timezone.localdate(), 2):%d.%m.%Y}")
    later = timezone.localdate() + timedelta(days=40)
    start.fill(f"{later:%d.%m.%Y}")
    expect(box.get_by_label("or in working days", exact=True)).to_have_value("")

"""Layout on a laptop (1366x768) and a phone (390x844): every page a salesperson uses
fits the width (no sideways scrolling), and the Generate follow-ups dialog keeps Save and
Cancel in view while its fields scroll, also at 1440x900 with the preview showing.

Each page is photographed at each size into a temporary folder (printed with -s); with
SCREENSHOTS=1 a few of them are also written to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from demo.factories import FollowUpFactory, SelectionFactory
from followups import services
from followups.models import FollowUpType, Priority
from selections.models import Criterion, Selection

from .helpers import dialog, open_dialog, open_task_menu, preview

SIZES = {
    "laptop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}
DESKTOP = {"width": 1440, "height": 900}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The ones kept in docs/screenshots/ (SCREENSHOTS=1); every one goes to the temporary folder.
DOC_SHOTS = {
    "dialog-phone",
    "dialog-laptop",
    "dialog-errors-phone",
    "activity-list-phone",
    "selection-phone",
    "login-phone",
    "followup-laptop",
    "followup-new-nb-phone",
}


def app_world(w: SimpleNamespace) -> SimpleNamespace:
    """crm_world, plus what the other pages show: follow-ups overdue, due today and
    later (with long descriptions), a dynamic selection and one generation."""
    today = timezone.localdate()
    high = Priority.objects.get(name="High")
    followups = [
        FollowUpFactory(
            owner=w.salesperson,
            type=FollowUpType.objects.get(name=type_name),
            company=company,
            person=person,
            start_date=today + timedelta(days=days),
            description=description,
            project=w.projects.drift,
            priority=high,
        )
        for days, type_name, company, person, description in [
            (-3, "Meeting", w.companies.aker, w.persons.ola, "Møte om kontrakten for 2025"),
            (
                0,
                "Phone call",
                w.companies.bryggen,
                w.persons.kari,
                "Ring innkjøpsansvarlig om tilbudet på drift og vedlikehold av anleggene",
            ),
            (2, "Send offer", w.companies.dovre, None, "Send tilbud"),
        ]
    ]
    dynamic = SelectionFactory(name="Alle i Oslo", owner=w.salesperson, kind=Selection.Kind.DYNAMIC)
    dynamic.criteria.create(field=Criterion.Field.CITY, value="Oslo")
    generation, _ = services.followups_generate(
        selection=w.selection,
        creator=w.salesperson,
        scope=services.Scope(),
        settings=services.Settings(
            type=FollowUpType.objects.get(name="To-do"),
            start_date=today + timedelta(days=7),
            description="Ring og følg opp vårkampanjen",
        ),
        key=uuid.uuid4(),
    )
    return SimpleNamespace(world=w, followup=followups[1], dynamic=dynamic, generation=generation)


@pytest.fixture
def app(crm_world) -> SimpleNamespace:
    return app_world(crm_world)


# --- The pages: each visit(page, live_url, app) shows the page and waits for it ---------


def counters_loaded(page: Page) -> None:
    expect(page.locator("#counters .open-badge")).to_be_visible()  # lazy-loaded


def selection_list(page: Page, live_url: str, app: SimpleNamespace) -> None:
    page.goto(f"{live_url}/selections/")
    expect(page.get_by_role("link", name="Kunder Oslo")).to_be_visible()


def selection(page: Page, live_url: str, app: SimpleNamespace) -> None:
    page.goto(f"{live_url}/selections/{app.world.selection.pk}/")
    expect(page.get_by_text("5 members")).to_be_visible()


def selection_dynamic(page: Page, live_url: str, app: SimpleNamespace) -> None:
    page.goto(f"{live_url}/selections/{app.dynamic.pk}/")
    expect(page.get_by_role("heading", name="Criteria")).to_be_visible()
    expect(page.get_by_role("cell", name="Aker Bygg AS").first).to_be_visible()


def dialog_open(page: Page, live_url: str, app: SimpleNamespace) -> None:
    box = open_dialog(page, live_url, app.world.selection)
    expect(preview(box)).to_contain_text("5 follow-ups will be created")


def dialog_errors(page: Page, live_url: str, app: SimpleNamespace) -> None:
    box = open_dialog(page, live_url, app.world.selection)
    expect(preview(box)).to_contain_text("5 follow-ups will be created")
    box.get_by_label("Description", exact=True).fill("")
    box.get_by_role("button", name="Save").click()
    expect(box.locator("#id_description_error")).to_be_visible()
    expect(preview(box)).to_contain_text("5 follow-ups will be created")


def dialog_page(page: Page, live_url: str, app: SimpleNamespace) -> None:
    """The dialog as a page of its own (what a browser without JavaScript gets)."""
    page.goto(f"{live_url}/selections/{app.world.selection.pk}/followups/new/")
    expect(page.locator("dialog#generate-dialog[open]:not([data-modal])")).to_be_visible()
    expect(page.locator("#generate-preview")).to_contain_text("5 follow-ups will be created")


def activity_list(page: Page, live_url: str, app: SimpleNamespace) -> None:
    page.goto(f"{live_url}/activities/")
    expect(page.locator("table.followups tbody tr")).to_have_count(8)


def history(page: Page, live_url: str, app: SimpleNamespace) -> None:
    page.goto(f"{live_url}/activities/history/")
    expect(page.locator("table.followups tbody tr").first).to_be_visible()


def generation_list(page: Page, live_url: str, app: SimpleNamespace) -> None:
    page.goto(f"{live_url}/generations/")
    expect(page.locator("table.generations tbody tr")).to_have_count(1)


def generation(page: Page, live_url: str, app: SimpleNamespace) -> None:
    page.goto(f"{live_url}/generations/{app.generation.pk}/")
    expect(page.locator("table.followups tbody tr")).to_have_count(5)


def followup(page: Page, live_url: str, app: SimpleNamespace) -> None:
    page.goto(f"{live_url}/followups/{app.followup.pk}/")
    expect(page.get_by_role("button", name="Save")).to_be_visible()


def followup_new(page: Page, live_url: str, app: SimpleNamespace) -> None:
    """ "New follow-up" from a company's card: the company filled in."""
    page.goto(f"{live_url}/followups/new/?company={app.world.companies.aker.pk}")
    expect(page.get_by_role("heading", name="New follow-up")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_be_visible()


def search_results(page: Page, live_url: str, app: SimpleNamespace) -> None:
    page.goto(f"{live_url}/activities/search/?q=Ring")
    expect(page.locator("main .quick-results li")).to_have_count(6)


def quick_search(page: Page, live_url: str, app: SimpleNamespace) -> None:
    """The type-ahead under the search field in the top bar."""
    page.goto(f"{live_url}/activities/")
    page.get_by_role(
        "searchbox", name="Quick search: companies, persons and open follow-ups"
    ).press_sequentially("Ring")
    expect(page.locator("#quick-search-results .quick-results li")).to_have_count(6)


def bulk_dialog(page: Page, live_url: str, app: SimpleNamespace) -> None:
    """The confirmation of a change to the ticked rows of the activity list."""
    page.goto(f"{live_url}/activities/")
    page.locator("table.followups tbody tr").first.locator("input[name=ids]").check()
    page.get_by_label("Bulk change").select_option("move")
    page.get_by_role("button", name="The ticked ones…").click()
    box = page.locator("#bulk-dialog")
    box.get_by_label("or by days").fill("7")
    box.get_by_role("button", name="Check").click()
    expect(box.get_by_role("button", name="Change 1 follow-up")).to_be_visible()


def generate_help(page: Page, live_url: str, app: SimpleNamespace) -> None:
    page.goto(f"{live_url}/followups/help/")
    expect(page.locator("main ol > li")).to_have_count(12)


def settings_page(page: Page, live_url: str, app: SimpleNamespace) -> None:
    """Language, date style, e-mail choices and the calendar address."""
    app.world.salesperson.new_calendar_token()
    page.goto(f"{live_url}/crm/settings/")
    expect(page.get_by_label("Calendar address")).to_be_visible()


def login(page: Page, live_url: str, app: SimpleNamespace) -> None:
    page.goto(f"{live_url}/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


Visit = Callable[[Page, str, SimpleNamespace], None]
PAGES: dict[str, Visit] = {
    "selection-list": selection_list,
    "selection": selection,
    "selection-dynamic": selection_dynamic,
    "dialog": dialog_open,
    "dialog-errors": dialog_errors,
    "dialog-page": dialog_page,
    "activity-list": activity_list,
    "history": history,
    "generation-list": generation_list,
    "generation": generation,
    "followup": followup,
    "followup-new": followup_new,
    "search-results": search_results,
    "quick-search": quick_search,
    "bulk-dialog": bulk_dialog,
    "help": generate_help,
    "settings": settings_page,
    "login": login,
}
DIALOGS = {"dialog", "dialog-errors", "dialog-page"}


def show(
    name: str, size: dict, *, page: Page, logged_in_page, live_url: str, app: SimpleNamespace
) -> Page:
    """Sign in as the salesperson (not for the login page), take the size, show the page."""
    if name != "login":
        page = logged_in_page(app.world.salesperson)
    page.set_viewport_size(size)
    PAGES[name](page, live_url, app)
    if name != "login":
        counters_loaded(page)
    return page


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("layout")


def photograph(page: Page, shots: Path, name: str, *, full_page: bool) -> None:
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"screenshot: {path}")
    if os.environ.get("SCREENSHOTS") == "1" and name in DOC_SHOTS:
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)


# The follow-up forms in Norwegian: what each shows once it is there (the dialog's
# preview, the edit form's and the new form's Save).
NORWEGIAN = {
    "dialog": lambda page: expect(preview(dialog(page))).to_contain_text(
        "5 oppfølginger blir opprettet"
    ),
    "followup": lambda page: expect(page.get_by_role("button", name="Lagre")).to_be_visible(),
    "followup-new": lambda page: expect(
        page.get_by_role("heading", name="Ny oppfølging")
    ).to_be_visible(),
}


def show_in_norwegian(name: str, size: dict, *, logged_in_page, live_url: str, app) -> Page:
    """The salesperson switches to Norwegian (the top bar's language choice), then the
    page is shown at the size."""
    page = logged_in_page(app.world.salesperson)
    page.get_by_label("Language").select_option(label="Norsk")  # submits itself
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    page.set_viewport_size(size)
    if name == "dialog":
        page.goto(f"{live_url}/selections/{app.world.selection.pk}/")
        open_task_menu(page).locator("[data-all-choice]").click()
        expect(dialog(page)).to_be_visible()
    elif name == "followup":
        page.goto(f"{live_url}/followups/{app.followup.pk}/")
    else:
        page.goto(f"{live_url}/followups/new/?company={app.world.companies.aker.pk}")
    NORWEGIAN[name](page)
    counters_loaded(page)
    return page


def sideways_overflow(page: Page) -> list[str]:
    """The page's width beyond the window, and the elements that stick out on the right."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth;
            if (document.documentElement.scrollWidth <= width) return [];
            const out = [`scrollWidth ${document.documentElement.scrollWidth} > ${width}`];
            // The outermost elements that stick out on the right.
            const sticksOut = el => el.getBoundingClientRect().right > width + 0.5;
            for (const el of document.querySelectorAll("body *")) {
                if (sticksOut(el) && !sticksOut(el.parentElement)) {
                    const r = el.getBoundingClientRect();
                    out.push(`${el.tagName.toLowerCase()}.${el.className} right=${r.right}`);
                }
                if (out.length > 12) break;
            }
            return out;
        }"""
    )


def in_view(page: Page, name: str) -> None:
    """`name`'s button in the dialog's actions is inside the window and inside the
    dialog, and it is what the pointer finds at its corners and centre: nothing covers
    it and no scrolling box clips it."""
    button = page.locator("#generate-dialog .dialog-actions").get_by_role("button", name=name)
    if not button.count():  # Cancel is a link on the dialog's own page
        button = page.locator("#generate-dialog .dialog-actions").get_by_role("link", name=name)
    expect(button).to_be_visible()
    box = button.bounding_box()
    size = page.viewport_size
    assert box and size
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], (name, box, size)
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (name, box, size)
    dialog = page.locator("#generate-dialog").bounding_box()
    assert dialog
    assert dialog["y"] <= box["y"] and box["y"] + box["height"] <= dialog["y"] + dialog["height"]
    assert dialog["x"] <= box["x"] and box["x"] + box["width"] <= dialog["x"] + dialog["width"]
    found = button.evaluate(
        """b => {
            const r = b.getBoundingClientRect();
            const points = [[r.left + 4, r.top + 4], [r.right - 4, r.bottom - 4],
                            [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
            return points.map(([x, y]) => document.elementFromPoint(x, y))
                .filter(el => !b.contains(el)).map(el => el && el.outerHTML.slice(0, 120));
        }"""
    )
    assert not found, f"{name} is covered or clipped by {found}"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_it_fits_the_width(name, size, page, logged_in_page, live_url, app, shots):
    page = show(
        name, SIZES[size], page=page, logged_in_page=logged_in_page, live_url=live_url, app=app
    )
    photograph(page, shots, f"{name}-{size}", full_page=name not in DIALOGS)
    assert not sideways_overflow(page), sideways_overflow(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if name in DIALOGS:
        dialog = page.locator("#generate-dialog").bounding_box()
        assert dialog and dialog["x"] >= 0
        assert dialog["x"] + dialog["width"] <= SIZES[size]["width"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", NORWEGIAN)
def test_the_follow_up_forms_fit_in_norwegian(name, size, logged_in_page, live_url, app, shots):
    page = show_in_norwegian(
        name, SIZES[size], logged_in_page=logged_in_page, live_url=live_url, app=app
    )
    photograph(page, shots, f"{name}-nb-{size}", full_page=name not in DIALOGS)
    assert not sideways_overflow(page), sideways_overflow(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", [*SIZES, "desktop"])
@pytest.mark.parametrize("name", ["dialog", "dialog-errors", "dialog-page"])
def test_the_dialogs_actions_stay_in_view(name, size, page, logged_in_page, live_url, app, shots):
    viewport = DESKTOP if size == "desktop" else SIZES[size]
    page = show(
        name, viewport, page=page, logged_in_page=logged_in_page, live_url=live_url, app=app
    )
    expect(page.locator("#generate-preview")).to_contain_text("5 follow-ups will be created")
    if size == "desktop":
        photograph(page, shots, f"{name}-{size}", full_page=False)
    in_view(page, "Save")
    in_view(page, "Cancel")
    # The fields scroll, not the buttons: scrolled to the end, they are still in view.
    scroller = "#generate-dialog" if name != "dialog-page" else "html"
    page.locator(scroller).evaluate("el => el.scrollTo(0, el.scrollHeight)")
    in_view(page, "Save")
    page.locator(scroller).evaluate("el => el.scrollTo(0, 0)")
    in_view(page, "Save")


def test_the_phone_dialog_puts_labels_above_fields(page, logged_in_page, live_url, app):
    page = show(
        "dialog",
        SIZES["phone"],
        page=page,
        logged_in_page=logged_in_page,
        live_url=live_url,
        app=app,
    )
    box = page.locator("#generate-dialog")
    label = box.locator("label[for=id_description]").bounding_box()
    field = box.get_by_label("Description", exact=True).bounding_box()
    assert label and field
    assert label["y"] + label["height"] <= field["y"] + 1, (label, field)
    # The field takes the dialog's width, less its padding.
    assert field["width"] >= box.bounding_box()["width"] - 48


@pytest.mark.parametrize("size", SIZES)
def test_the_activities_link_reads_its_counters(size, page, logged_in_page, live_url, app):
    page = show(
        "selection-list",
        SIZES[size],
        page=page,
        logged_in_page=logged_in_page,
        live_url=live_url,
        app=app,
    )
    # Chromium puts a space around each badge (they are flex items): "Activities , …",
    # which a screen reader reads the same as "Activities, …".
    name = re.compile(r"^Activities ?, Overdue: 1 ?, Due today: 1 ?, Open follow-ups: 8$")
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=name)
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", "/activities/")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", ["dialog", "dialog-page"])
def test_the_focus_stays_clear_of_the_dialogs_actions(
    name, size, page, logged_in_page, live_url, app
):
    """Tab through every field to Save, and back: the field with the focus is never
    hidden under the sticky actions (or the sticky header)."""
    page = show(
        name, SIZES[size], page=page, logged_in_page=logged_in_page, live_url=live_url, app=app
    )
    box = page.locator("#generate-dialog")
    first = box.get_by_label("Type", exact=True)
    save = box.locator(".dialog-actions").get_by_role("button", name="Save")
    first.focus()
    for key, target in [("Tab", save), ("Shift+Tab", first)]:
        for _ in range(40):
            page.keyboard.press(key)
            focused = page.evaluate(
                """() => {
                    const el = document.activeElement;
                    const r = el.getBoundingClientRect();
                    const hit = document.elementFromPoint((r.left + r.right) / 2,
                                                          (r.top + r.bottom) / 2);
                    return {what: el.outerHTML.slice(0, 100), seen: el === hit || el.contains(hit)};
                }"""
            )
            assert focused["seen"], f"{key}: the focus is out of sight: {focused['what']}"
            if target.evaluate("el => el === document.activeElement"):
                break
        else:
            raise AssertionError(f"{key} never reached {target}")

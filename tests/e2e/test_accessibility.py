"""axe-core (from the npm registry) on the pages sales staff and administrators use: no
violation with impact "serious" or "critical".

axe-core is pinned in package.json and package-lock.json and installed into the
git-ignored node_modules/ by `make install` (`npm ci`); without npm these tests skip,
unless E2E_REQUIRED=1 (CI).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from demo.factories import FollowUpFactory
from followups.models import FollowUpType, Priority

from .helpers import open_dialog, preview
from .test_layout import PAGES, SIZES, app_world, show

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """node_modules/axe-core/axe.min.js, as `make install` installs it."""
    if not AXE.exists():
        if shutil.which("npm") is None:
            message = "npm not found: cannot install axe-core for the accessibility checks"
            if os.environ.get("E2E_REQUIRED") == "1":
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        pytest.fail(f"{AXE} is missing: run make install (npm ci)", pytrace=False)
    return AXE


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """The app's Content-Security-Policy (script-src 'self') blocks the inline script
    add_script_tag() injects: these tests only bypass it to inject axe."""
    return {**browser_context_args, "bypass_csp": True}


def serious_violations(page: Page, axe_script: Path) -> list[dict]:
    """Run axe on the whole document; the serious and critical violations, with where."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => ({target: n.target.join(" "),
                                                  html: n.html.slice(0, 200),
                                                  summary: n.failureSummary}))}))"""
    )
    return [v for v in violations if v["impact"] in BLOCKING]


def report(violations: list[dict]) -> str:
    return json.dumps(violations, indent=2, ensure_ascii=False)


def assert_accessible(page: Page, axe_script: Path, where: str) -> None:
    found = serious_violations(page, axe_script)
    assert not found, f"axe: serious/critical violations on {where}:\n{report(found)}"


def test_axe_selection_page(crm_world, logged_in_page, live_url, axe_script):
    page = logged_in_page(crm_world.salesperson)
    page.goto(f"{live_url}/selections/{crm_world.selection.pk}/")
    expect(page.get_by_text("5 members")).to_be_visible()
    expect(page.locator("#counters .open-badge")).to_be_visible()  # lazy-loaded
    assert_accessible(page, axe_script, "the selection page")


def test_axe_open_dialog(crm_world, logged_in_page, live_url, axe_script):
    page = logged_in_page(crm_world.salesperson)
    box = open_dialog(page, live_url, crm_world.selection)
    expect(preview(box)).to_contain_text("5 follow-ups will be created")
    assert_accessible(page, axe_script, "the open Generate follow-ups dialog")

    # With the project suggestions open, and with errors shown.
    box.get_by_role("combobox", name="Project", exact=True).press_sequentially("Nordl")
    expect(box.get_by_role("listbox")).to_be_visible()
    assert_accessible(page, axe_script, "the dialog with the project suggestions open")
    page.keyboard.press("Escape")
    box.get_by_role("button", name="Save").click()
    expect(box.locator("#id_description_error")).to_be_visible()
    assert_accessible(page, axe_script, "the dialog showing validation errors")


def test_axe_activity_list(crm_world, logged_in_page, live_url, axe_script):
    w = crm_world
    today = timezone.localdate()
    high = Priority.objects.get(name="High")
    for days, type_name, company, description in [
        (-3, "Meeting", w.companies.aker, "Møte om kontrakten"),
        (0, "Phone call", w.companies.bryggen, "Ring innkjøpsansvarlig"),
        (2, "Send offer", w.companies.dovre, "Send tilbud"),
    ]:
        FollowUpFactory(
            owner=w.salesperson,
            type=FollowUpType.objects.get(name=type_name),
            company=company,
            start_date=today + timedelta(days=days),
            description=description,
            project=w.projects.drift,
            priority=high,
        )
    FollowUpFactory(
        owner=w.salesperson,
        type=FollowUpType.objects.get(name="To-do"),
        company=w.companies.aker,
        start_date=today,
        description="Allerede gjort",
        completed=True,
    )
    page = logged_in_page(w.salesperson)
    page.goto(f"{live_url}/activities/")
    expect(page.locator("table.followups tbody tr")).to_have_count(4)
    expect(page.locator("#counters .open-badge")).to_be_visible()
    assert_accessible(page, axe_script, "the activity list")


@pytest.mark.parametrize("model", ["followuptype", "priority"])
def test_axe_admin_changelists(crm_world, logged_in_page, live_url, axe_script, model):
    admin = crm_world.manager
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    page = logged_in_page(admin)
    page.goto(f"{live_url}/admin/followups/{model}/")
    expect(page.locator("#result_list tbody tr")).to_have_count(5 if model == "followuptype" else 3)
    assert_accessible(page, axe_script, f"the admin changelist /admin/followups/{model}/")


@pytest.fixture
def app(crm_world):
    return app_world(crm_world)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_axe_every_page_on_a_laptop_and_a_phone(
    name, size, page, logged_in_page, live_url, app, axe_script
):
    """Every page a salesperson uses (tests/e2e/test_layout.py), at both sizes."""
    page = show(
        name, SIZES[size], page=page, logged_in_page=logged_in_page, live_url=live_url, app=app
    )
    assert_accessible(page, axe_script, f"{name} at {SIZES[size]['width']} px")


def test_axe_dialog_spreading_across_a_user_group(crm_world, logged_in_page, live_url, axe_script):
    page = logged_in_page(crm_world.manager)
    box = open_dialog(page, live_url, crm_world.selection)
    box.get_by_label("User group", exact=True).select_option(label="Salg Oslo")
    box.get_by_label("By open load (fewer open follow-ups get more)").check()
    box.get_by_label("Spread the start over", exact=True).fill("3")
    expect(preview(box)).to_contain_text("Starts spread over 3 working days")
    expect(preview(box).locator("table.preview-spread")).to_be_visible()
    assert_accessible(page, axe_script, "the dialog spreading across a user group")


def test_axe_background_generation(crm_world, logged_in_page, live_url, axe_script, settings):
    """The dialog's progress bar after a big Save, and the Generations page listing it."""
    settings.BACKGROUND_GENERATION_ABOVE = 2
    page = logged_in_page(crm_world.salesperson)
    box = open_dialog(page, live_url, crm_world.selection)
    box.get_by_label("Description", exact=True).fill("Vårkampanje")
    expect(preview(box)).to_contain_text("5 follow-ups will be created")
    box.get_by_role("button", name="Save").click()
    expect(box.get_by_role("progressbar")).to_be_visible()
    assert_accessible(page, axe_script, "the dialog's progress bar")
    page.goto(f"{live_url}/generations/")
    expect(page.get_by_role("progressbar")).to_be_visible()
    assert_accessible(page, axe_script, "the Generations page with a job under way")

"""Norsk bokmål: the dialog in the help page's own words, a save in Norwegian, and the
choice remembered for the associate (Associate.language) across logins."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import Page, expect

from crm.models import Associate
from demo.factories import DEMO_PASSWORD
from followups.models import FollowUp

from .helpers import dialog, fit_dialog_in_viewport, preview


def switch_to_norwegian(page: Page) -> None:
    page.get_by_label("Language").select_option(label="Norsk")  # submits itself
    expect(page.get_by_role("button", name="Logg ut")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nb")


def test_norwegian_dialog_uses_the_help_pages_words_and_saves(
    crm_world, logged_in_page, live_url, screenshot
):
    w = crm_world
    page = logged_in_page(w.salesperson)
    page.goto(f"{live_url}/selections/{w.selection.pk}/")
    switch_to_norwegian(page)
    expect(page).to_have_url(f"{live_url}/selections/{w.selection.pk}/")  # back where it was
    expect(page.get_by_role("tab", name="Firma/person")).to_be_visible()

    page.locator("details[data-menu] > summary").click()
    expect(page.locator("details[data-menu] > summary")).to_contain_text("Oppgave")
    page.get_by_role("button", name="Lag oppfølginger").click()
    box = dialog(page)
    expect(box.get_by_role("heading", name="Generer oppfølginger")).to_be_visible()
    expect(box.get_by_label("Type", exact=True)).to_be_focused()

    # The help page's words, as the labels assistive technology reads.
    start = box.get_by_label("Start", exact=True)
    expect(start).to_have_value(f"{timezone.localdate():%d.%m.%Y}")
    expect(start).to_have_attribute("placeholder", "dd.mm.åååå")
    expect(box.get_by_role("button", name="Velg en dato")).to_be_visible()
    description = box.get_by_label("Beskrivelse", exact=True)
    project = box.get_by_role("combobox", name="Prosjekt", exact=True)
    priority = box.get_by_label("Prioritet", exact=True)
    completed = box.get_by_label("Utført", exact=True)
    one_per_company = box.get_by_label("Opprett bare én oppfølging på hvert firma", exact=True)
    for control in (description, project, priority, completed, one_per_company):
        expect(control).to_be_visible()
    expect(box.get_by_role("radio", name="Min aktivitetsliste", exact=True)).to_be_checked()
    expect(
        box.get_by_role("radio", name="Bedriftseierens (vår kontaktpersons) aktivitetsliste")
    ).to_be_disabled()
    expect(box.get_by_role("radio", name="Annen medarbeider", exact=True)).to_be_visible()
    expect(box.get_by_role("button", name="Lagre", exact=True)).to_be_visible()
    expect(box.get_by_role("button", name="Avbryt", exact=True)).to_be_visible()
    expect(preview(box)).to_contain_text("5 oppfølginger blir opprettet")
    # The lists administrators manage, in Norwegian too (the help page's høy, middels, lav).
    expect(box.get_by_label("Type", exact=True).locator("option")).to_have_text(
        ["Møte", "Telefonsamtale", "Gjøremål", "Presentasjon", "Send tilbud"]
    )
    expect(priority.locator("option")).to_have_text(["", "Høy", "Middels", "Lav"])

    description.fill("Følg opp etter messen")
    project.press_sequentially("nordlys u")
    box.get_by_role("option", name="Nordlys Utvidelse").click()
    expect(project).to_have_value("Nordlys Utvidelse")
    one_per_company.check()
    expect(preview(box)).to_contain_text("4 oppfølginger blir opprettet")
    fit_dialog_in_viewport(page)
    screenshot(page, "dialog-nb")

    box.get_by_role("button", name="Lagre", exact=True).click()
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text(
        "Opprettet 4 oppfølginger i aktivitetslisten din."
    )
    assert FollowUp.objects.filter(owner=w.salesperson, project=w.projects.utvidelse).count() == 4

    # Dates in the user's locale (Norwegian: dd.mm.yyyy).
    page.get_by_role("link", name="Aktiviteter").click()
    expect(page.get_by_role("heading", name="Mine aktiviteter")).to_be_visible()
    expect(page.locator("table.followups td.date").first).to_have_text(
        f"{timezone.localdate():%d.%m.%Y}"
    )
    expect(page.locator("table.followups tbody tr").first).to_contain_text("Møte")


def test_norwegian_is_remembered_after_logging_out_and_in(
    crm_world, logged_in_page, live_url, page
):
    w = crm_world
    logged_in_page(w.salesperson)
    switch_to_norwegian(page)
    assert Associate.objects.get(pk=w.salesperson.pk).language == "nb"

    page.get_by_role("button", name="Logg ut").click()
    # A new browser (no language cookie): the login page follows the browser (English) ...
    page.context.clear_cookies()
    page.goto(f"{live_url}/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Username").fill(w.salesperson.user.username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # ... and once logged in, the associate's own language.
    expect(page.get_by_role("button", name="Logg ut")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    page.goto(f"{live_url}/selections/{w.selection.pk}/")
    expect(page.get_by_role("tab", name="Firma/person")).to_be_visible()

    # Switching back is remembered too.
    page.get_by_label("Språk").select_option(label="English")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert Associate.objects.get(pk=w.salesperson.pk).language == "en"

"""The settings page's e-mail choices and calendar address, in a real browser, on a
laptop (1366x768) and a phone (390x844)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

SIZES = {"laptop": (1366, 768), "phone": (390, 844)}


def fits_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_settings_page_sets_the_email_choices_and_the_calendar_address(
    logged_in_page, live_url, salesperson, screenshot
):
    page = logged_in_page(salesperson)
    page.goto(f"{live_url}/crm/settings/")
    notice = page.get_by_label("E-mail when given follow-ups")
    digest = page.get_by_label("Morning digest")
    expect(notice).to_be_checked()  # the defaults: notice on, digest off
    expect(digest).not_to_be_checked()

    notice.uncheck()
    digest.check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your settings are saved.")).to_be_visible()
    expect(page.get_by_label("E-mail when given follow-ups")).not_to_be_checked()
    expect(page.get_by_label("Morning digest")).to_be_checked()
    salesperson.refresh_from_db()
    assert (salesperson.notify_assignments, salesperson.morning_digest) == (False, True)

    page.get_by_role("button", name="Make my calendar address").click()
    address = page.get_by_label("Calendar address")
    expect(address).to_have_value(f"http://127.0.0.1:8000/calendar/{_token(salesperson)}.ics")
    expect(page.get_by_text("Subscribe from web")).to_be_visible()
    expect(page.get_by_text("From URL")).to_be_visible()
    first = address.input_value()
    feed = first.replace("http://127.0.0.1:8000", live_url)
    answer = page.request.get(feed)
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"

    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        expect(address).to_be_visible()
        assert fits_width(page), f"the settings page scrolls sideways on a {name}"
        screenshot(page, f"settings-{name}")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="New address").click()
    expect(page.get_by_text("The old address no longer works.")).to_be_visible()
    assert page.get_by_label("Calendar address").input_value() != first
    assert page.request.get(feed).status == 404


def _token(associate) -> str:
    associate.refresh_from_db()
    return associate.calendar_token

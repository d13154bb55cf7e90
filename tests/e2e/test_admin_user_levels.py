"""An administrator sets up a salesperson in one form (login, user level, user groups);
the new salesperson switches the login page to Norwegian, logs in and picks a date
style."""

from __future__ import annotations

from playwright.sync_api import expect

from crm.models import Associate
from demo.factories import UserGroupFactory

PASSWORD = "Fjordlys-2026!"
SIZES = {"laptop": (1366, 768), "phone": (390, 844)}


def test_admin_creates_a_salesperson_who_then_logs_in(
    crm_world, logged_in_page, live_url, screenshot
):
    admin = crm_world.manager
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    bergen = UserGroupFactory(name="Salg Bergen")
    page = logged_in_page(admin)

    # Both pages are on the admin's start page.
    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("link", name="User levels")).to_be_visible()
    screenshot(page, "admin-index")
    page.get_by_role("link", name="User levels").click()
    expect(page.get_by_role("heading", name="Salesperson")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Can create tasks for a selection")).to_have_count(3)
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"admin-user-levels-{name}")
    page.set_viewport_size({"width": 1366, "height": 768})

    page.goto(f"{live_url}/admin/")
    page.get_by_role("link", name="New associate with login").click()

    # Saved empty: each error next to its field.
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-username .errorlist")).to_have_text("This field is required.")
    expect(page.locator(".field-role .errorlist")).to_have_text("Choose a user level.")
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"admin-new-associate-{name}")
    page.set_viewport_size({"width": 1366, "height": 768})

    page.get_by_label("Username").fill("ingrid")
    page.get_by_label("First name").fill("Ingrid")
    page.get_by_label("Last name").fill("Dahl")
    page.get_by_label("Email address").fill("ingrid@example.no")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_label("User level").select_option(label="Salesperson")
    page.get_by_label("Primary user group").select_option(label="Salg Oslo")
    page.get_by_role("checkbox", name="Salg Bergen").check()
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(f"{live_url}/admin/crm/associate/", timeout=15_000)
    expect(page.locator(".messagelist")).to_contain_text(
        "Added Ingrid Dahl (login ingrid) as Salesperson."
    )
    associate = Associate.objects.get(user__username="ingrid")
    assert list(associate.other_groups.all()) == [bergen]

    # Log out of the admin; the new salesperson logs in, in Norwegian.
    page.goto(f"{live_url}/activities/")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_role("button", name="Norsk bokmål").click()
    expect(page.get_by_role("heading", name="Logg inn")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "login-language-phone")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.get_by_label("Brukernavn").fill("ingrid")
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("button", name="Logg ut")).to_be_visible()
    expect(page.locator(".user-name")).to_have_text("Ingrid Dahl")

    # Her own settings, from the top bar: the US style.
    page.get_by_role("link", name="Innstillinger").click()
    expect(page.get_by_role("radio", name="Dag først, 24 timer (01.12.2026 19:49)")).to_be_checked()
    page.get_by_role("radio", name="USA (12/01/2026 7:49 p.m.)").check()
    screenshot(page, "settings-laptop")
    page.get_by_role("button", name="Lagre").click()
    expect(page.locator("#messages")).to_contain_text("Innstillingene dine er lagret.")
    associate.refresh_from_db()
    assert associate.date_style == "us"

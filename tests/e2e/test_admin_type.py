"""An administrator manages follow-up types in Django admin; the dialog offers the active
ones, by rank."""

from __future__ import annotations

from playwright.sync_api import expect

from followups.models import FollowUp, FollowUpType

from .helpers import dialog, open_dialog


def test_admin_adds_a_type_and_deactivates_another(crm_world, logged_in_page, live_url):
    w = crm_world
    admin = w.manager
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    page = logged_in_page(admin)

    # Add "Site visit", first by rank.
    page.get_by_role("link", name="Administration").click()
    expect(page).to_have_url(f"{live_url}/admin/")
    page.goto(f"{live_url}/admin/followups/followuptype/add/")
    page.get_by_label("Name (English)").fill("Site visit")
    page.get_by_label("Name (Norwegian Bokmål)").fill("Befaring")
    page.get_by_label("Kind").select_option(label="Appointment")
    page.get_by_label("Colour").fill("#0a7d6e")
    page.get_by_label("Rank").fill("5")
    expect(page.get_by_label("Active")).to_be_checked()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("Site visit")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    # Deactivate "Presentation".
    page.get_by_role("link", name="Presentation", exact=True).click()
    page.get_by_label("Active").uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert not FollowUpType.objects.get(name="Presentation").active

    box = open_dialog(page, live_url, w.selection)
    options = box.get_by_label("Type", exact=True).locator("option")
    assert options.all_text_contents() == [
        "Site visit",
        "Meeting",
        "Phone call",
        "To-do",
        "Send offer",
    ]
    expect(box.get_by_label("Type", exact=True)).to_have_value(
        str(FollowUpType.objects.get(name="Site visit").pk)
    )
    box.get_by_label("Description", exact=True).fill("Befaring")
    box.get_by_role("button", name="Save").click()
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Created 5 follow-ups")
    assert set(FollowUp.objects.values_list("type__name", "type__name_nb")) == {
        ("Site visit", "Befaring")
    }

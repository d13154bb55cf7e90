"""The e-mail choices and the calendar address on the associate's settings page, and in
Django admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import Associate

pytestmark = pytest.mark.django_db

URL = reverse("crm:settings")


def test_the_defaults_are_notice_on_and_digest_off(login, salesperson):
    page = login(salesperson).get(URL).content.decode()
    assert (
        'name="notify_assignments" aria-describedby="id_notify_assignments_helptext" id="id_notify_assignments" checked'
        in page
    )
    assert (
        'name="morning_digest" aria-describedby="id_morning_digest_helptext" id="id_morning_digest">'
        in page
    )
    assert "Make my calendar address" in page


def test_it_saves_the_choices(login, salesperson):
    response = login(salesperson).post(
        URL, {"language": "en", "date_style": "dmy", "morning_digest": "on"}
    )
    assert response.status_code == 302
    salesperson.refresh_from_db()
    assert (salesperson.notify_assignments, salesperson.morning_digest) == (False, True)


def test_a_wrong_value_is_told_next_to_its_field(login, salesperson):
    response = login(salesperson).post(
        URL, {"language": "xx", "date_style": "dmy", "morning_digest": "on"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    salesperson.refresh_from_db()
    assert salesperson.morning_digest is False


def test_it_shows_the_calendar_address_and_how_to_subscribe(login, salesperson, settings):
    settings.SITE_URL = "https://crm.example.com"
    token = salesperson.new_calendar_token()
    page = login(salesperson).get(URL).content.decode()
    assert f"https://crm.example.com/calendar/{token}.ics" in page
    assert "Subscribe from web" in page and "From URL" in page
    assert "New address" in page


def test_the_page_takes_a_fixed_number_of_queries(login, salesperson, django_assert_num_queries):
    salesperson.new_calendar_token()
    client = login(salesperson)
    # 1: the session; 2: the user; 3: the associate (user, primary group); 4: its other
    # user groups. The calendar address is the associate's own: no query of its own.
    with django_assert_num_queries(4):
        response = client.get(URL)
    assert response.status_code == 200


def test_a_new_token_needs_a_post_and_a_login(client, salesperson):
    assert client.post(reverse("crm:calendar_token")).status_code == 302  # to the login
    salesperson.refresh_from_db()
    assert salesperson.calendar_token == ""
    client.force_login(salesperson.user)
    assert client.get(reverse("crm:calendar_token")).status_code == 405


def test_it_checks_ownership(login, salesperson, outsider):
    """A new address is made for the associate who is logged in, whatever is posted."""
    outsider.new_calendar_token()
    before = outsider.calendar_token
    login(salesperson).post(reverse("crm:calendar_token"), {"associate": outsider.pk})
    outsider.refresh_from_db()
    salesperson.refresh_from_db()
    assert outsider.calendar_token == before
    assert len(salesperson.calendar_token) >= 40


def test_admin_shows_and_changes_the_choices(client, manager, salesperson):
    manager.user.is_staff = manager.user.is_superuser = True
    manager.user.save()
    client.force_login(manager.user)
    url = reverse("admin:crm_associate_change", args=[salesperson.pk])
    page = client.get(url).content.decode()
    assert 'name="notify_assignments"' in page and 'name="morning_digest"' in page
    assert "calendar_token" not in page  # the secret is not shown
    listing = client.get(reverse("admin:crm_associate_changelist"), {"morning_digest__exact": 0})
    assert listing.status_code == 200
    assert Associate.objects.filter(morning_digest=False).exists()


def test_admin_lists_the_digests_sent_read_only(client, manager, salesperson):
    from datetime import date

    from notices.models import DigestSent

    DigestSent.objects.create(associate=salesperson, day=date(2026, 12, 2))
    manager.user.is_staff = manager.user.is_superuser = True
    manager.user.save()
    client.force_login(manager.user)
    listing = client.get(reverse("admin:notices_digestsent_changelist"))
    assert listing.status_code == 200
    assert salesperson.name in listing.content.decode()
    assert client.get(reverse("admin:notices_digestsent_add")).status_code == 403

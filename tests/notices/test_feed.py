"""The personal calendar feed: the owner's open follow-ups as all-day events, read back
with icalendar's own parser; a secret, revocable address."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    FollowUpFactory,
    FollowUpTypeFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db


def feed_url(associate) -> str:
    return reverse("calendar_feed", args=[associate.calendar_token])


def parsed(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(b"".join(response.streaming_content))


@pytest.fixture
def owner(salesperson, settings):
    settings.SITE_URL = "https://crm.example.com"
    salesperson.new_calendar_token()
    return salesperson


def test_it_holds_exactly_the_owners_open_followups(client, owner, group):
    visit = FollowUpTypeFactory(name="Site visit", name_nb="Befaring")
    company = CompanyFactory(name="Aker Bygg, Oslo; AS")
    person = PersonFactory(first_name="Ola", last_name="Nordmann", company=company)
    first = FollowUpFactory(
        owner=owner,
        type=visit,
        start_date=date(2026, 12, 7),
        description="Ring om tilbudet; pris, levering\nAndre linje \\ med æøå",
        company=company,
        person=person,
    )
    second = FollowUpFactory(owner=owner, start_date=date(2026, 11, 30), description="x" * 300)
    FollowUpFactory(owner=owner, completed=True, completed_at=timezone.now())
    FollowUpFactory(owner=AssociateFactory(primary_group=group))  # a colleague's

    calendar = parsed(client.get(feed_url(owner)))

    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [
        f"followup-{second.pk}@crm.example.com",
        f"followup-{first.pk}@crm.example.com",
    ]
    event = events[1]
    assert event.decoded("DTSTART") == date(2026, 12, 7)
    assert event.decoded("DTEND") == date(2026, 12, 8)
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert str(event["SUMMARY"]) == "Site visit: Ring om tilbudet; pris, levering"
    assert str(event["DESCRIPTION"]) == first.description
    assert str(event["LOCATION"]) == "Aker Bygg, Oslo; AS"
    assert str(event["URL"]) == f"https://crm.example.com/followups/{first.pk}/"
    assert str(events[0]["DESCRIPTION"]) == "x" * 300  # folded, and unfolded again
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == f"Follow-ups: {owner.name}"


def test_its_uids_are_stable_and_a_completed_one_drops_out(client, owner):
    kept, done = FollowUpFactory.create_batch(2, owner=owner)
    before = [str(e["UID"]) for e in parsed(client.get(feed_url(owner))).walk("VEVENT")]
    done.completed, done.completed_at = True, timezone.now()
    done.save()

    after = [str(e["UID"]) for e in parsed(client.get(feed_url(owner))).walk("VEVENT")]

    assert len(before) == 2
    assert after == [uid for uid in before if uid.startswith(f"followup-{kept.pk}@")]


def test_it_names_types_in_the_owners_language(client, owner):
    owner.language = "nb"
    owner.save()
    visit = FollowUpTypeFactory(name="Site visit", name_nb="Befaring")
    FollowUpFactory(owner=owner, type=visit, description="Sjekk taket")

    (event,) = parsed(client.get(feed_url(owner))).walk("VEVENT")

    assert str(event["SUMMARY"]) == "Befaring: Sjekk taket"


def test_a_new_token_makes_the_old_address_answer_404(client, owner, login):
    old = feed_url(owner)
    assert client.get(old).status_code == 200

    response = login(owner).post(reverse("crm:calendar_token"))

    assert response.status_code == 302
    owner.refresh_from_db()
    assert client.get(old).status_code == 404
    assert client.get(feed_url(owner)).status_code == 200


@pytest.mark.parametrize("token", ["nope", "x" * 65, "%00", " "])
def test_an_unknown_address_answers_404(client, owner, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_an_inactive_associates_feed_answers_404(client, owner):
    owner.active = False
    owner.save()
    assert client.get(feed_url(owner)).status_code == 404


def test_the_feed_needs_no_login_and_a_fixed_number_of_queries(
    client, owner, django_assert_num_queries
):
    FollowUpFactory.create_batch(30, owner=owner, start_date=date.today() + timedelta(3))
    # The associate by token (with the login), the types' names, the follow-ups.
    with django_assert_num_queries(3):
        calendar = parsed(client.get(feed_url(owner)))
    assert len(calendar.walk("VEVENT")) == 30

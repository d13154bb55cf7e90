"""The calendar feed's timed events: an appointment or a phone call with a time is an
event at that time (DTSTART, and DTEND with a duration, as aware datetimes); one without
a time stays an all-day event. Read back with icalendar's parser."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from demo.factories import FollowUpFactory, FollowUpTypeFactory
from followups.models import FollowUpType

pytestmark = pytest.mark.django_db

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


def test_a_followup_with_a_time_is_a_timed_event(client, salesperson):
    salesperson.new_calendar_token()
    call = FollowUpTypeFactory(name="Timed call", kind=FollowUpType.Kind.PHONE_CALL)
    with_end = FollowUpFactory(
        owner=salesperson,
        type=call,
        start_date=date(2026, 12, 1),
        start_at=datetime(2026, 12, 1, 10, 30, tzinfo=OSLO),
        duration=timedelta(minutes=45),
    )
    no_end = FollowUpFactory(
        owner=salesperson,
        type=call,
        start_date=date(2026, 12, 2),
        start_at=datetime(2026, 12, 2, 8, 0, tzinfo=OSLO),
    )
    all_day = FollowUpFactory(owner=salesperson, start_date=date(2026, 12, 3))

    response = client.get(reverse("calendar_feed", args=[salesperson.calendar_token]))

    events = {
        str(e["UID"]).split("@")[0]: e
        for e in Calendar.from_ical(b"".join(response.streaming_content)).walk("VEVENT")
    }
    timed = events[f"followup-{with_end.pk}"]
    assert timed.decoded("DTSTART") == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert timed.decoded("DTEND") == datetime(2026, 12, 1, 10, 15, tzinfo=UTC)
    assert "VALUE" not in timed["DTSTART"].params
    instant = events[f"followup-{no_end.pk}"]
    assert instant.decoded("DTSTART") == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    assert "DTEND" not in instant
    day = events[f"followup-{all_day.pk}"]
    assert day.decoded("DTSTART") == date(2026, 12, 3)
    assert day.decoded("DTEND") == date(2026, 12, 4)
    assert day["DTSTART"].params["VALUE"] == "DATE"

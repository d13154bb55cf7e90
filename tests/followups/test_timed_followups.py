"""A time of day and a duration for appointments and phone calls: stored as an aware
start_at on the start date, typed and shown in the associate's time zone; a task stays
a date."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from crm import dates
from demo.factories import FollowUpFactory, FollowUpTypeFactory
from followups import services
from followups.models import BulkChange, FollowUp, FollowUpType, check_timing, timed_start

pytestmark = pytest.mark.django_db

URL = reverse("followups:new")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
DAY = date(2026, 12, 1)


@pytest.fixture
def meeting(db):
    return FollowUpTypeFactory(name="Timed meeting", kind=FollowUpType.Kind.APPOINTMENT)


@pytest.fixture
def task(db):
    return FollowUpTypeFactory(name="Plain to-do", kind=FollowUpType.Kind.TASK)


def in_zone(client, name: str):
    """The client's session in that time zone, as logging in leaves it."""
    session = client.session
    session[dates.TIME_ZONE_SESSION_KEY] = name
    session.save()
    return client


@pytest.fixture
def data(meeting, salesperson):
    def _data(**changes) -> dict:
        values = {
            "type": str(meeting.pk),
            "start_date": "01.12.2026",
            "start_time": "",
            "duration": "",
            "description": "Møte om avtalen",
            "project_text": "",
            "project": "",
            "priority": "",
            "owner": str(salesperson.pk),
        }
        values.update(changes)
        return values

    return _data


# The database and the one rule -----------------------------------------------------------


def test_a_duration_needs_a_time_in_the_database(salesperson):
    followup = FollowUpFactory(owner=salesperson)
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=followup.pk).update(duration=timedelta(minutes=30))


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(minutes=-5), timedelta(hours=25)])
def test_a_duration_is_more_than_nothing_and_at_most_a_day_in_the_database(salesperson, duration):
    followup = FollowUpFactory(owner=salesperson)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=followup.pk).update(start_at=start, duration=duration)


def test_a_day_long_duration_is_stored_and_read_back(salesperson, meeting):
    start = datetime(2026, 12, 1, 9, 0, tzinfo=OSLO)
    followup = FollowUpFactory(
        owner=salesperson, type=meeting, start_date=DAY, start_at=start, duration=timedelta(days=1)
    )
    followup.refresh_from_db()
    assert (followup.start_at, followup.duration) == (start, timedelta(days=1))
    assert followup.end_at == start + timedelta(days=1)


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(ValidationError, match="does not exist on that day"):
        timed_start(date(2026, 3, 29), time(2, 30), OSLO)
    assert timed_start(date(2026, 3, 29), time(3, 30), OSLO) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )
    # The hour that comes twice in autumn is read as the first of the two.
    assert timed_start(date(2026, 10, 25), time(2, 30), OSLO).astimezone(UTC) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_the_time_must_be_on_the_start_date_where_it_was_typed():
    late = datetime(2026, 12, 1, 23, 30, tzinfo=NEW_YORK)  # 2 December in Oslo and UTC
    rule = {"kind": FollowUpType.Kind.APPOINTMENT, "start_at": late, "duration": None}
    check_timing(start_date=DAY, zone=NEW_YORK, **rule)
    with pytest.raises(ValidationError, match="not on the start date"):
        check_timing(start_date=DAY, zone=OSLO, **rule)
    with pytest.raises(ValidationError, match="Only appointments"):
        check_timing(**{**rule, "kind": FollowUpType.Kind.TASK}, start_date=DAY, zone=NEW_YORK)


def test_the_service_that_writes_refuses_a_time_off_the_start_date(salesperson, meeting):
    values = {
        "type": meeting,
        "start_date": DAY,
        "start_at": datetime(2026, 12, 2, 9, 0, tzinfo=OSLO),
        "duration": None,
        "description": "x",
        "owner": salesperson,
    }
    with timezone.override(OSLO), pytest.raises(ValidationError):
        services.followup_create(values=values, by=salesperson)
    assert not FollowUp.objects.exists()


# A new follow-up -------------------------------------------------------------------------


def test_a_meeting_gets_a_time_and_a_duration_in_the_associates_time_zone(login, salesperson, data):
    client = in_zone(login(salesperson), "America/New_York")

    response = client.post(URL, data(start_time="10:30", duration="0:45"))

    followup = FollowUp.objects.get()
    assert response.status_code == 302
    assert followup.start_date == DAY
    assert followup.start_at == datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # 10:30 in New York
    assert followup.duration == timedelta(minutes=45)


@pytest.mark.parametrize(
    ("typed", "minutes"), [("45", 45), ("1:30", 90), ("1.30", 90), ("24:00", 1440)]
)
def test_a_duration_is_typed_in_minutes_or_hours_and_minutes(
    login, salesperson, data, typed, minutes
):
    login(salesperson).post(URL, data(start_time="10.30", duration=typed))

    followup = FollowUp.objects.get()
    assert followup.duration == timedelta(minutes=minutes)
    assert timezone.localtime(followup.start_at, OSLO).time() == time(10, 30)


def test_without_a_time_a_meeting_is_a_date(login, salesperson, data):
    login(salesperson).post(URL, data())

    followup = FollowUp.objects.get()
    assert (followup.start_date, followup.start_at, followup.duration) == (DAY, None, None)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"start_time": "25:99"}, "start_time", "Enter a time of day from 00:00 to 23:59"),
        ({"start_time": "kl 10"}, "start_time", "Enter a time of day from 00:00 to 23:59"),
        ({"start_time": "10:00", "duration": "-30"}, "duration", "more than 0 minutes"),
        ({"start_time": "10:00", "duration": "0"}, "duration", "more than 0 minutes"),
        ({"start_time": "10:00", "duration": "24:01"}, "duration", "at most 24 hours"),
        ({"start_time": "10:00", "duration": "99999"}, "duration", "Enter the duration in"),
        ({"start_time": "10:00", "duration": "en time"}, "duration", "Enter the duration in"),
        ({"duration": "30"}, "duration", "Enter a start time for the duration"),
        (
            {"start_date": "29.03.2026", "start_time": "02:30"},
            "start_time",
            "does not exist on that day",
        ),
    ],
)
def test_bad_times_are_answered_next_to_their_fields(
    login, salesperson, data, changes, field, message
):
    response = login(salesperson).post(URL, data(**changes))

    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not FollowUp.objects.exists()


def test_a_task_refuses_a_time_and_a_duration(login, salesperson, data, task):
    response = login(salesperson).post(
        URL, data(type=str(task.pk), start_time="10:00", duration="30")
    )

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert "Only appointments and phone calls have a start time" in errors["start_time"][0]
    assert "Only appointments and phone calls have a duration" in errors["duration"][0]
    assert not FollowUp.objects.exists()


def test_the_form_marks_the_types_with_a_time(login, salesperson, meeting, task):
    html = login(salesperson).get(URL).content.decode()

    assert "data-kind-select" in html
    assert f'<option value="{meeting.pk}" data-timed>' in html
    assert f'<option value="{task.pk}">' in html
    assert html.count("data-time-field") == 2


# Editing ---------------------------------------------------------------------------------


def test_the_edit_form_shows_the_time_in_the_associates_zone_and_saves_a_new_one(
    login, salesperson, meeting, data
):
    followup = FollowUpFactory(
        owner=salesperson,
        type=meeting,
        start_date=DAY,
        start_at=datetime(2026, 12, 1, 15, 30, tzinfo=UTC),
        duration=timedelta(minutes=45),
    )
    client = in_zone(login(salesperson), "America/New_York")
    page = reverse("followups:detail", args=[followup.pk])

    html = client.get(page).content.decode()
    assert 'value="10:30"' in html and 'value="0:45"' in html

    client.post(page, data(start_date="02.12.2026", start_time="23:15", duration="1:00"))
    followup.refresh_from_db()
    assert followup.start_date == date(2026, 12, 2)
    assert followup.start_at == datetime(2026, 12, 3, 4, 15, tzinfo=UTC)
    assert followup.duration == timedelta(hours=1)

    client.post(page, data(start_date="02.12.2026"))  # the time cleared: a date again
    followup.refresh_from_db()
    assert (followup.start_at, followup.duration) == (None, None)


# Moving many at once ---------------------------------------------------------------------


def test_a_bulk_move_keeps_the_time_of_day(login, salesperson, meeting):
    followup = FollowUpFactory(
        owner=salesperson,
        type=meeting,
        start_date=DAY,
        start_at=datetime(2026, 12, 1, 10, 30, tzinfo=OSLO),
        duration=timedelta(minutes=30),
    )
    dated = FollowUpFactory(owner=salesperson, start_date=DAY)
    client = login(salesperson)

    bulk_post(client, [followup.pk, dated.pk], action="move", days="+7")
    followup.refresh_from_db()
    assert followup.start_date == date(2026, 12, 8)
    assert followup.start_at == datetime(2026, 12, 8, 10, 30, tzinfo=OSLO)
    bulk_post(client, [followup.pk], action="move", start_date="03.12.2026")
    followup.refresh_from_db()
    assert followup.start_date == date(2026, 12, 3)
    assert followup.start_at == datetime(2026, 12, 3, 10, 30, tzinfo=OSLO)
    assert FollowUp.objects.get(pk=dated.pk).start_at is None

    # Undo puts back the time it had before the last move.
    client.post(reverse("followups:bulk_undo", args=[BulkChange.objects.first().pk]))
    followup.refresh_from_db()
    assert followup.start_at == datetime(2026, 12, 8, 10, 30, tzinfo=OSLO)


def bulk_post(client, ids, **fields):
    """A bulk change of the ticked `ids` from the activity list."""
    data = {"source": "activities", "show": "open", "next": "/", "scope": "ticked"}
    return client.post(reverse("followups:bulk_apply"), {**data, "ids": list(ids), **fields})


@pytest.mark.parametrize(
    ("start", "moved"),
    [
        # Into summer time (29 March 2026) and out of it (25 October 2026), both ways.
        (datetime(2026, 3, 27, 10, 0, tzinfo=OSLO), datetime(2026, 3, 30, 10, 0, tzinfo=OSLO)),
        (datetime(2026, 10, 23, 10, 0, tzinfo=OSLO), datetime(2026, 10, 26, 10, 0, tzinfo=OSLO)),
        (datetime(2026, 3, 30, 8, 15, tzinfo=OSLO), datetime(2026, 3, 27, 8, 15, tzinfo=OSLO)),
    ],
)
def test_a_bulk_move_across_a_change_of_summer_time_keeps_the_clock_time(
    login, salesperson, meeting, start, moved
):
    followup = FollowUpFactory(
        owner=salesperson, type=meeting, start_date=start.date(), start_at=start
    )
    days = (moved.date() - start.date()).days
    bulk_post(login(salesperson), [followup.pk], action="move", days=f"{days:+d}")
    followup.refresh_from_db()
    assert followup.start_date == moved.date()
    assert followup.start_at == moved
    assert timezone.localtime(followup.start_at, OSLO).time() == moved.time()


def test_move_local_keeps_the_form_sqlite_stores():
    from followups.bulk import move_local

    assert move_local("2026-03-27 09:00:00", 3, "Europe/Oslo") == "2026-03-30 08:00:00"
    assert (
        move_local("2026-03-27 09:00:00.250000", 3, "Europe/Oslo") == "2026-03-30 08:00:00.250000"
    )
    assert move_local(None, 3, "Europe/Oslo") is None
    assert move_local("2026-03-27 09:00:00", None, "Europe/Oslo") is None


def test_a_bulk_delete_and_its_undo_keep_the_time(login, salesperson, meeting):
    start = datetime(2026, 12, 1, 10, 30, tzinfo=OSLO)
    followup = FollowUpFactory(
        owner=salesperson,
        type=meeting,
        start_date=DAY,
        start_at=start,
        duration=timedelta(minutes=30),
    )
    client = login(salesperson)
    bulk_post(client, [followup.pk], action="delete")
    assert not FollowUp.objects.exists()
    client.post(reverse("followups:bulk_undo", args=[BulkChange.objects.get().pk]))

    back = FollowUp.objects.get()
    assert (back.start_at, back.duration) == (start, timedelta(minutes=30))


# The associate's time zone ---------------------------------------------------------------


def test_it_saves_the_time_zone_on_the_settings_page(login, salesperson):
    client = login(salesperson)

    response = client.post(
        "/crm/settings/", {"language": "", "date_style": "dmy", "time_zone": "America/New_York"}
    )

    salesperson.refresh_from_db()
    assert response.status_code == 302
    assert salesperson.time_zone == "America/New_York"
    assert client.session[dates.TIME_ZONE_SESSION_KEY] == "America/New_York"


@pytest.mark.parametrize("value", ["Mars/Olympus", "europe/oslo", "Europe/Oslo\x00"])
def test_it_refuses_a_name_that_is_no_time_zone(login, salesperson, value):
    response = login(salesperson).post(
        "/crm/settings/", {"language": "", "date_style": "dmy", "time_zone": value}
    )

    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    salesperson.refresh_from_db()
    assert salesperson.time_zone == "Europe/Oslo"


def test_a_new_associate_has_the_sites_time_zone(salesperson, settings):
    assert salesperson.time_zone == settings.TIME_ZONE


def test_the_time_zone_applies_from_the_login_on(client, salesperson):
    salesperson.time_zone = "Asia/Tokyo"
    salesperson.save(update_fields=["time_zone"])
    salesperson.user.set_password("a-pass-word-123")
    salesperson.user.save()

    client.post("/login/", {"username": salesperson.user.username, "password": "a-pass-word-123"})

    assert client.session[dates.TIME_ZONE_SESSION_KEY] == "Asia/Tokyo"


def test_a_tampered_session_zone_is_the_sites(login, salesperson, data):
    client = in_zone(login(salesperson), "Not/AZone")

    client.post(URL, data(start_time="10:30"))

    assert FollowUp.objects.get().start_at == datetime(2026, 12, 1, 10, 30, tzinfo=OSLO)


# Where the time shows -----------------------------------------------------------------------


@pytest.fixture
def timed(salesperson, meeting):
    """A meeting at 10:30-11:15 in Oslo on 1 December 2026, at a company."""
    return FollowUpFactory(
        owner=salesperson,
        type=meeting,
        start_date=DAY,
        start_at=datetime(2026, 12, 1, 10, 30, tzinfo=OSLO),
        duration=timedelta(minutes=45),
        description="Møte hos kunden",
    )


def test_the_lists_card_and_page_show_the_time_and_its_end(login, salesperson, timed):
    client = login(salesperson)
    pages = [
        reverse("followups:activity_list"),
        reverse("followups:history"),
        reverse("crm:company", args=[timed.company_id]),
    ]
    for page in pages:
        html = client.get(page).content.decode()
        assert '<span class="start-time">10:30–11:15</span>' in html, page
    # The page of a completed one (read-only; an open one shows the time in its form).
    FollowUp.objects.filter(pk=timed.pk).update(completed=True, completed_at=timezone.now())
    html = client.get(reverse("followups:detail", args=[timed.pk])).content.decode()
    assert '<span class="start-time">10:30–11:15</span>' in html


def test_the_time_shows_in_the_associates_time_zone(login, salesperson, timed):
    client = in_zone(login(salesperson), "America/New_York")

    html = client.get(reverse("followups:history")).content.decode()

    assert '<span class="start-time">04:30–05:15</span>' in html


def test_the_time_follows_the_date_style_and_language(login, salesperson, timed):
    client = login(salesperson)
    client.cookies["django_language"] = "nb"
    assert "10:30–11:15" in client.get(reverse("followups:history")).content.decode()

    session = client.session
    session[dates.SESSION_KEY] = "us"
    session.save()
    assert "10:30 a.m.–11:15 a.m." in client.get(reverse("followups:history")).content.decode()


def test_a_follow_up_without_a_time_shows_none(login, salesperson):
    FollowUpFactory(owner=salesperson, start_date=DAY)

    html = login(salesperson).get(reverse("followups:history")).content.decode()

    assert "start-time" not in html


def test_the_export_has_time_and_duration_columns(login, salesperson, timed):
    import csv
    import io

    from openpyxl import load_workbook

    FollowUpFactory(owner=salesperson, start_date=DAY, description="Uten tid")
    client = in_zone(login(salesperson), "America/New_York")
    export = reverse("followups:export", args=["csv"])

    body = b"".join(client.get(export + "?source=history").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][-2:] == ["Start time", "Duration"]
    by_title = {row[2]: row[-2:] for row in rows[1:]}
    assert by_title == {"Møte hos kunden": ["04:30", "0:45"], "Uten tid": ["", ""]}

    client.cookies["django_language"] = "nb"
    response = client.get(reverse("followups:export", args=["xlsx"]) + "?source=history")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [c.value for c in sheet[1]][-2:] == ["Klokkeslett", "Varighet"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[2].value == "Møte hos kunden")
    assert row[10].value == time(4, 30) and row[10].number_format == "hh:mm"
    assert row[11].value == timedelta(minutes=45) and row[11].number_format == "[h]:mm"

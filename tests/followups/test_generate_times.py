"""A time of day and a duration in the Generate follow-ups dialog: every row gets the
time on its own start date (a spread start included, across a summer-time change), in
the same single INSERT … SELECT; a task refuses a time."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from demo.factories import FollowUpTypeFactory
from followups import rows, services
from followups.models import FollowUp, FollowUpType, Generation, OwnerMode
from followups.rows import Scope, Settings

pytestmark = pytest.mark.django_db

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


@pytest.fixture
def meeting(db):
    return FollowUpTypeFactory(name="Timed visit", kind=FollowUpType.Kind.APPOINTMENT)


def starts(generation) -> list[tuple]:
    return sorted(
        FollowUp.objects.filter(generation=generation).values_list(
            "start_date", "start_at", "duration"
        )
    )


def test_the_dialog_gives_every_row_the_time_and_duration(
    login, salesperson, selection, add_members, dialog_data, meeting
):
    add_members(selection, 4)
    client = login(salesperson)
    session = client.session
    session["crm_time_zone"] = "America/New_York"
    session.save()

    response = client.post(
        reverse("followups:generate_save", args=[selection.pk]),
        dialog_data(type=str(meeting.pk), start_time="09:15", duration="30"),
    )

    generation = Generation.objects.get()
    assert response.status_code == 302
    start = datetime(2026, 3, 2, 14, 15, tzinfo=UTC)  # 09:15 in New York
    assert starts(generation) == [(date(2026, 3, 2), start, timedelta(minutes=30))] * 4
    assert (generation.start_time, generation.duration, generation.time_zone) == (
        time(9, 15),
        timedelta(minutes=30),
        "America/New_York",
    )


def test_without_a_time_the_rows_have_none(
    login, salesperson, selection, add_members, dialog_data, meeting
):
    add_members(selection, 2)

    login(salesperson).post(
        reverse("followups:generate_save", args=[selection.pk]), dialog_data(type=str(meeting.pk))
    )

    assert starts(Generation.objects.get()) == [(date(2026, 3, 2), None, None)] * 2


def test_a_task_refuses_a_time_in_the_dialog(
    login, salesperson, selection, add_members, dialog_data, call_type
):
    add_members(selection, 2)

    response = login(salesperson).post(
        reverse("followups:generate_save", args=[selection.pk]),
        dialog_data(type=str(call_type.pk), start_time="09:15"),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "Only appointments and phone calls have a start time" in response.content.decode()
    assert 'id="id_start_time_error"' in response.content.decode()
    assert not Generation.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"start_time": "25:99"}, "start_time"), ({"start_time": "9", "duration": "-5"}, "duration")],
)
def test_bad_times_in_the_dialog_are_answered_next_to_their_fields(
    login, salesperson, selection, add_members, dialog_data, meeting, changes, field
):
    add_members(selection, 2)

    response = login(salesperson).post(
        reverse("followups:generate_save", args=[selection.pk]),
        dialog_data(type=str(meeting.pk), **changes),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Generation.objects.exists()


def settings(meeting, **changes) -> Settings:
    values = {
        "type": meeting,
        "start_date": date(2026, 3, 27),  # a Friday; summer time begins on Sunday 29 March
        "description": "Besøk",
        "start_time": time(9, 15),
        "duration": timedelta(minutes=45),
        "time_zone": "Europe/Oslo",
    }
    values.update(changes)
    return Settings(**values)


def test_a_spread_start_has_the_time_on_each_rows_own_date_across_summer_time(
    salesperson, selection, add_members, meeting
):
    add_members(selection, 4)

    generation, _ = services.followups_generate(
        selection=selection,
        creator=salesperson,
        scope=Scope(owner_mode=OwnerMode.MINE),
        settings=settings(meeting, spread_days=2),
        key=uuid.uuid4(),
    )

    found = starts(generation)
    assert {d for d, _, _ in found} == {date(2026, 3, 27), date(2026, 3, 30)}
    for day, start_at, duration in found:
        assert start_at == datetime.combine(day, time(9, 15), OSLO)
        assert timezone.localtime(start_at, OSLO).time() == time(9, 15)
        assert duration == timedelta(minutes=45)
    # 08:15 UTC before the change, 07:15 after it.
    assert {s.astimezone(UTC).hour for _, s, _ in found} == {8, 7}


@pytest.mark.parametrize("spread_days", [None, 3])
def test_a_background_generation_writes_the_same_times_in_chunks(
    salesperson, selection, add_members, meeting, spread_days
):
    add_members(selection, 23)
    choices = {
        "scope": Scope(owner_mode=OwnerMode.MINE),
        "settings": settings(meeting, spread_days=spread_days),
    }
    whole, _ = services.followups_generate(
        selection=selection, creator=salesperson, **choices, key=uuid.uuid4()
    )
    chunked, _ = services.followups_generate(
        selection=selection,
        creator=salesperson,
        **choices,
        key=uuid.uuid4(),
        chunk_size=5,
        on_chunk=lambda written: None,
    )

    assert starts(chunked) == starts(whole)
    assert all(start_at is not None for _, start_at, _ in starts(whole))


def test_the_choices_keep_the_time_through_a_background_job(meeting):
    scope = Scope(owner_mode=OwnerMode.MINE)
    timed = settings(meeting)

    assert rows.from_json(rows.as_json(scope, timed)) == (scope, timed)
    untimed = settings(meeting, start_time=None)
    assert (untimed.duration, untimed.time_zone) == (None, "")
    assert rows.from_json(rows.as_json(scope, untimed)) == (scope, untimed)

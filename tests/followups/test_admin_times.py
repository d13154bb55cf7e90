"""Django admin's follow-up page edits start_at and duration with the app's rules: only
appointments and phone calls have a time, on the start date in the administrator's time
zone; a duration needs a time and is at most 24 hours."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from demo.factories import AssociateFactory, CompanyFactory, FollowUpTypeFactory, UserFactory
from followups.models import FollowUp, FollowUpType

pytestmark = pytest.mark.django_db

ADD = reverse("admin:followups_followup_add")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def valid(group):
    owner = AssociateFactory(user__username="eva", primary_group=group)
    company = CompanyFactory(name="Fjord AS")
    meeting = FollowUpTypeFactory(name="Timed admin visit", kind=FollowUpType.Kind.APPOINTMENT)

    def _valid(**changes) -> dict:
        data = {
            "type": meeting.pk,
            "start_date": "2026-03-02",
            "start_at_0": "2026-03-02",
            "start_at_1": "10:30",
            "duration": "00:45:00",
            "description": "Visit",
            "project": "",
            "priority": "",
            "owner": owner.pk,
            "company": company.pk,
            "person": "",
            "completed_at_0": "",
            "completed_at_1": "",
            "created_by": owner.pk,
            "generation": "",
        }
        data.update(changes)
        return data

    return _valid


def test_it_adds_a_timed_followup(admin_client, valid):
    response = admin_client.post(ADD, valid())

    assert response.status_code == 302
    followup = FollowUp.objects.get()
    assert followup.start_at == datetime(
        2026, 3, 2, 10, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Oslo")
    )
    assert followup.duration == timedelta(minutes=45)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start_at_0": "2026-03-03"}, "The start time is not on the start date."),
        ({"start_at_0": "", "start_at_1": ""}, "A duration needs a start time."),
        ({"duration": "1 01:00:00"}, "at most 24 hours"),
        ({"duration": "-00:10:00"}, "at most 24 hours"),
    ],
)
def test_it_refuses_what_the_app_refuses(admin_client, valid, changes, message):
    response = admin_client.post(ADD, valid(**changes))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not FollowUp.objects.exists()


def test_it_refuses_a_time_on_a_task(admin_client, valid):
    task = FollowUpTypeFactory(name="Admin to-do", kind=FollowUpType.Kind.TASK)

    response = admin_client.post(ADD, valid(type=task.pk))

    assert response.status_code == 200
    assert "Only appointments and phone calls have a start time." in response.content.decode()
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize(("value", "valid"), [("Asia/Tokyo", True), ("Mars/Olympus", False)])
def test_an_associates_time_zone_is_checked_as_admin_checks_it(group, value, valid):
    from django.forms import modelform_factory

    from crm.models import Associate

    associate = AssociateFactory(primary_group=group)
    form = modelform_factory(Associate, fields=["time_zone"])(
        {"time_zone": value}, instance=associate
    )

    assert form.is_valid() is valid
    if not valid:
        assert "is not a time zone" in form.errors["time_zone"][0]

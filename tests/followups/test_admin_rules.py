"""Django admin's follow-up pages apply the app's rules: an active type, priority,
project and owner (an active associate with an active login), a start date within
2000-2099, a description that is there and not too long. A follow-up that already
holds a value deactivated since can still be saved while that value is unchanged."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    FollowUpFactory,
    FollowUpTypeFactory,
    PriorityFactory,
    ProjectFactory,
    UserFactory,
)
from followups.models import DESCRIPTION_MAX_LENGTH, FollowUp

pytestmark = pytest.mark.django_db

ADD = reverse("admin:followups_followup_add")

INACTIVE_TYPE = "That follow-up type is no longer available; choose another."
INACTIVE_PRIORITY = "That priority is no longer available; choose another."
INACTIVE_PROJECT = "That project is no longer available; choose another."
INACTIVE_OWNER = "You cannot assign follow-ups to that associate."
OUT_OF_RANGE = "Choose a start date between 2000 and 2099."


def change_url(followup) -> str:
    return reverse("admin:followups_followup_change", args=[followup.pk])


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def call_type(db):
    return FollowUpTypeFactory(name="Follow-up call")


@pytest.fixture
def owner(group):
    return AssociateFactory(user__username="eva", primary_group=group)


@pytest.fixture
def company(db):
    return CompanyFactory(name="Fjord AS")


def post_data(**fields) -> dict:
    """The admin form's fields as the browser sends them; None leaves one out."""
    data = {
        "type": "",
        "start_date": "2026-03-02",
        "description": "Call about the spring offer",
        "project": "",
        "priority": "",
        "owner": "",
        "company": "",
        "person": "",
        "completed_at_0": "",
        "completed_at_1": "",
        "created_by": "",
        "generation": "",
    }
    data.update({name: "" if value is None else value for name, value in fields.items()})
    return data


@pytest.fixture
def valid(call_type, owner, company):
    """post_data for a new follow-up that admin accepts, with the changes applied."""

    def _valid(**changes) -> dict:
        fields = {
            "type": call_type.pk,
            "owner": owner.pk,
            "created_by": owner.pk,
            "company": company.pk,
        }
        return post_data(**{**fields, **changes})

    return _valid


def errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, "saved"
    return {
        name: list(messages) for name, messages in response.context["adminform"].form.errors.items()
    }


def test_it_adds_a_valid_followup(admin_client, valid, owner, call_type):
    response = admin_client.post(ADD, valid())

    assert response.status_code == 302, errors(response)
    followup = FollowUp.objects.get()
    assert (followup.type, followup.owner, followup.start_date) == (
        call_type,
        owner,
        date(2026, 3, 2),
    )


@pytest.mark.parametrize(
    "field_name, make_value, message",
    [
        ("type", lambda: FollowUpTypeFactory(active=False).pk, INACTIVE_TYPE),
        ("priority", lambda: PriorityFactory(active=False).pk, INACTIVE_PRIORITY),
        ("project", lambda: ProjectFactory(active=False).pk, INACTIVE_PROJECT),
        ("owner", lambda: AssociateFactory(active=False).pk, INACTIVE_OWNER),
        ("owner", lambda: AssociateFactory(user__is_active=False).pk, INACTIVE_OWNER),
        ("start_date", lambda: "1900-01-01", OUT_OF_RANGE),
        ("start_date", lambda: "2100-01-01", OUT_OF_RANGE),
        ("description", lambda: "   ", "Describe the follow-up."),
        (
            "description",
            lambda: "x" * (DESCRIPTION_MAX_LENGTH + 1),
            "Keep the description to 2048 characters (it has 2049).",
        ),
    ],
    ids=[
        "inactive-type",
        "inactive-priority",
        "inactive-project",
        "inactive-associate",
        "inactive-login",
        "1900",
        "2100",
        "blank-description",
        "long-description",
    ],
)
def test_it_refuses_what_the_app_refuses(admin_client, valid, field_name, make_value, message):
    response = admin_client.post(ADD, valid(**{field_name: make_value()}))

    assert errors(response) == {field_name: [message]}
    assert message in response.content.decode()
    assert not FollowUp.objects.exists()


@pytest.fixture
def aged(call_type, owner, company):
    """A follow-up whose type, priority, project and owner were all deactivated after it
    was saved."""
    followup = FollowUpFactory(
        type=FollowUpTypeFactory(name="Old visit"),
        priority=PriorityFactory(name="Urgent"),
        project=ProjectFactory(name="Messe 2019"),
        owner=AssociateFactory(user__username="gone"),
        company=company,
        start_date=date(2026, 3, 2),
        description="Visit",
    )
    followup.created_by = followup.owner
    followup.save()
    followup.type.active = False
    followup.type.save()
    followup.priority.active = False
    followup.priority.save()
    followup.project.active = False
    followup.project.save()
    followup.owner.active = False
    followup.owner.save()
    return followup


def as_posted(followup, **changes) -> dict:
    fields = {
        "type": followup.type_id,
        "start_date": followup.start_date.isoformat(),
        "description": followup.description,
        "project": followup.project_id,
        "priority": followup.priority_id,
        "owner": followup.owner_id,
        "company": followup.company_id,
        "person": followup.person_id,
        "created_by": followup.created_by_id,
        "generation": followup.generation_id,
    }
    return post_data(**{**fields, **changes})


def test_it_keeps_deactivated_values_that_are_unchanged(admin_client, aged):
    response = admin_client.post(change_url(aged), as_posted(aged, description="Visit, then call"))

    assert response.status_code == 302, errors(response)
    aged.refresh_from_db()
    assert aged.description == "Visit, then call"
    assert (aged.type.name, aged.priority.name, aged.project.name, aged.owner.user.username) == (
        "Old visit",
        "Urgent",
        "Messe 2019",
        "gone",
    )


@pytest.mark.parametrize(
    "field_name, make_value, message",
    [
        ("type", lambda: FollowUpTypeFactory(active=False).pk, INACTIVE_TYPE),
        ("owner", lambda: AssociateFactory(active=False).pk, INACTIVE_OWNER),
        ("start_date", lambda: "1900-01-01", OUT_OF_RANGE),
    ],
    ids=["another-inactive-type", "another-inactive-owner", "1900"],
)
def test_it_refuses_a_change_to_what_the_app_refuses(
    admin_client, aged, field_name, make_value, message
):
    before = FollowUp.objects.values().get(pk=aged.pk)

    response = admin_client.post(change_url(aged), as_posted(aged, **{field_name: make_value()}))

    assert errors(response) == {field_name: [message]}
    assert FollowUp.objects.values().get(pk=aged.pk) == before


def test_it_offers_an_active_value_in_place_of_a_deactivated_one(
    admin_client, aged, call_type, owner
):
    response = admin_client.post(
        change_url(aged), as_posted(aged, type=call_type.pk, owner=owner.pk)
    )

    assert response.status_code == 302, errors(response)
    aged.refresh_from_db()
    assert (aged.type, aged.owner) == (call_type, owner)


def test_the_change_page_shows_a_deactivated_value_it_keeps(admin_client, aged):
    html = admin_client.get(change_url(aged)).content.decode()

    assert "Old visit" in html and "Messe 2019" in html


def test_it_never_brings_back_a_followup_removed_while_its_page_was_open(admin_client, owner):
    """The admin's change page was open; an undo removed the follow-up before Save.
    The save finds nothing to change and creates nothing."""
    followup = FollowUpFactory(owner=owner)
    data = as_posted(followup, description="Changed after all")
    FollowUp.objects.filter(pk=followup.pk).delete()

    response = admin_client.post(change_url(followup), data, follow=True)

    assert response.status_code == 200
    assert "doesn’t exist" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_it_locks_the_row_it_changes(admin_client, owner):
    followup = FollowUpFactory(owner=owner)

    with CaptureQueriesContext(connection) as queries:
        admin_client.post(change_url(followup), as_posted(followup, description="Changed"))

    followup.refresh_from_db()
    assert followup.description == "Changed"
    if connection.features.has_select_for_update:
        assert any(
            "FOR UPDATE" in q["sql"] and "followups_followup" in q["sql"]
            for q in queries.captured_queries
        )

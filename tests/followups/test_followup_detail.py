"""The follow-up page: view and edit an open follow-up with the dialog's validation and
rights; a completed one is read-only until it is opened again."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from demo.factories import (
    AssociateFactory,
    FollowUpFactory,
    FollowUpTypeFactory,
    PriorityFactory,
    ProjectFactory,
)
from followups.models import DESCRIPTION_MAX_LENGTH, FollowUp
from tests.helpers import element, elements

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=30)

BAD_DATE = object()


def url(followup) -> str:
    return reverse("followups:detail", args=[followup.pk])


@pytest.fixture
def call_type(db):
    return FollowUpTypeFactory(name="Follow-up call")


@pytest.fixture
def followup(salesperson, call_type):
    """An open follow-up of salesperson's, unchanged for a month."""
    followup = FollowUpFactory(
        owner=salesperson,
        type=call_type,
        start_date=timezone.localdate() - timedelta(days=10),
        description="Call about the spring offer\nAsk for Ingrid",
        created_at=LONG_AGO,
    )
    FollowUp.objects.filter(pk=followup.pk).update(updated_at=LONG_AGO)  # past auto_now
    followup.refresh_from_db()
    return followup


@pytest.fixture
def data(followup):
    """data(**changes): the edit form as the page sends it unchanged, with the changes
    applied."""

    def _data(**changes) -> dict:
        sent = {
            "type": str(followup.type_id),
            "start_date": followup.start_date.isoformat(),
            "description": followup.description,
            "priority": str(followup.priority_id or ""),
            "owner": str(followup.owner_id),
            "project_text": followup.project.name if followup.project else "",
            "project": str(followup.project_id or ""),
        }
        sent.update(changes)
        return sent

    return _data


def errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200
    return {name: list(messages) for name, messages in response.context["form"].errors.items()}


def unchanged(followup) -> bool:
    before = followup.description
    followup.refresh_from_db()
    return followup.updated_at == LONG_AGO and followup.description == before


def test_it_requires_login(client, followup, data):
    response = client.get(url(followup))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))

    response = client.post(url(followup), data(description="Changed"))
    assert response.status_code == 302
    assert unchanged(followup)


def test_it_shows_the_followup_with_a_form_to_its_owner(login, salesperson, followup):
    response = login(salesperson).get(url(followup))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Call about the spring offer" in element(html, "textarea", name="description").text
    assert "Mark completed" in html
    assert response.context["form"].instance == followup


def test_it_saves_an_edit_and_bumps_updated_at(login, salesperson, followup, data, group):
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])
    meeting = FollowUpTypeFactory(name="Visit")
    priority = PriorityFactory(name="Urgent")
    project = ProjectFactory(name="Harbour expo")
    before = timezone.now()

    response = login(salesperson).post(
        url(followup),
        data(
            type=str(meeting.pk),
            start_date="2026-04-15",
            description="  Visit with the samples  ",
            priority=str(priority.pk),
            owner=str(colleague.pk),
            project_text="harbour expo",
        ),
    )

    assert response.status_code == 302
    assert response.url == url(followup)
    followup.refresh_from_db()
    assert followup.type == meeting
    assert followup.start_date == date(2026, 4, 15)
    assert followup.description == "Visit with the samples"
    assert followup.priority == priority
    assert followup.owner == colleague
    assert followup.project == project
    assert followup.created_at == LONG_AGO
    assert followup.updated_at >= before


def test_it_clears_the_project(login, salesperson, followup, data):
    followup.project = ProjectFactory(name="Harbour expo")
    followup.save()

    login(salesperson).post(url(followup), data(project_text="", project=""))

    followup.refresh_from_db()
    assert followup.project is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"description": ""}, "description", "Describe the follow-up."),
        ({"description": "   \n  "}, "description", "Describe the follow-up."),
        (
            {"description": "x" * (DESCRIPTION_MAX_LENGTH + 1)},
            "description",
            "Keep the description to 2048 characters (it has 2049).",
        ),
        ({"start_date": "2026-02-30"}, "start_date", BAD_DATE),
        ({"start_date": "next week"}, "start_date", BAD_DATE),
        ({"start_date": ""}, "start_date", "Enter the start date."),
        (
            {"start_date": "1999-12-31"},
            "start_date",
            "Choose a start date between 2000 and 2099.",
        ),
        ({"type": ""}, "type", "Choose a follow-up type."),
        (
            {"type": "999999"},
            "type",
            "That follow-up type is no longer available; choose another.",
        ),
        (
            {"priority": "999999"},
            "priority",
            "That priority is no longer available; choose another.",
        ),
        (
            {"project_text": "Nothing like it"},
            "project_text",
            "No active project matches “Nothing like it”.",
        ),
    ],
)
def test_it_validates_like_the_dialog(login, salesperson, followup, data, changes, field, message):
    response = login(salesperson).post(url(followup), data(**changes))
    if message is BAD_DATE:  # the example is today, as the associate writes dates
        message = f"Enter a real date, such as {timezone.localdate():%d.%m.%Y}."

    assert errors(response) == {field: [message]}
    assert message in response.content.decode().replace("&quot;", '"')
    assert unchanged(followup)


def test_it_refuses_a_description_just_over_the_limit_but_not_at_it(
    login, salesperson, followup, data
):
    client = login(salesperson)

    response = client.post(url(followup), data(description="y" * DESCRIPTION_MAX_LENGTH))

    assert response.status_code == 302
    followup.refresh_from_db()
    assert len(followup.description) == DESCRIPTION_MAX_LENGTH


def test_it_refuses_an_inactive_type_unless_it_is_the_current_one(
    login, salesperson, followup, data, call_type
):
    retired = FollowUpTypeFactory(name="Fax", active=False)
    client = login(salesperson)

    response = client.post(url(followup), data(type=str(retired.pk)))
    assert errors(response) == {
        "type": ["That follow-up type is no longer available; choose another."]
    }
    assert unchanged(followup)

    call_type.active = False
    call_type.save()
    response = client.get(url(followup))
    offered = [str(choice) for choice in response.context["form"].fields["type"].queryset]
    assert "Follow-up call" in offered
    assert "Fax" not in offered

    response = client.post(url(followup), data(description="Kept its type"))
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.type == call_type
    assert followup.description == "Kept its type"


def test_it_keeps_a_deactivated_project_it_already_has(login, salesperson, followup, data):
    followup.project = ProjectFactory(name="Old campaign", active=False)
    followup.save()
    FollowUp.objects.filter(pk=followup.pk).update(updated_at=LONG_AGO)
    client = login(salesperson)

    response = client.post(url(followup), data(description="Still the old campaign"))

    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.project.name == "Old campaign"

    # Another inactive project cannot be chosen.
    ProjectFactory(name="Older campaign", active=False)
    response = client.post(url(followup), data(project_text="Older campaign", project=""))
    assert errors(response) == {"project_text": ["No active project matches “Older campaign”."]}


def test_it_refuses_an_owner_outside_the_users_groups(login, salesperson, followup, data, outsider):
    response = login(salesperson).post(url(followup), data(owner=str(outsider.pk)))

    assert errors(response) == {"owner": ["You cannot assign follow-ups to that associate."]}
    assert unchanged(followup)
    assert followup.owner == salesperson


def test_it_lets_a_sales_manager_assign_to_anyone(login, manager, followup, data, outsider):
    response = login(manager).post(url(followup), data(owner=str(outsider.pk)))

    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.owner == outsider


def test_it_is_read_only_once_completed(login, salesperson, followup, data):
    toggle = reverse("followups:toggle_completed", args=[followup.pk])
    client = login(salesperson)
    client.post(toggle)
    followup.refresh_from_db()
    completed_at = followup.updated_at

    response = client.get(url(followup))
    assert response.status_code == 200
    assert response.context["form"] is None
    html = response.content.decode()
    assert "read-only" in html
    assert not elements(html, name="description")
    assert "Open again" in html

    response = client.post(url(followup), data(description="Changed while completed"))
    assert response.status_code == 403
    followup.refresh_from_db()
    assert followup.description.startswith("Call about the spring offer")
    assert followup.updated_at == completed_at

    # Opened again, it can be changed.
    client.post(toggle)
    response = client.post(url(followup), data(description="Changed once reopened"))
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.description == "Changed once reopened"
    assert not followup.completed


def test_it_checks_ownership(login, followup, data, outsider, reader, group):
    # Another group's salesperson may not even see it.
    client = login(outsider)
    assert client.get(url(followup)).status_code == 404
    assert client.post(url(followup), data(description="Outsider")).status_code == 404

    # Colleagues in the group see it, read-only: only its owner or creator may change it.
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])
    for associate in (reader, colleague):
        client = login(associate)
        response = client.get(url(followup))
        assert response.status_code == 200
        assert response.context["form"] is None
        assert "Mark completed" not in response.content.decode()
        assert client.post(url(followup), data(description="Colleague")).status_code == 403

    assert unchanged(followup)


def test_it_lets_the_creator_edit_a_followup_given_to_another_group(
    login, salesperson, outsider, call_type
):
    followup = FollowUpFactory(owner=outsider, created_by=salesperson, type=call_type)

    response = login(salesperson).get(url(followup))

    assert response.status_code == 200
    assert response.context["form"] is not None
    # The current owner stays on offer, even though salesperson could not pick them.
    assert outsider in response.context["form"].fields["owner"].queryset


def test_it_shows_a_sales_manager_anyones_followup(login, manager, outsider):
    followup = FollowUpFactory(owner=outsider)
    assert login(manager).get(url(followup)).status_code == 200


def test_it_answers_404_for_a_missing_followup(login, salesperson):
    response = login(salesperson).get(reverse("followups:detail", args=[999999]))
    assert response.status_code == 404


def test_it_shows_the_saved_followup_beside_a_refused_edit(
    login, salesperson, manager, group, call_type, data
):
    # Given to salesperson by the manager: salesperson may change it as its owner only.
    followup = FollowUpFactory(
        owner=salesperson, created_by=manager, type=call_type, description="Call Ingrid"
    )
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])

    response = login(salesperson).post(
        url(followup),
        data(owner=str(colleague.pk), description="", type=str(call_type.pk)),
    )

    assert errors(response) == {"description": ["Describe the follow-up."]}
    # Nothing was saved, so salesperson still owns it and may still complete it.
    assert response.context["may_change"] is True
    assert "Mark completed" in response.content.decode()
    followup.refresh_from_db()
    assert followup.owner == salesperson


def test_it_keeps_the_saved_title_and_status_above_a_refused_edit(
    login, salesperson, followup, data
):
    response = login(salesperson).post(
        url(followup),
        data(description="Visit with the samples", start_date="2999-01-01", type=""),
    )

    assert set(errors(response)) == {"start_date", "type"}
    html = response.content.decode()
    title = html[html.index("<h1>") : html.index("</h1>")]
    assert "Call about the spring offer" in title
    assert "Visit with the samples" not in title
    assert "Overdue" in html  # ten days ago is still its start
    assert unchanged(followup)


def test_the_description_counts_its_characters_as_the_dialog_does(login, salesperson, followup):
    """The edit form and the new form show the dialog's counter under the description:
    what it holds against the limit, read with the field (its help text)."""
    pages = {
        len(followup.description): login(salesperson).get(url(followup)),
        0: login(salesperson).get(reverse("followups:new")),
    }
    for length, response in pages.items():
        counter = element(response, "p", class_=re.compile(r".*\bchar-count\b.*"))
        assert counter.text == f"{length} / {DESCRIPTION_MAX_LENGTH:,}"
        assert counter.attrs["data-count-for"] == "id_description"
        assert counter.attrs["data-limit"] == str(DESCRIPTION_MAX_LENGTH)
        field = element(response, "textarea", id="id_description")
        assert "id_description_helptext" in field.attrs["aria-describedby"].split()
        help_block = element(response, "div", id="id_description_helptext")
        assert elements(help_block.html, "p", id="id_description-count")

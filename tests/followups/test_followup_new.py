"""A single follow-up made by hand: from the activity list or a company's or person's card,
with the dialog's fields and rules (the edit form's, shared)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from demo.factories import CompanyFactory, PersonFactory, ProjectFactory
from followups.models import FollowUp
from tests.helpers import element

pytestmark = pytest.mark.django_db

URL = reverse("followups:new")


@pytest.fixture
def data(call_type, salesperson):
    def _data(**changes) -> dict:
        values = {
            "type": str(call_type.pk),
            "start_date": f"{timezone.localdate() + timedelta(days=1):%d.%m.%Y}",
            "description": "Ring om avtalen",
            "project_text": "",
            "project": "",
            "priority": "",
            "owner": str(salesperson.pk),
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}

    return _data


def test_log_a_call_from_a_persons_card(login, salesperson, data):
    person = PersonFactory(first_name="Åse", last_name="Ødegård")
    project = ProjectFactory(name="Østfold vår")
    client = login(salesperson)

    card = client.get(reverse("crm:person", args=[person.pk])).content.decode()
    assert f'href="{URL}?person={person.pk}"' in card
    page = client.get(f"{URL}?person={person.pk}")
    assert "Åse Ødegård" in page.content.decode()
    response = client.post(
        f"{URL}?person={person.pk}",
        data(person=str(person.pk), project_text="østfold", completed="on"),
    )

    followup = FollowUp.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("followups:detail", args=[followup.pk])
    assert (followup.person, followup.company) == (person, person.company)
    assert followup.project == project
    assert followup.completed and followup.completed_at is not None
    assert followup.created_by == salesperson and followup.generation is None


def test_from_a_company_card_and_the_activity_list(login, salesperson, data):
    company = CompanyFactory()
    client = login(salesperson)

    assert (
        f'href="{URL}?company={company.pk}"'
        in client.get(reverse("crm:company", args=[company.pk])).content.decode()
    )
    assert f'href="{URL}"' in client.get(reverse("followups:activity_list")).content.decode()
    client.post(URL, data(company=str(company.pk)))
    client.post(URL, data(description="Uten firma"))

    assert FollowUp.objects.filter(company=company, person=None).count() == 1
    assert FollowUp.objects.filter(company=None, person=None).count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"description": " "}, "description", "Describe the follow-up."),
        ({"start_date": "31.02.2026"}, "start_date", "Enter a real date, such as"),
        ({"type": "999999"}, "type", "That follow-up type is no longer available"),
        ({"project_text": "Ingen slik"}, "project_text", "No active project matches"),
    ],
)
def test_wrong_values_are_answered_next_to_their_fields(
    login, salesperson, data, changes, field, message
):
    response = login(salesperson).post(URL, data(**changes))

    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert message in element(response, "div", class_="errorlist", id=f"id_{field}_error").text
    assert not FollowUp.objects.exists()


def test_the_owner_follows_the_user_level(login, salesperson, outsider, data):
    response = login(salesperson).post(URL, data(owner=str(outsider.pk)))

    assert "You cannot assign follow-ups to that associate." in str(response.context["form"].errors)
    assert not FollowUp.objects.exists()


def test_a_person_at_another_company_is_refused(login, salesperson, data):
    person = PersonFactory()

    response = login(salesperson).post(
        URL, data(person=str(person.pk), company=str(CompanyFactory().pk))
    )

    assert "That person is not at that company" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_a_reader_may_not_create_one(login, reader, data):
    client = login(reader)

    assert client.get(URL).status_code == 403
    assert client.post(URL, data(owner=str(reader.pk))).status_code == 403
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize("value", ["x", "-1", "99999999999999999999999", "0"])
def test_odd_ids_in_the_address_are_ignored(login, salesperson, value):
    response = login(salesperson).get(f"{URL}?company={value}&person={value}")

    assert response.status_code == 200


def test_the_form_starts_today_for_the_user(login, salesperson):
    html = login(salesperson).get(URL).content.decode()

    assert element(html, "input", name="start_date")["value"] == f"{timezone.localdate():%d.%m.%Y}"
    assert element(html, "option", value=salesperson.pk, selected=True).text == salesperson.name

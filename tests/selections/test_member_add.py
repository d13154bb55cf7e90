"""Adding a company or a person to a selection."""

import json

import pytest
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from demo.factories import AssociateFactory, CompanyFactory, PersonFactory, SelectionFactory
from selections.models import Visibility
from tests.helpers import HTMX, element, elements

pytestmark = pytest.mark.django_db


def url(selection) -> str:
    return f"/selections/{selection.pk}/members/add/"


def rows(selection) -> list[tuple[int | None, int | None]]:
    return list(selection.members.order_by("id").values_list("company_id", "person_id"))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def selection(salesperson):
    return SelectionFactory(owner=salesperson, visibility=Visibility.GROUP)


def test_it_adds_a_company(login, salesperson, selection):
    company = CompanyFactory(name="Fjordlys Energi AS")

    response = login(salesperson).post(url(selection), {"company": company.pk}, follow=True)

    assert response.redirect_chain == [(f"/selections/{selection.pk}/", 302)]
    assert rows(selection) == [(company.pk, None)]
    assert messages_of(response) == ["Added Fjordlys Energi AS."]
    assert element(response, "p", class_="count").text == "1 member"


def test_it_adds_a_person_at_their_company(login, salesperson, selection):
    person = PersonFactory(first_name="Ola", last_name="Nordmann")

    response = login(salesperson).post(url(selection), {"person": person.pk}, follow=True)

    assert rows(selection) == [(person.company_id, person.pk)]
    assert messages_of(response) == ["Added Ola Nordmann."]


def test_it_adds_a_person_with_no_company(login, salesperson, selection):
    person = PersonFactory(company=None)
    login(salesperson).post(url(selection), {"person": person.pk})
    assert rows(selection) == [(None, person.pk)]


def test_it_replaces_the_company_only_row_with_a_person_at_that_company(
    login, salesperson, selection
):
    person = PersonFactory()
    client = login(salesperson)
    client.post(url(selection), {"company": person.company_id})

    client.post(url(selection), {"person": person.pk})

    assert rows(selection) == [(person.company_id, person.pk)]


def test_it_says_when_the_member_is_already_there(login, salesperson, selection):
    person = PersonFactory(first_name="Ola", last_name="Nordmann")
    client = login(salesperson)
    client.post(url(selection), {"person": person.pk}, follow=True)

    again = client.post(url(selection), {"person": person.pk}, follow=True)
    company = client.post(url(selection), {"company": person.company_id}, follow=True)

    assert messages_of(again) == ["Ola Nordmann is already in the selection."]
    assert messages_of(company) == [f"{person.company.name} is already in the selection."]
    assert rows(selection) == [(person.company_id, person.pk)]


def test_it_answers_htmx_with_the_members_fragment_and_the_messages(login, salesperson, selection):
    company = CompanyFactory(name="Fjordlys Energi AS")

    response = login(salesperson).post(url(selection), {"company": company.pk}, headers=HTMX)

    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"membersChanged": {}}
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="members">')
    assert not elements(html, "html")
    assert element(html, "p", class_="count", data_member_count="1").text == "1 member"
    # The member's row leads to the company's card.
    card = reverse("crm:company", args=[company.pk])
    assertInHTML(f'<td><a href="{card}">Fjordlys Energi AS</a></td>', html)
    assert element(
        html,
        "div",
        id="messages",
        class_="messages",
        role="status",
        aria_live="polite",
        hx_swap_oob="true",
    )
    assert "Added Fjordlys Energi AS." in html


@pytest.mark.parametrize(
    "data",
    [
        {"company": "abc"},
        {"company": "999999"},
        {"person": "abc"},
        {"person": "999999"},
        {"company": "1.5"},
    ],
)
def test_it_says_when_an_id_is_bad(login, salesperson, selection, data):
    response = login(salesperson).post(url(selection), data, headers=HTMX)

    assert response.status_code == 200
    assert "That company or person no longer exists." in response.content.decode()
    assert rows(selection) == []


@pytest.mark.parametrize("both", [True, False])
def test_it_wants_one_company_or_one_person(login, salesperson, selection, both):
    person = PersonFactory()
    data = {"company": person.company_id, "person": person.pk} if both else {}

    response = login(salesperson).post(url(selection), data, headers=HTMX)

    assert response.status_code == 200
    assert "Choose one company or one person to add." in response.content.decode()
    assert rows(selection) == []


def test_it_checks_ownership(login, salesperson, group, outsider, selection):
    company = CompanyFactory()
    private = SelectionFactory(owner=salesperson, visibility=Visibility.OWNER)
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])

    # Seen but not owned: 403. Not seen at all: 404, as if it did not exist.
    assert login(colleague).post(url(selection), {"company": company.pk}).status_code == 403
    assert login(colleague).post(url(private), {"company": company.pk}).status_code == 404
    assert login(outsider).post(url(selection), {"company": company.pk}).status_code == 404
    assert rows(selection) == rows(private) == []


def test_it_requires_login(client, selection):
    response = client.post(url(selection), {"company": CompanyFactory().pk})
    assert response.status_code == 302
    assert response.url.startswith("/login/?next=")
    assert rows(selection) == []


def test_it_accepts_only_post(login, salesperson, selection):
    response = login(salesperson).get(url(selection), {"company": CompanyFactory().pk})
    assert response.status_code == 405
    assert rows(selection) == []

"""Removing a member from a selection."""

import json

import pytest

from crm.models import Company, Person
from demo.factories import AssociateFactory, SelectionFactory, SelectionMemberFactory
from selections.models import SelectionMember, Visibility
from tests.helpers import HTMX, element, elements

pytestmark = pytest.mark.django_db


def url(selection, member_id) -> str:
    return f"/selections/{selection.pk}/members/{member_id}/remove/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def selection(salesperson):
    return SelectionFactory(owner=salesperson, visibility=Visibility.GROUP)


@pytest.fixture
def member(selection):
    return SelectionMemberFactory(
        selection=selection, person__first_name="Ola", person__last_name="Nordmann"
    )


def test_it_removes_a_member(login, salesperson, selection, member):
    kept = SelectionMemberFactory(selection=selection)

    response = login(salesperson).post(url(selection, member.pk), follow=True)

    assert response.redirect_chain == [(f"/selections/{selection.pk}/", 302)]
    assert list(selection.members.all()) == [kept]
    assert messages_of(response) == ["Removed the member."]
    # The company and the person stay in the CRM.
    assert Person.objects.filter(pk=member.person_id).exists()
    assert Company.objects.filter(pk=member.company_id).exists()


def test_it_answers_htmx_with_the_members_fragment_and_the_messages(
    login, salesperson, selection, member
):
    response = login(salesperson).post(url(selection, member.pk), headers=HTMX)

    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"membersChanged": {}}
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="members">')
    assert not elements(html, "html")
    assert element(html, "p", class_="count", data_member_count="0").text == "0 members"
    assert "Ola Nordmann" not in html
    assert element(html, "div", id="messages", hx_swap_oob="true")
    assert "Removed the member." in html


def test_it_says_when_the_member_is_already_gone(login, salesperson, selection, member):
    client = login(salesperson)
    client.post(url(selection, member.pk), headers=HTMX)

    response = client.post(url(selection, member.pk), headers=HTMX)
    missing = client.post(url(selection, 999999), headers=HTMX)

    assert response.status_code == missing.status_code == 200
    assert "That member was already removed." in response.content.decode()
    assert "That member was already removed." in missing.content.decode()


def test_it_removes_only_members_of_this_selection(login, salesperson, selection):
    # Another selection's member, even one of the same owner, is not reachable here.
    elsewhere = SelectionMemberFactory(selection=SelectionFactory(owner=salesperson))

    response = login(salesperson).post(url(selection, elsewhere.pk), headers=HTMX)

    assert "That member was already removed." in response.content.decode()
    assert SelectionMember.objects.filter(pk=elsewhere.pk).exists()


def test_it_answers_404_for_a_non_numeric_id(login, salesperson, selection):
    response = login(salesperson).post(url(selection, "abc"), headers=HTMX)
    assert response.status_code == 404


def test_it_checks_ownership(login, salesperson, group, outsider, selection, member):
    private = SelectionFactory(owner=salesperson, visibility=Visibility.OWNER)
    private_member = SelectionMemberFactory(selection=private)
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])

    # Seen but not owned: 403. Not seen at all: 404, as if it did not exist.
    assert login(colleague).post(url(selection, member.pk)).status_code == 403
    assert login(colleague).post(url(private, private_member.pk)).status_code == 404
    assert login(outsider).post(url(selection, member.pk)).status_code == 404
    assert SelectionMember.objects.filter(pk__in=[member.pk, private_member.pk]).count() == 2


def test_it_requires_login(client, selection, member):
    response = client.post(url(selection, member.pk))
    assert response.status_code == 302
    assert response.url.startswith("/login/?next=")
    assert selection.members.exists()


def test_it_accepts_only_post(login, salesperson, selection, member):
    assert login(salesperson).get(url(selection, member.pk)).status_code == 405
    assert selection.members.exists()

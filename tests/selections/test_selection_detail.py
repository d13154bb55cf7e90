"""The selection page's Company/person tab: the members, paged, with the member count."""

import pytest

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    PersonFactory,
    SelectionFactory,
    SelectionMemberFactory,
)
from selections import views
from selections.models import Visibility
from tests.helpers import element, elements

pytestmark = pytest.mark.django_db


def url(selection, query: str = "") -> str:
    return f"/selections/{selection.pk}/{query}"


def member_rows(response) -> list[list[str]]:
    """The members table as text: one [company, person, city, our contact] per row."""
    table = elements(response, "table", class_="table members")
    if not table:
        return []
    (body,) = elements(table[0].html, "tbody")
    return [
        [cell.text for cell in elements(row.html, "td") if cell.get("class") not in CONTROLS]
        for row in elements(body.html, "tr")
    ]


CONTROLS = ("check", "actions")  # the tick and the Remove button, not a member's data


def named_associate(first: str, last: str):
    return AssociateFactory(user__first_name=first, user__last_name=last)


def test_it_lists_company_person_city_and_our_contact(login, salesperson):
    eva, per, tor = (
        named_associate("Eva", "Eier"),
        named_associate("Per", "Privat"),
        named_associate("Tor", "Tom"),
    )
    selection = SelectionFactory(owner=salesperson)
    fjord = CompanyFactory(name="Fjord AS", city="Bergen", our_contact=eva)
    # A person at a company shows the company's our contact, never their own.
    ola = PersonFactory(first_name="Ola", last_name="Nordmann", company=fjord, our_contact=tor)
    SelectionMemberFactory(selection=selection, person=ola)
    SelectionMemberFactory(
        selection=selection,
        person=None,
        company=CompanyFactory(name="Solo AS", city="Oslo", our_contact=None),
    )
    # A person with no company shows their own our contact.
    loner = PersonFactory(first_name="Kari", last_name="Alene", company=None, our_contact=per)
    SelectionMemberFactory(selection=selection, person=loner)

    response = login(salesperson).get(url(selection))

    assert response.status_code == 200
    assert member_rows(response) == [
        ["Fjord AS", "Ola Nordmann", "Bergen", "Eva Eier"],
        ["Solo AS", "", "Oslo", ""],
        ["—", "Kari Alene", "", "Per Privat"],
    ]
    assert "3 members" in response.content.decode()


def test_it_says_one_member_and_no_members(login, salesperson, add_members):
    selection = SelectionFactory(owner=salesperson)
    client = login(salesperson)

    assert "This selection has no members yet." in client.get(url(selection)).content.decode()
    add_members(selection, 1)
    assert "1 member<" in client.get(url(selection)).content.decode()


def test_it_shows_pages_of_100(login, salesperson, add_members):
    selection = SelectionFactory(owner=salesperson)
    members = add_members(selection, 250)
    client = login(salesperson)

    first = client.get(url(selection))
    second = client.get(url(selection, "?page=2"))
    last = client.get(url(selection, "?page=3"))

    assert len(member_rows(first)) == 100
    assert "250 members" in first.content.decode()
    assert "Page 1 of 3" in first.content.decode()
    assert [m.pk for m in second.context["rows"]] == [m.pk for m in members[100:200]]
    assert member_rows(second)[0][0] == "Company 00100"
    assert len(member_rows(last)) == 50
    # A page number out of range or not a number gives a page, never an error.
    assert client.get(url(selection, "?page=99")).context["page"].number == 3
    assert client.get(url(selection, "?page=x")).context["page"].number == 1


def test_it_shows_all_members_on_request(login, salesperson, add_members):
    selection = SelectionFactory(owner=salesperson)
    add_members(selection, 250)
    client = login(salesperson)

    assert element(client.get(url(selection)), "a", href="?all=1").text == "Show all"
    response = client.get(url(selection, "?all=1"))

    assert len(member_rows(response)) == 250
    assert "Show pages of 100" in response.content.decode()


def test_it_pages_selections_bigger_than_the_show_all_limit(
    login, salesperson, add_members, monkeypatch
):
    monkeypatch.setattr(views, "SHOW_ALL_LIMIT", 200)
    selection = SelectionFactory(owner=salesperson)
    add_members(selection, 201)

    response = login(salesperson).get(url(selection, "?all=1"))

    assert len(member_rows(response)) == 100
    assert not elements(response, "a", href="?all=1")


@pytest.mark.parametrize("visibility", [Visibility.OWNER, Visibility.GROUP])
def test_it_answers_404_for_a_selection_the_user_cannot_see(
    login, salesperson, outsider, visibility
):
    # outsider is in another user group than salesperson.
    selection = SelectionFactory(owner=outsider, visibility=visibility)
    assert login(salesperson).get(url(selection)).status_code == 404


def test_it_answers_404_for_a_private_selection_of_a_colleague(login, salesperson, manager):
    selection = SelectionFactory(owner=manager, visibility=Visibility.OWNER)
    client = login(salesperson)
    assert client.get(url(selection)).status_code == 404
    # The same page of a selection the user may see answers 200.
    selection.visibility = Visibility.GROUP
    selection.save()
    assert client.get(url(selection)).status_code == 200


def test_it_answers_404_for_a_selection_that_does_not_exist(login, salesperson):
    assert login(salesperson).get("/selections/999999/").status_code == 404


def test_it_requires_login(client):
    selection = SelectionFactory()
    response = client.get(url(selection))
    assert response.status_code == 302
    assert response.url == f"/login/?next=/selections/{selection.pk}/"


@pytest.mark.parametrize("n", [10, 500])
@pytest.mark.parametrize("query", ["", "?page=2", "?all=1"])
def test_it_uses_the_same_number_of_queries_for_any_size(
    n, query, login, salesperson, add_members, django_assert_num_queries
):
    selection = SelectionFactory(owner=salesperson)
    add_members(selection, n)
    client = login(salesperson)

    # 1. the session
    # 2. the user
    # 3. the associate, with its primary group
    # 4. the associate's other groups (prefetch)
    # 5. the selection, if visible, with its owner
    # 6. the member count
    # 7. a page: the page's member ids (from the index), then
    # 8. those members, with company, person and our contacts (one join);
    #    "show all": every member with the same join, in one query
    # 9. the user's own permissions (editing controls: "Can manage selections"; Task
    #    menu: "Can create tasks for a selection")
    # 10. the user's permissions through roles
    with django_assert_num_queries(9 if query == "?all=1" else 10):
        response = client.get(url(selection, query))

    assert member_rows(response)
    assert all(row[3] == "Eva Owner" for row in member_rows(response))

"""Company and person cards: their Activities tab lists the follow-ups this associate may
see, completed ones included, newest first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    FollowUpFactory,
    FollowUpTypeFactory,
    PersonFactory,
    PriorityFactory,
    ProjectFactory,
)
from followups.models import FollowUp
from followups.paging import PAGE_SIZE
from tests.helpers import day, element, elements, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(db):
    return CompanyFactory(name="Fjord Fisk AS")


@pytest.fixture
def person(company):
    return PersonFactory(first_name="Ingrid", last_name="Berg", company=company)


@pytest.fixture(params=["company", "person"])
def card(request, company, person):
    """(the card's URL, what a follow-up needs to be on it): each test runs on both."""
    if request.param == "company":
        return reverse("crm:company", args=[company.pk]), {"company": company}
    return reverse("crm:person", args=[person.pk]), {"company": company, "person": person}


def test_it_requires_login(client, card):
    url, _ = card
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_shows_completed_followups_too_newest_first(login, salesperson, card):
    url, on_card = card
    done_long_ago = FollowUpFactory(
        owner=salesperson,
        start_date=day(-30),
        completed=True,
        completed_at=timezone.now() - timedelta(days=29),
        **on_card,
    )
    done_today = FollowUpFactory(
        owner=salesperson,
        start_date=day(-2),
        completed=True,
        completed_at=timezone.now(),
        **on_card,
    )
    late = FollowUpFactory(owner=salesperson, start_date=day(-1), **on_card)
    ahead = FollowUpFactory(owner=salesperson, start_date=day(4), **on_card)

    response = login(salesperson).get(url)

    assert response.status_code == 200
    assert list(rows(response).items()) == [
        (ahead.pk, ""),
        (late.pk, "overdue"),
        (done_today.pk, "done"),
        (done_long_ago.pk, "done"),
    ]
    assert response.content.decode().count(">Overdue</span>") == 1


def test_it_shows_only_this_cards_followups(login, salesperson, company, person, card):
    url, on_card = card
    here = FollowUpFactory(owner=salesperson, **on_card)
    elsewhere = CompanyFactory()
    FollowUpFactory(owner=salesperson, company=elsewhere)
    FollowUpFactory(owner=salesperson, company=company, person=PersonFactory(company=company))

    shown = list(rows(login(salesperson).get(url)))

    if "person" in on_card:
        assert shown == [here.pk]
    else:  # the company card shows its persons' follow-ups too
        assert here.pk in shown
        assert len(shown) == 2


def test_it_shows_colleagues_followups_with_their_owner(
    login, salesperson, manager, reader, group, card
):
    url, on_card = card
    own = FollowUpFactory(owner=salesperson, **on_card)
    colleagues = FollowUpFactory(owner=manager, **on_card)

    for associate in (salesperson, reader):
        response = login(associate).get(url)
        assert list(rows(response)) == [colleagues.pk, own.pk]
        assert elements(response, "td", text=manager.name)
        assert elements(response, "td", text=salesperson.name)


def test_it_hides_another_groups_followups_from_a_salesperson(login, salesperson, outsider, card):
    url, on_card = card
    own = FollowUpFactory(owner=salesperson, **on_card)
    given_to_outsider = FollowUpFactory(owner=outsider, created_by=salesperson, **on_card)
    FollowUpFactory(owner=outsider, description="Zanzibar plans", completed=True, **on_card)
    FollowUpFactory(owner=outsider, description="Zanzibar call", **on_card)

    response = login(salesperson).get(url)

    assert list(rows(response)) == [given_to_outsider.pk, own.pk]
    assert "Zanzibar" not in response.content.decode()


def test_it_shows_a_sales_manager_every_followup(login, manager, salesperson, outsider, card):
    url, on_card = card
    followups = [FollowUpFactory(owner=owner, **on_card) for owner in (salesperson, outsider)]

    assert list(rows(login(manager).get(url))) == [f.pk for f in reversed(followups)]


def test_it_offers_the_completion_toggle_with_the_owner_column(login, salesperson, card):
    url, on_card = card
    followup = FollowUpFactory(owner=salesperson, **on_card)

    html = login(salesperson).get(url).content.decode()

    toggle = reverse("followups:toggle_completed", args=[followup.pk])
    table = element(html, "form", class_="followup-table")  # what each row's tick posts
    assert element(table.html, "button", class_="tick", hx_post=toggle)
    assert element(table.html, "input", type="hidden", name="show_owner", value="1")
    assert element(table.html, "input", type="hidden", name="next", value=url)


def test_it_pages(login, salesperson, card):
    url, on_card = card
    FollowUp.objects.bulk_create(
        FollowUpFactory.build_batch(
            PAGE_SIZE, owner=salesperson, type=FollowUpTypeFactory(), **on_card
        )
    )
    oldest = FollowUpFactory(owner=salesperson, start_date=day(-400), **on_card)
    client = login(salesperson)

    assert len(rows(client.get(url))) == PAGE_SIZE
    assert list(rows(client.get(url, {"page": 2}))) == [oldest.pk]


def test_it_answers_404_for_a_missing_company_or_person(login, salesperson):
    client = login(salesperson)
    assert client.get(reverse("crm:company", args=[999999])).status_code == 404
    assert client.get(reverse("crm:person", args=[999999])).status_code == 404


def _many(n, *, on_card, group):
    """n follow-ups on the card, owned by a colleague in the group, all in one insert."""
    FollowUp.objects.bulk_create(
        FollowUpFactory.build_batch(
            n,
            owner=AssociateFactory(primary_group=group),
            type=FollowUpTypeFactory(),
            project=ProjectFactory(),
            priority=PriorityFactory(),
            **on_card,
        )
    )


@pytest.mark.parametrize("n", [10, 500])
def test_it_uses_the_same_number_of_queries_for_any_size_on_the_company_card(
    login, salesperson, group, company, person, django_assert_num_queries, n
):
    _many(n, on_card={"company": company, "person": person}, group=group)
    client = login(salesperson)

    # 1: the session
    # 2: the user
    # 3: the associate, with its user and primary group
    # 4: the associate's other user groups
    # 5: the company, with its our contact
    # 6, 7: the filter bar's types and priorities (also the rows' names)
    # 8: the user's own permissions (may this role see every associate?)
    # 9: the user's roles' permissions
    # 10: the page's ids, sorted (one more than a page: is there a next?)
    # 11: those follow-ups, with project, company and person
    # 12: their owners (with logins)
    # 13: how many on every page
    # 14: the company's persons
    with django_assert_num_queries(14):
        response = client.get(reverse("crm:company", args=[company.pk]))

    assert len(rows(response)) == min(n, PAGE_SIZE)


@pytest.mark.parametrize("n", [10, 500])
def test_it_uses_the_same_number_of_queries_for_any_size_on_the_person_card(
    login, salesperson, group, company, person, django_assert_num_queries, n
):
    _many(n, on_card={"company": company, "person": person}, group=group)
    client = login(salesperson)

    # 1: the session
    # 2: the user
    # 3: the associate, with its user and primary group
    # 4: the associate's other user groups
    # 5: the person, with their company and our contacts
    # 6, 7: the filter bar's types and priorities (also the rows' names)
    # 8: the user's own permissions (may this role see every associate?)
    # 9: the user's roles' permissions
    # 10: the page's ids, sorted (one more than a page: is there a next?)
    # 11: those follow-ups, with project, company and person
    # 12: their owners (with logins)
    # 13: how many on every page
    with django_assert_num_queries(13):
        response = client.get(reverse("crm:person", args=[person.pk]))

    assert len(rows(response)) == min(n, PAGE_SIZE)

"""POST the dialog's fields for the live preview (followups.views.generate_preview)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    PersonFactory,
    SelectionMemberFactory,
)
from followups.models import FollowUp, Generation
from tests.helpers import HTMX, elements, text

pytestmark = pytest.mark.django_db


def url(selection) -> str:
    return reverse("followups:generate_preview", args=[selection.pk])


@pytest.fixture
def eva():
    return AssociateFactory(user__first_name="Eva", user__last_name="Eier")


@pytest.fixture
def members(selection, eva):
    """Fjord AS (Eva) with two persons, Fjell AS with no our contact, a person with no
    company and no our contact."""
    fjord = CompanyFactory(name="Fjord AS", our_contact=eva)
    SelectionMemberFactory(selection=selection, person=PersonFactory(company=fjord))
    SelectionMemberFactory(selection=selection, person=PersonFactory(company=fjord))
    SelectionMemberFactory(
        selection=selection, person=None, company=CompanyFactory(our_contact=None)
    )
    return [
        *selection.members.all(),
        SelectionMemberFactory(selection=selection, person=PersonFactory(company=None)),
    ]


def test_it_requires_login(client, selection, dialog_data):
    response = client.post(url(selection), dialog_data())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_answers_the_preview_fragment_only(login, salesperson, selection, members, dialog_data):
    response = login(salesperson).post(url(selection), dialog_data(), headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert not elements(html, "html")
    assert not elements(html, "form")
    assert text(response) == "Preview 4 follow-ups will be created, for 3 companies. You 4"


def test_it_counts_one_per_company(login, salesperson, selection, members, dialog_data):
    response = login(salesperson).post(
        url(selection), dialog_data(one_per_company="on"), headers=HTMX
    )

    assert "3 follow-ups will be created, for 3 companies." in text(response)


def test_it_counts_the_selected_members_only(login, salesperson, selection, members, dialog_data):
    ticked = [str(members[0].pk), str(members[3].pk)]

    response = login(salesperson).post(
        url(selection), dialog_data(selected_only="on", members=ticked), headers=HTMX
    )

    assert "2 follow-ups will be created, for 2 companies." in text(response)


def test_it_splits_by_our_contact_and_says_who_falls_back_and_why(
    login, manager, selection, members, dialog_data
):
    gone = AssociateFactory(active=False)
    SelectionMemberFactory(
        selection=selection, person=None, company=CompanyFactory(our_contact=gone)
    )

    response = login(manager).post(
        url(selection), dialog_data(owner_mode="our_contact"), headers=HTMX
    )

    assert text(response) == (
        "Preview 5 follow-ups will be created, for 4 companies."
        " You 3 (of which 3 because their company has no or an inactive our contact) Eva Eier 2"
        " 3 go to your own list instead: 2 have no our contact, 1 has an inactive our contact."
    )


def test_it_shows_the_other_associate(login, salesperson, selection, members, dialog_data):
    colleague = AssociateFactory(
        primary_group=salesperson.primary_group,
        user__first_name="Ingrid",
        user__last_name="Kollega",
    )

    response = login(salesperson).post(
        url(selection),
        dialog_data(owner_mode="other", owner_associate=str(colleague.pk)),
        headers=HTMX,
    )

    assert text(response).endswith("Ingrid Kollega 4")


@pytest.mark.parametrize(
    "changes",
    [
        {"owner_mode": "our_contact"},  # not allowed for a salesperson
        {"owner_mode": "other"},  # no associate yet
        {"owner_mode": "other", "owner_associate": "999999"},
        {"selected_only": "on"},  # nothing ticked
    ],
)
def test_it_waits_for_a_valid_owner_and_scope(
    login, salesperson, selection, members, dialog_data, changes
):
    response = login(salesperson).post(url(selection), dialog_data(**changes), headers=HTMX)

    assert response.status_code == 200
    assert text(response) == "The preview appears when the owner choice is complete."


def test_it_shows_while_the_other_fields_are_still_empty(
    login, salesperson, selection, members, dialog_data
):
    data = dialog_data(type=None, description="", start_date="", key="")

    response = login(salesperson).post(url(selection), data, headers=HTMX)

    assert "4 follow-ups will be created" in text(response)


def test_it_writes_nothing(login, salesperson, selection, members, dialog_data):
    login(salesperson).post(url(selection), dialog_data(), headers=HTMX)

    assert not FollowUp.objects.exists()
    assert not Generation.objects.exists()


def test_it_accepts_only_post(login, salesperson, selection):
    assert login(salesperson).get(url(selection)).status_code == 405


@pytest.mark.parametrize("size", [10, 1000])
def test_it_takes_the_same_queries_for_10_and_1000_members(
    login, manager, selection, add_members, dialog_data, django_assert_num_queries, size
):
    add_members(selection, size)
    client = login(manager)

    # 1. the session, 2. the login
    # 3. the associate, 4. their other user groups
    # 5. the selection, if this associate may see it
    # 6. the login's own permissions, 7. its roles' permissions (the task right)
    # 8. the follow-up type (the whole form is validated)
    # 9. does the selection have members?
    # 10. the selection's kind and criteria, read at one moment
    # 11. the preview's aggregate, 12. the top owners' names
    with django_assert_num_queries(12):
        response = client.post(url(selection), dialog_data(owner_mode="our_contact"), headers=HTMX)

    assert f"{size:,} follow-ups will be created" in text(response)

"""A selection's name on the follow-ups and generations made from it: shown, with a
link, only to those who may see the selection (Selection.objects.visible_to); everyone
else reads "a selection you cannot see", with no link."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.factories import (
    AssociateFactory,
    FollowUpFactory,
    FollowUpTypeFactory,
    SelectionFactory,
)
from followups.models import Generation, OwnerMode
from selections.models import Visibility
from tests.helpers import element, text

pytestmark = pytest.mark.django_db

HIDDEN = "a selection you cannot see"


def generation_of(selection, creator, *, owner=None) -> Generation:
    """A generation from `selection` by `creator`, with one follow-up owned by `owner`."""
    generation = Generation.objects.create(
        created_by=creator,
        selection=selection,
        selection_name=selection.name,
        type=FollowUpTypeFactory(),
        start_date=date(2026, 3, 2),
        description="Ring",
        owner_mode=OwnerMode.OTHER if owner else OwnerMode.MINE,
        owner_associate=owner,
        created_count=1,
    )
    FollowUpFactory(
        generation=generation,
        owner=owner or creator,
        created_by=creator,
        type=generation.type,
        description="Ring",
    )
    return generation


@pytest.fixture
def secret(salesperson):
    """Olav's owner-only selection."""
    return SelectionFactory(owner=salesperson, name="Hemmelig liste", visibility=Visibility.OWNER)


def page(client, name: str, *args) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_it_hides_the_name_on_the_followup_page_from_a_colleague(
    secret, salesperson, reader, login
):
    """Lise shares Olav's user group, so sees his follow-ups, but not his private list."""
    generation = generation_of(secret, salesperson)
    followup = generation.followups.get()

    html = page(login(reader), "followups:detail", followup.pk)

    assert "Hemmelig liste" not in html
    assert f"generated from {HIDDEN}" in text(html)
    assert reverse("selections:detail", args=[secret.pk]) not in html
    assert login(reader).get(secret.get_absolute_url()).status_code == 404


def test_it_shows_the_name_with_a_link_to_who_may_see_the_selection(secret, salesperson, login):
    followup = generation_of(secret, salesperson).followups.get()

    html = page(login(salesperson), "followups:detail", followup.pk)

    assert "generated from Hemmelig liste" in text(html)
    link = element(html, "a", href=reverse("selections:detail", args=[secret.pk]))
    assert link.text == "Hemmelig liste"
    assert HIDDEN not in html


def test_it_hides_the_name_from_the_owner_of_followups_handed_to_them(
    secret, salesperson, group, login
):
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])
    followup = generation_of(secret, salesperson, owner=colleague).followups.get()

    html = page(login(colleague), "followups:detail", followup.pk)

    assert "Hemmelig liste" not in html and HIDDEN in text(html)


def test_it_hides_the_name_in_the_generation_list_and_detail_from_a_manager(
    secret, salesperson, manager, login
):
    """Sales managers see every generation, but the selection rule is the same for them."""
    generation = generation_of(secret, salesperson)
    client = login(manager)

    listing = page(client, "followups:generation_list")
    detail = page(client, "followups:generation_detail", generation.pk)
    undo = page(client, "followups:generation_undo", generation.pk)

    for html in (listing, detail, undo):
        assert "Hemmelig liste" not in html
        assert HIDDEN in text(html)
        assert reverse("selections:detail", args=[secret.pk]) not in html
    assert "Generated from a selection you cannot see" in text(detail)


def test_it_hides_a_group_selections_name_from_another_group(outsider, manager, login):
    theirs = SelectionFactory(owner=outsider, name="Kunder Bergen", visibility=Visibility.GROUP)
    generation = generation_of(theirs, outsider)

    assert "Kunder Bergen" in page(login(outsider), "followups:generation_list")
    html = page(login(manager), "followups:generation_detail", generation.pk)
    assert "Kunder Bergen" not in html and HIDDEN in text(html)


def test_it_shows_the_name_to_the_creator_in_the_generation_pages(secret, salesperson, login):
    generation = generation_of(secret, salesperson)
    client = login(salesperson)
    link = f'href="{reverse("selections:detail", args=[secret.pk])}"'

    listing = page(client, "followups:generation_list")
    detail = page(client, "followups:generation_detail", generation.pk)

    assert "Hemmelig liste" in listing and link in listing
    assert "Generated from “Hemmelig liste”" in text(detail) and link in detail
    assert HIDDEN not in listing + detail


def test_it_shows_everyones_selection_to_everyone(salesperson, manager, login):
    public = SelectionFactory(owner=salesperson, name="Alle kunder", visibility=Visibility.EVERYONE)
    generation = generation_of(public, salesperson)

    assert "Alle kunder" in page(login(manager), "followups:generation_detail", generation.pk)


def test_it_follows_the_selection_when_its_visibility_changes(secret, salesperson, manager, login):
    generation = generation_of(secret, salesperson)
    secret.visibility = Visibility.GROUP  # Anna is in Olav's group
    secret.save()

    assert "Hemmelig liste" in page(login(manager), "followups:generation_detail", generation.pk)


def test_it_names_no_selection_once_it_is_deleted(secret, salesperson, login):
    generation = generation_of(secret, salesperson)
    followup = generation.followups.get()
    secret.delete()

    client = login(salesperson)
    for html in (
        page(client, "followups:generation_list"),
        page(client, "followups:generation_detail", generation.pk),
        page(client, "followups:detail", followup.pk),
    ):
        assert "Hemmelig liste" not in html
        assert "a deleted selection" in text(html)


@pytest.mark.parametrize("runs", [1, 5])
def test_the_generation_list_takes_the_same_queries_whatever_it_shows(
    runs, secret, salesperson, manager, outsider, login, django_assert_num_queries
):
    public = SelectionFactory(owner=outsider, visibility=Visibility.EVERYONE)
    for _ in range(runs):
        generation_of(secret, salesperson)  # hidden from Anna
        generation_of(public, outsider)  # shown to her
    client = login(manager)

    # 1 session, 2 user, 3 associate, 4 its other groups, 5 user permissions and
    # 6 group permissions (visible_to), 7 COUNT for the pager, 8 the page of
    # generations with their counts and whether Anna may see each one's selection
    with django_assert_num_queries(8):
        html = client.get(reverse("followups:generation_list")).content.decode()

    assert text(html).count(HIDDEN) == runs


def test_the_followup_page_takes_no_query_more_for_the_name(secret, salesperson, reader, login):
    followup = generation_of(secret, salesperson).followups.get()
    plain = FollowUpFactory(owner=salesperson, type=followup.type)

    def queries(client, pk) -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("followups:detail", args=[pk]))
        return len(captured)

    client = login(reader)
    assert queries(client, followup.pk) == queries(client, plain.pk)

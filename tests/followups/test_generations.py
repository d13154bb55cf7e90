"""Generation history and undo."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.urls import reverse

from followups import services
from followups.models import FollowUp, Generation, OwnerMode
from tests.helpers import generation_choices

pytestmark = pytest.mark.django_db


def generate(selection, creator, call_type, **choices) -> Generation:
    generation, created = services.followups_generate(
        selection=selection,
        creator=creator,
        key=uuid.uuid4(),
        **generation_choices(
            type=call_type, start_date=date(2026, 12, 1), description="Ring", **choices
        ),
    )
    assert created
    return generation


@pytest.fixture
def generation(selection, salesperson, call_type, add_members):
    add_members(selection, 9)
    return generate(selection, salesperson, call_type)


def change_some(generation) -> list[int]:
    """Edit one, complete one, re-own one: three follow-ups changed since."""
    edited, completed, reowned = FollowUp.objects.filter(generation=generation).order_by("id")[:3]
    edited.description = "Changed"
    edited.save()
    services.followup_set_completed(followup=completed, completed=True)
    reowned.owner = generation.created_by
    reowned.save()
    return [edited.pk, completed.pk, reowned.pk]


def test_it_removes_exactly_the_untouched_followups(generation, salesperson):
    changed = change_some(generation)

    result = services.generation_undo(generation=generation, by=salesperson)

    assert (result.removed, result.kept) == (6, 3)
    assert sorted(FollowUp.objects.values_list("pk", flat=True)) == sorted(changed)
    generation.refresh_from_db()
    assert generation.undone_by == salesperson and generation.undone_at is not None
    assert generation.removed_count == 6


def test_a_completed_then_reopened_followup_counts_as_changed(generation, salesperson):
    followup = FollowUp.objects.filter(generation=generation).first()
    services.followup_set_completed(followup=followup, completed=True)
    services.followup_set_completed(followup=followup, completed=False)

    result = services.generation_undo(generation=generation, by=salesperson)

    assert (result.removed, result.kept) == (8, 1)
    assert FollowUp.objects.get().pk == followup.pk


def test_undoing_twice_removes_nothing_more(generation, salesperson):
    services.generation_undo(generation=generation, by=salesperson)
    again = services.generation_undo(generation=generation, by=salesperson)
    assert again.already_undone and again.removed == 0
    assert Generation.objects.get().removed_count == 9


def test_it_leaves_other_generations_alone(generation, selection, salesperson, call_type):
    other = generate(selection, salesperson, call_type)
    services.generation_undo(generation=generation, by=salesperson)
    assert FollowUp.objects.filter(generation=other).count() == 9


def test_the_confirmation_counts_match_what_is_removed(generation, salesperson, login):
    change_some(generation)
    response = login(salesperson).get(reverse("followups:generation_undo", args=[generation.pk]))
    assert response.status_code == 200
    assert b"6 follow-ups that nobody has changed will be removed." in response.content
    assert b"3 that were changed since" in response.content
    assert FollowUp.objects.count() == 9  # asking writes nothing

    response = login(salesperson).post(reverse("followups:generation_undo", args=[generation.pk]))
    assert response.status_code == 302
    assert FollowUp.objects.count() == 3
    page = login(salesperson).get(response["Location"])
    assert b"Removed 6 follow-ups, kept 3 that were changed since." in page.content


def test_it_checks_ownership(generation, outsider, login):
    """Another user's generation is not there for them: 404, and nothing removed."""
    client = login(outsider)
    url = reverse("followups:generation_undo", args=[generation.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert (
        client.get(reverse("followups:generation_detail", args=[generation.pk])).status_code == 404
    )
    assert FollowUp.objects.count() == 9
    assert Generation.objects.get().undone_at is None


def test_a_colleague_in_the_same_group_cannot_undo_either(generation, reader, login):
    assert (
        login(reader).post(reverse("followups:generation_undo", args=[generation.pk])).status_code
        == 404
    )
    assert FollowUp.objects.count() == 9


def test_an_administrator_may_undo_anyones_generation(generation, manager, login):
    response = login(manager).post(reverse("followups:generation_undo", args=[generation.pk]))
    assert response.status_code == 302
    assert FollowUp.objects.count() == 0
    assert Generation.objects.get().undone_by == manager


def test_login_is_required(generation, client):
    for name in ("generation_list", "generation_detail", "generation_undo"):
        args = [] if name == "generation_list" else [generation.pk]
        response = client.get(reverse(f"followups:{name}", args=args))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_list_shows_own_generations_with_created_and_changed_counts(
    generation, salesperson, outsider, manager, login, selection, call_type
):
    change_some(generation)
    generate(selection, outsider, call_type)  # someone else's: not listed for olav
    response = login(salesperson).get(reverse("followups:generation_list"))
    assert [g.pk for g in response.context["page"].object_list] == [generation.pk]
    row = response.context["page"].object_list[0]
    assert (row.created_count, row.changed) == (9, 3)
    # Administrators see everyone's.
    assert len(login(manager).get(reverse("followups:generation_list")).context["page"]) == 2


@pytest.mark.parametrize("members", [10, 200])
def test_undo_takes_the_same_queries_whatever_the_size(
    members, selection, salesperson, call_type, add_members, django_assert_num_queries
):
    add_members(selection, members)
    generation = generate(selection, salesperson, call_type, owner_mode=OwnerMode.MINE)
    # 1 SAVEPOINT, 2 SELECT … FOR UPDATE the generation, 3 DELETE the untouched,
    # 4 COUNT what is kept, 5 UPDATE the generation, 6 RELEASE SAVEPOINT
    with django_assert_num_queries(6):
        result = services.generation_undo(generation=generation, by=salesperson)
    assert result.removed == members


@pytest.mark.parametrize("members", [10, 200])
def test_the_list_takes_the_same_queries_whatever_the_size(
    members, selection, salesperson, call_type, add_members, login, django_assert_num_queries
):
    add_members(selection, members)
    generate(selection, salesperson, call_type)
    client = login(salesperson)
    # 1 session, 2 user, 3 associate, 4 its other groups, 5 user permissions and
    # 6 group permissions (visible_to), 7 COUNT for the pager, 8 the page of
    # generations with their counts
    with django_assert_num_queries(8):
        client.get(reverse("followups:generation_list"))

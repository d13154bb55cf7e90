"""Dynamic selections: criteria, their result, generation from them, freezing."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import pytest
from django.urls import reverse

from crm.models import Company, Person
from demo.factories import AssociateFactory, CompanyFactory, PersonFactory, SelectionFactory
from followups import services as followup_services
from followups.models import FollowUp, FollowUpType, OwnerMode
from followups.services import Scope, Settings
from selections import dynamic, services
from selections.models import Criterion, Selection, Visibility
from tests.helpers import HTMX, element, generation_choices

pytestmark = pytest.mark.django_db
Field = Criterion.Field


@pytest.fixture
def world(salesperson, outsider):
    """A small CRM: companies in two cities with persons of different ranks and e-mail,
    companies without persons, persons without a company."""
    oslo = CompanyFactory(name="Alfa AS", city="Oslo", category="Customer", our_contact=salesperson)
    bergen = CompanyFactory(
        name="Beta AS", city="Bergen", category="Prospect", our_contact=outsider
    )
    idle = CompanyFactory(
        name="Alfa Idle", city="Oslo", category="Customer", our_contact=None, active=False
    )
    empty = CompanyFactory(
        name="Gamma Tom", city="Oslo", category="Customer", our_contact=salesperson
    )
    people = {
        "oslo1": PersonFactory(company=oslo, rank=1, email="a@example.no"),
        "oslo2": PersonFactory(company=oslo, rank=2, email=""),
        "bergen1": PersonFactory(company=bergen, rank=1, email="b@example.no"),
        "bergen3": PersonFactory(company=bergen, rank=3, email="c@example.no"),
        "idle1": PersonFactory(company=idle, rank=1, email=""),
        "loner_mine": PersonFactory(company=None, our_contact=salesperson, email="d@example.no"),
        "loner_none": PersonFactory(company=None, our_contact=None, email=""),
    }
    return {"oslo": oslo, "bergen": bergen, "idle": idle, "empty": empty, **people}


def make(owner, *criteria) -> Selection:
    selection = SelectionFactory(owner=owner, kind=Selection.Kind.DYNAMIC)
    for field, value in criteria:
        selection.criteria.create(field=field, value=value)
    return selection


def result(selection, viewer) -> set[tuple]:
    return {(r["row_company"], r["row_person"]) for r in dynamic.result_rows(selection, viewer)}


def rows(world, *names) -> set[tuple]:
    out = set()
    for name in names:
        obj = world[name]
        if isinstance(obj, Company):
            out.add((obj.pk, None))
        else:
            out.add((obj.company_id, obj.pk))
    return out


ALL_PERSONS = ("oslo1", "oslo2", "bergen1", "bergen3", "idle1", "loner_mine", "loner_none")


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ([], (*ALL_PERSONS, "empty")),
        ([(Field.COMPANY_NAME_STARTS, "alfa")], ("oslo1", "oslo2", "idle1")),
        ([(Field.COMPANY_NAME_CONTAINS, "TOM")], ("empty",)),
        ([(Field.CITY, "oslo")], ("oslo1", "oslo2", "idle1", "empty")),
        ([(Field.CATEGORY, "prospect")], ("bergen1", "bergen3")),
        ([(Field.OUR_CONTACT, "me")], ("oslo1", "oslo2", "loner_mine", "empty")),
        ([(Field.OUR_CONTACT, "none")], ("idle1", "loner_none")),
        ([(Field.COMPANY_ACTIVE, "no")], ("idle1",)),
        ([(Field.COMPANY_ACTIVE, "yes")], ("oslo1", "oslo2", "bergen1", "bergen3", "empty")),
        ([(Field.PERSON_HAS_EMAIL, "yes")], ("oslo1", "bergen1", "bergen3", "loner_mine")),
        ([(Field.PERSON_HAS_EMAIL, "no")], ("oslo2", "idle1", "loner_none")),
        (
            [(Field.PERSON_RANK_AT_MOST, "1")],
            ("oslo1", "bergen1", "idle1", "loner_mine", "loner_none"),
        ),
        # AND between criteria
        ([(Field.CITY, "Oslo"), (Field.PERSON_HAS_EMAIL, "no")], ("oslo2", "idle1")),
        ([(Field.OUR_CONTACT, "me"), (Field.PERSON_RANK_AT_MOST, "1")], ("oslo1", "loner_mine")),
    ],
)
def test_each_criterion_selects_what_it_says(world, salesperson, criteria, expected):
    assert result(make(salesperson, *criteria), salesperson) == rows(world, *expected)


def test_me_is_whoever_uses_the_selection(world, salesperson, outsider):
    selection = make(salesperson, (Field.OUR_CONTACT, "me"))
    assert result(selection, outsider) == rows(world, "bergen1", "bergen3")


def test_a_named_associate_as_our_contact(world, salesperson, outsider):
    selection = make(salesperson, (Field.OUR_CONTACT, str(outsider.pk)))
    assert result(selection, salesperson) == rows(world, "bergen1", "bergen3")


def test_the_result_follows_the_crm_when_used(world, salesperson):
    selection = make(salesperson, (Field.CITY, "Bergen"))
    assert len(result(selection, salesperson)) == 2
    newcomer = PersonFactory(company=world["bergen"], rank=4)
    assert (world["bergen"].pk, newcomer.pk) in result(selection, salesperson)


def generate(selection, creator, **choices):
    generation, _ = followup_services.followups_generate(
        selection=selection,
        creator=creator,
        key=uuid.uuid4(),
        **generation_choices(
            type=FollowUpType.objects.get(name="Meeting"),
            start_date=date(2026, 12, 1),
            description="Dynamic",
            **choices,
        ),
    )
    return generation


def made(generation) -> Counter:
    return Counter(
        FollowUp.objects.filter(generation=generation).values_list(
            "company_id", "person_id", "owner_id"
        )
    )


@pytest.mark.parametrize("one_per_company", [False, True])
@pytest.mark.parametrize("owner_mode", [OwnerMode.MINE, OwnerMode.OUR_CONTACT])
def test_generation_equals_generation_from_its_frozen_copy(
    world, manager, one_per_company, owner_mode
):
    selection = make(manager, (Field.CITY, "oslo"))  # includes a company with no persons
    selection.criteria.create(field=Field.COMPANY_ACTIVE, value="yes")
    from_dynamic = made(
        generate(selection, manager, one_per_company=one_per_company, owner_mode=owner_mode)
    )

    services.selection_freeze(selection=selection, viewer=manager)
    selection.refresh_from_db()
    assert not selection.is_dynamic and not selection.criteria.exists()
    from_frozen = made(
        generate(selection, manager, one_per_company=one_per_company, owner_mode=owner_mode)
    )

    assert from_dynamic == from_frozen
    assert sum(from_dynamic.values()) == (2 if one_per_company else 3)


def test_one_per_company_takes_the_best_rank_then_the_lowest_id(world, salesperson):
    bergen = world["bergen"]
    tied = PersonFactory(company=bergen, rank=1)  # same rank as bergen1, added later
    selection = make(salesperson, (Field.CITY, "bergen"))
    generation = generate(selection, salesperson, one_per_company=True)
    assert list(
        FollowUp.objects.filter(generation=generation).values_list("person_id", flat=True)
    ) == [world["bergen1"].pk]
    assert tied.pk > world["bergen1"].pk


def test_the_preview_counts_the_result(world, salesperson):
    selection = make(salesperson, (Field.COMPANY_NAME_STARTS, "Alfa"))
    preview = followup_services.followups_preview(
        selection=selection,
        creator=salesperson,
        scope=Scope(owner_mode=OwnerMode.MINE, one_per_company=True),
    )
    assert (preview.followups, preview.companies) == (2, 2)


@pytest.mark.parametrize("extra", [3, 300])
def test_generation_takes_the_same_queries_whatever_the_size(
    extra, world, salesperson, django_assert_num_queries
):
    Person.objects.bulk_create(
        Person(first_name="Extra", last_name=str(i), company=world["oslo"], rank=5)
        for i in range(extra)
    )
    selection = make(salesperson, (Field.CITY, "oslo"))
    kind = FollowUpType.objects.get(name="Meeting")
    selection = Selection.objects.get(pk=selection.pk)
    # 1 the key check, 2 SAVEPOINT, 3 INSERT the generation, 4 the criteria,
    # 5 INSERT … SELECT the follow-ups, 6 UPDATE the count, 7 RELEASE SAVEPOINT
    with django_assert_num_queries(7):
        generation, _ = followup_services.followups_generate(
            selection=selection,
            creator=salesperson,
            key=uuid.uuid4(),
            scope=Scope(),
            settings=Settings(type=kind, start_date=date(2026, 12, 1), description="x"),
        )
    assert generation.created_count == 4 + extra


def test_freezing_keeps_the_order_so_first_added_is_best_ranked(world, salesperson):
    selection = make(salesperson, (Field.CITY, "bergen"))
    count = services.selection_freeze(selection=selection, viewer=salesperson)
    assert count == 2
    assert list(selection.members.order_by("id").values_list("person_id", flat=True)) == [
        world["bergen1"].pk,
        world["bergen3"].pk,
    ]
    # Freezing again changes nothing.
    assert services.selection_freeze(selection=selection, viewer=salesperson) == 2
    assert selection.members.count() == 2


# --- the pages -----------------------------------------------------------------------


def test_the_tab_shows_the_current_result_with_its_count(world, salesperson, login):
    selection = make(salesperson, (Field.CITY, "oslo"))
    response = login(salesperson).get(selection.get_absolute_url())
    assert response.status_code == 200
    assert response.context["member_count"] == 4
    content = response.content.decode()
    assert "Gamma Tom" in content and "Beta AS" not in content
    assert "Dynamic selection" in content and "data-ticked-choice" not in content
    assert "Create follow-ups for all members (4)" in content


@pytest.mark.parametrize("extra", [3, 300])
def test_the_tab_takes_the_same_queries_whatever_the_size(
    extra, world, salesperson, login, django_assert_num_queries
):
    Person.objects.bulk_create(
        Person(first_name="Extra", last_name=str(i), company=world["oslo"], rank=5)
        for i in range(extra)
    )
    selection = make(salesperson, (Field.CITY, "oslo"), (Field.OUR_CONTACT, "me"))
    client = login(salesperson)
    # 1 session, 2 user, 3 associate, 4 its groups, 5 the selection, 6 its criteria,
    # 7 COUNT of the result, 8 the page of result rows, 9 their companies, 10 their
    # persons, 11 user and 12 group permissions (the associates named in criteria would
    # be one more; "me" names none)
    with django_assert_num_queries(12):
        client.get(selection.get_absolute_url())


def test_the_owner_adds_and_removes_criteria(world, salesperson, login):
    selection = make(salesperson)
    client = login(salesperson)
    url = reverse("selections:criterion_add", args=[selection.pk])
    response = client.post(url, {"field": Field.CITY, "value": "Bergen"}, headers=HTMX)
    assert response.status_code == 200
    assert "membersChanged" in response["HX-Trigger"]
    assert element(response, "div", id="members", hx_swap_oob="true")
    criterion = selection.criteria.get()
    assert (criterion.field, criterion.value) == (Field.CITY, "Bergen")

    client.post(reverse("selections:criterion_remove", args=[selection.pk, criterion.pk]))
    assert not selection.criteria.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("", "x", "Choose a criterion."),
        ("nonsense", "x", "Choose a criterion from the list."),
        (Field.CITY, "", "Enter the text to look for."),
        (Field.PERSON_RANK_AT_MOST, "first", "Enter a whole number"),
        (Field.PERSON_RANK_AT_MOST, "0", "Enter a whole number"),
        (Field.COMPANY_ACTIVE, "maybe", "Choose yes or no."),
        (Field.OUR_CONTACT, "12345678", "Choose yourself, nobody, or an associate from the list."),
    ],
)
def test_bad_criteria_are_refused_with_a_message(world, salesperson, login, field, value, message):
    selection = make(salesperson)
    response = login(salesperson).post(
        reverse("selections:criterion_add", args=[selection.pk]),
        {"field": field, "value": value},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not selection.criteria.exists()


def test_another_groups_associate_cannot_be_used_as_our_contact(
    world, salesperson, outsider, login
):
    """A Salesperson may only name associates of their own groups."""
    selection = make(salesperson)
    response = login(salesperson).post(
        reverse("selections:criterion_add", args=[selection.pk]),
        {"field": Field.OUR_CONTACT, "value": str(outsider.pk)},
        headers=HTMX,
    )
    assert "Choose yourself, nobody, or an associate from the list." in response.content.decode()
    assert not selection.criteria.exists()


def test_it_checks_ownership(world, salesperson, reader, outsider, login):
    selection = make(salesperson, (Field.CITY, "Oslo"))
    criterion = selection.criteria.get()
    urls = [
        (
            reverse("selections:criterion_add", args=[selection.pk]),
            {"field": Field.CITY, "value": "x"},
        ),
        (reverse("selections:criterion_remove", args=[selection.pk, criterion.pk]), {}),
        (reverse("selections:freeze", args=[selection.pk]), {}),
    ]
    for url, data in urls:
        assert login(reader).post(url, data).status_code == 403  # sees it, does not own it
    selection.visibility = Visibility.OWNER
    selection.save()
    for url, data in urls:
        assert login(outsider).post(url, data).status_code == 404
    selection.refresh_from_db()
    assert selection.is_dynamic and selection.criteria.count() == 1


def test_members_cannot_be_added_to_a_dynamic_selection(world, salesperson, login):
    selection = make(salesperson)
    response = login(salesperson).post(
        reverse("selections:member_add", args=[selection.pk]), {"company": world["oslo"].pk}
    )
    assert response.status_code == 400
    assert not selection.members.exists()


def test_freeze_through_the_page(world, salesperson, login):
    selection = make(salesperson, (Field.CITY, "Bergen"))
    response = login(salesperson).post(
        reverse("selections:freeze", args=[selection.pk]), follow=True
    )
    assert "Froze the selection: it now has 2 members" in response.content.decode()
    selection.refresh_from_db()
    assert selection.kind == Selection.Kind.STATIC and selection.members.count() == 2


def test_the_dialog_on_a_dynamic_selection(world, salesperson, login):
    selection = make(salesperson, (Field.CITY, "Oslo"))
    client = login(salesperson)
    response = client.get(reverse("followups:generate_dialog", args=[selection.pk]), headers=HTMX)
    content = response.content.decode()
    assert "For all 4 members" in content
    assert "the person with the best rank at each company" in content
    response = client.post(
        reverse("followups:generate_save", args=[selection.pk]),
        {
            "key": str(uuid.uuid4()),
            "type": FollowUpType.objects.get(name="Meeting").pk,
            "start_date": "2026-12-01",
            "description": "x",
            "owner_mode": "mine",
            "selected_only": "on",
            "members": "1",
        },
        headers=HTMX,
    )
    assert "A dynamic selection has no members to tick" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_visibility_rules_are_those_of_static_selections(world, salesperson, outsider, login):
    private = make(salesperson)
    private.visibility = Visibility.OWNER
    private.save()
    assert login(outsider).get(private.get_absolute_url()).status_code == 404
    assert (
        login(outsider).get(reverse("followups:generate_dialog", args=[private.pk])).status_code
        == 404
    )


def test_a_new_selection_is_created_by_its_owner(salesperson, login):
    client = login(salesperson)
    response = client.post(
        reverse("selections:new"), {"name": "", "kind": "dynamic", "visibility": "owner"}
    )
    assert "Give the selection a name." in response.content.decode()
    response = client.post(
        reverse("selections:new"),
        {"name": "Mine", "kind": "dynamic", "visibility": "owner", "description": ""},
    )
    selection = Selection.objects.get()
    assert response.status_code == 302 and response["Location"] == selection.get_absolute_url()
    assert (selection.owner, selection.kind) == (salesperson, Selection.Kind.DYNAMIC)


def test_company_only_rows_drop_out_with_a_person_criterion(world, salesperson):
    other = AssociateFactory()
    selection = make(salesperson, (Field.CITY, "Oslo"), (Field.PERSON_RANK_AT_MOST, "9"))
    assert (world["empty"].pk, None) not in result(selection, other)

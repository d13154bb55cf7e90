"""The one rule for a company's and a person's follow-ups (models.party_parts, of_party):
on SQLite off the index led by the generation (a person's rows by the companies the
person has been seen with), one range for the rows created one by one and one per
generation; on PostgreSQL off single-column indexes, one range whatever
the number of generations. Every path that lists a card's follow-ups uses it, and reads
it off those indexes."""

from __future__ import annotations

import importlib
import re
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone

from demo.factories import CompanyFactory, FollowUpFactory, PersonFactory, SelectionFactory
from followups import bulk, lists, services
from followups.models import BulkAction, FollowUp, Generation, generations_with_rows
from followups.search import quick_search
from selections.models import SelectionMember
from tests.helpers import generation_choices

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(db):
    return CompanyFactory(name="Fjord Fisk AS")


@pytest.fixture
def person(company):
    return PersonFactory(first_name="Ingrid", last_name="Berg", company=company)


def generate(selection, creator, kind) -> Generation:
    generation, created = services.followups_generate(
        selection=selection,
        creator=creator,
        key=uuid.uuid4(),
        **generation_choices(type=kind, start_date=timezone.localdate(), description="Spring call"),
    )
    assert created
    return generation


def ids(queryset) -> set[int]:
    return set(queryset.values_list("id", flat=True))


@pytest.fixture
def world(salesperson, call_type, company, person):
    """At the company: one row made by hand, one at the person; two generations over a
    selection of the company, the person and another company with its own person."""
    other = CompanyFactory(name="Bore AS")
    elsewhere = PersonFactory(first_name="Per", last_name="Vik", company=other)
    selection = SelectionFactory(owner=salesperson, name="Kunder")
    SelectionMember.objects.bulk_create(
        [
            SelectionMember(selection=selection, company=company),
            SelectionMember(selection=selection, company=company, person=person),
            SelectionMember(selection=selection, company=other, person=elsewhere),
        ]
    )
    by_hand = FollowUpFactory(owner=salesperson, company=company)
    at_person = FollowUpFactory(owner=salesperson, company=company, person=person)
    first = generate(selection, salesperson, call_type)
    second = generate(selection, salesperson, call_type)
    return {
        "other": other,
        "elsewhere": elsewhere,
        "by_hand": by_hand,
        "at_person": at_person,
        "first": first,
        "second": second,
        "selection": selection,
    }


def test_a_companys_followups_are_its_own_whoever_wrote_them(world, company, person):
    generated = ids(FollowUp.objects.filter(generation__in=[world["first"], world["second"]]))
    expected = ids(FollowUp.objects.filter(company=company))
    assert len(expected) == 2 + 2 * 2  # by hand 2; each generation 2 at the company

    assert ids(FollowUp.objects.of_company(company)) == expected
    assert ids(FollowUp.objects.of_company(company.pk)) == expected
    assert expected - {world["by_hand"].pk, world["at_person"].pk} <= generated
    assert ids(FollowUp.objects.of_person(person)) == ids(FollowUp.objects.filter(person=person))
    assert ids(FollowUp.objects.of_company(world["other"])) == ids(
        FollowUp.objects.filter(company=world["other"])
    )
    # A query of ids, as quick search asks.
    both = type(company).objects.filter(pk__in=[company.pk, world["other"].pk]).values("id")
    assert ids(FollowUp.objects.of_company(both)) == expected | ids(
        FollowUp.objects.filter(company=world["other"])
    )


def test_a_generated_row_moved_to_another_company_is_found_there_only(world, salesperson, company):
    row = FollowUp.objects.filter(generation=world["first"], company=company).first()
    services.followup_save_changes(
        followup=row, changes={"company": world["other"], "person": None}, by=salesperson
    )

    assert row.pk in ids(FollowUp.objects.of_company(world["other"]))
    assert row.pk not in ids(FollowUp.objects.of_company(company))


def test_a_person_who_moved_keeps_their_followups_at_the_old_company(world, company, person):
    person.company = world["other"]
    person.save()
    theirs = ids(FollowUp.objects.filter(person=person))
    assert len(theirs) == 3  # one by hand, one in each generation

    assert ids(FollowUp.objects.of_person(person)) == theirs
    assert theirs <= ids(FollowUp.objects.of_company(company))  # written at the old one
    assert not theirs & ids(FollowUp.objects.of_company(world["other"]))


# --- a person's generated rows at any company (followups_person_company on SQLite) ---


def _generated_for(person, selection, salesperson, call_type) -> set[int]:
    generation = generate(selection, salesperson, call_type)
    rows = ids(FollowUp.objects.filter(generation=generation, person=person))
    assert rows
    return rows


def test_a_person_moved_before_a_dynamic_selection_runs_is_found_at_the_new_company(
    salesperson, call_type, company, person
):
    """A dynamic selection takes the person's company now; the move is remembered."""
    from selections.models import Criterion, Selection

    other = CompanyFactory(name="Bore AS", city="Bodø")
    person.company = other
    person.save(update_fields=["company"])
    dynamic = SelectionFactory(owner=salesperson, kind=Selection.Kind.DYNAMIC)
    dynamic.criteria.create(field=Criterion.Field.CITY, value="bodø")

    rows = _generated_for(person, dynamic, salesperson, call_type)
    assert ids(FollowUp.objects.filter(pk__in=rows, company=other)) == rows
    assert rows <= ids(FollowUp.objects.of_person(person))
    assert rows <= ids(FollowUp.objects.of_person([person.pk]))


def test_a_member_at_another_company_than_the_persons_is_found(
    salesperson, call_type, company, person
):
    """A static member's company is its own, whatever the person's is now: as added, and
    as changed afterwards (an administrator's edit)."""
    other, third = CompanyFactory(name="Bore AS"), CompanyFactory(name="Tredje AS")
    selection = SelectionFactory(owner=salesperson, name="Kunder")
    SelectionMember.objects.create(selection=selection, company=other, person=person)
    rows = _generated_for(person, selection, salesperson, call_type)
    SelectionMember.objects.filter(selection=selection).update(company=third)
    rows |= _generated_for(person, selection, salesperson, call_type)

    assert {FollowUp.objects.get(pk=pk).company_id for pk in rows} == {other.pk, third.pk}
    assert ids(FollowUp.objects.of_person(person)) == rows
    persons = type(person).objects.filter(pk=person.pk).values("pk")
    assert ids(FollowUp.objects.of_person(persons)) == rows


def test_a_generated_row_given_another_company_stays_on_the_persons_card(
    salesperson, call_type, company, person
):
    other = CompanyFactory(name="Bore AS")
    selection = SelectionFactory(owner=salesperson, name="Kunder")
    SelectionMember.objects.create(selection=selection, company=company, person=person)
    (row,) = _generated_for(person, selection, salesperson, call_type)
    FollowUp.objects.filter(pk=row).update(company=other)  # as any edit writes it

    assert ids(FollowUp.objects.of_person(person)) == {row}
    assert ids(FollowUp.objects.of_company(other)) == {row}


def test_a_person_without_a_company_and_one_made_by_hand_are_found(salesperson, call_type, person):
    alone = PersonFactory(first_name="Eva", last_name="Alene", company=None)
    selection = SelectionFactory(owner=salesperson, name="Kunder")
    SelectionMember.objects.create(selection=selection, person=alone)
    rows = _generated_for(alone, selection, salesperson, call_type)
    by_hand = FollowUpFactory(owner=salesperson, company=CompanyFactory(), person=alone)

    assert ids(FollowUp.objects.of_person(alone)) == rows | {by_hand.pk}
    assert ids(FollowUp.objects.of_person([alone.pk, person.pk])) == rows | {by_hand.pk}


def test_no_persons_have_no_followups(world):
    """An empty list, or a query that can match nothing, of persons or companies."""
    for model, rows in (
        (type(world["elsewhere"]), FollowUp.objects.of_person),
        (type(world["other"]), FollowUp.objects.of_company),
    ):
        assert ids(rows([])) == set()
        assert ids(rows(model.objects.filter(pk__in=[]).values("pk"))) == set()
        assert ids(rows(model.objects.none().values("pk"))) == set()


def test_a_generated_row_saved_on_its_own_is_on_the_persons_card(world, salesperson, person):
    """Not as a generation writes its rows, at a company the person has not been at."""
    row = FollowUpFactory(
        owner=salesperson, company=CompanyFactory(), person=person, generation=world["first"]
    )
    assert row.pk in ids(FollowUp.objects.of_person(person))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's pairs and triggers")
def test_the_pairs_are_kept_by_their_triggers_after_every_migration():
    """A table rebuilt by a later migration would lose its triggers: they are all there."""
    migration = importlib.import_module("followups.migrations.0024_cards_from_one_index_on_sqlite")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {name for (name,) in cursor.fetchall()}
    assert set(migration.TRIGGERS) <= triggers


def test_a_generation_that_created_nothing_is_not_sought(world, salesperson, call_type):
    empty = SelectionFactory(owner=salesperson, name="Tom")
    nothing = generate(empty, salesperson, call_type)
    assert nothing.created_count == 0
    sought = set(generations_with_rows().values_list("id", flat=True))
    assert sought == {world["first"].pk, world["second"].pk}


def test_an_undone_generation_with_nothing_left_is_not_sought_and_put_back_rows_are_found(
    world, salesperson, company
):
    first, second = world["first"], world["second"]
    # One row of the second generation deleted by a bulk change, before its undo.
    row = FollowUp.objects.filter(generation=second, company=company).first()
    record = bulk.bulk_apply(
        FollowUp.objects.filter(pk=row.pk), bulk.Change(BulkAction.DELETE), salesperson
    )
    services.generation_undo(generation=first, by=salesperson)
    services.generation_undo(generation=second, by=salesperson)

    sought = set(generations_with_rows().values_list("id", flat=True))
    assert first.pk not in sought  # undo removed every row it created
    assert second.pk in sought  # one was deleted by the bulk change (and may come back)
    assert ids(FollowUp.objects.of_company(company)) == {
        world["by_hand"].pk,
        world["at_person"].pk,
    }

    bulk.bulk_undo(record, salesperson)  # the deleted row back, with its generation
    assert FollowUp.objects.get(pk=row.pk).generation_id == second.pk
    assert row.pk in ids(FollowUp.objects.of_company(company))


def test_every_path_of_a_card_uses_the_rule(world, login, salesperson, company, person):
    """The card's Activities tab, its count, its export and its bulk change list the
    same rows; quick search finds a generated row by its company's name."""
    expected = ids(FollowUp.objects.filter(company=company))
    assert ids(lists.card_rows(salesperson, company=company)) == expected
    assert ids(lists.card_rows(salesperson, company=company.pk)) == expected
    assert ids(lists.card_rows(salesperson, person=person.pk)) == ids(
        FollowUp.objects.filter(person=person)
    )
    client = login(salesperson)
    response = client.get(reverse("crm:company", args=[company.pk]))
    assert response.context["total"] == len(expected)
    export = client.get(
        reverse("followups:export", args=["csv"]), {"source": "company", "card": company.pk}
    )
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + len(expected)

    generated = FollowUp.objects.filter(generation=world["first"], company=world["other"])
    found = quick_search(salesperson, "Bore").followups
    assert set(ids(generated)) <= {f.pk for f in found}


# --- plans --------------------------------------------------------------------------


def _plan(sql: str, params) -> str:
    """The plan of a query, PostgreSQL told to avoid scans where it can (it would scan a
    table this small)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
            try:
                cursor.execute(f"EXPLAIN {sql}", params)
                return "\n".join(row[0] for row in cursor.fetchall())
            finally:
                cursor.execute("RESET enable_seqscan")
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(row[-1] for row in cursor.fetchall())


def _assert_no_scan(plan: str) -> None:
    assert "Seq Scan on followups_followup" not in plan, plan
    assert not re.search(r"SCAN followups_followup(?! USING)", plan), plan


@pytest.mark.parametrize("side", ["company", "person"])
def test_a_cards_queries_read_its_rows_off_the_indexes(world, salesperson, company, person, side):
    """The card's page (sorted newest first), its count: ranges of the company's (or
    person's) index, never the whole follow-ups' table; on PostgreSQL one range, with no
    list of generations to read."""
    rows = lists.card_rows(salesperson, **{side: company if side == "company" else person})
    for query in (
        rows.order_by("-start_date", "-id").values("id")[:51],
        rows.values("id"),  # what the count reads
    ):
        sql, params = query.query.sql_with_params()
        plan = _plan(sql, params)
        if connection.vendor == "sqlite":
            assert "followups_party_by_gen" in plan, plan
            if side == "person":
                assert "followups_loose_by_person" in plan, plan
        else:
            assert f"followups_by_{side}" in plan, plan
            assert "followups_generation" not in sql, sql
        _assert_no_scan(plan)


# --- the migration ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_puts_every_row_already_there_in_the_new_indexes(
    salesperson, call_type, company, person
):
    """Rows written before 0016, one by one and generated, are on the card after it,
    a person's too at a company that is not theirs."""
    elsewhere = CompanyFactory(name="Bore AS")
    executor = MigrationExecutor(connection)
    before = [("followups", "0015_generation_jobs")]
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        OldGeneration = old.get_model("followups", "Generation")
        OldFollowUp = old.get_model("followups", "FollowUp")
        now = timezone.now()
        generation = OldGeneration.objects.create(
            key=uuid.uuid4(),
            created_by_id=salesperson.pk,
            selection_name="Kunder",
            type_id=call_type.pk,
            start_date=now.date(),
            description="Old",
            owner_mode="mine",
            created_count=1,
        )

        def old_row(**columns) -> int:
            return OldFollowUp.objects.create(
                type_id=call_type.pk,
                start_date=now.date(),
                description="Old",
                owner_id=salesperson.pk,
                created_by_id=salesperson.pk,
                created_at=now,
                updated_at=now,
                **columns,
            ).pk

        rows = [
            old_row(company_id=company.pk, generation_id=generation_id)
            for generation_id in (generation.pk, None)
        ]
        at_person = old_row(
            company_id=elsewhere.pk, person_id=person.pk, generation_id=generation.pk
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert ("followups", "0016_cards_led_by_generation") in MigrationLoader(
        connection
    ).applied_migrations
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "followups_followup")
    if connection.vendor == "sqlite":  # 0024
        assert constraints["followups_party_by_gen"]["columns"] == [
            "generation_id",
            "company_id",
            "person_id",
        ]
        assert constraints["followups_loose_by_person"]["columns"] == ["person_id"]
        assert "followups_company_by_gen" not in constraints
        assert "followups_by_company" not in constraints
    else:  # 0022
        assert constraints["followups_by_company"]["columns"] == ["company_id"]
        assert constraints["followups_by_person"]["columns"] == ["person_id"]
        assert "followups_company_by_gen" not in constraints
    assert ids(FollowUp.objects.of_company(company)) == set(rows)
    assert ids(FollowUp.objects.of_person(person)) == {at_person}

"""A list sorted by a company's or a person's name is read by walking the companies (or
persons) in name order, as far as the page goes (lists.walked_ids): every page must hold
exactly the rows the full ORDER BY gives, in its order, whatever the batch sizes, with
names that differ only in case, rows of a generation and rows created one by one, rows
without a company or a person, either direction, and when the walk gives up."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from demo.factories import CompanyFactory, FollowUpFactory, FollowUpTypeFactory, PersonFactory
from followups import lists
from followups.models import FollowUp, Generation
from followups.paging import PAGE_SIZE

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NAMES = ["Ås Bygg", "ÅS BYGG", "Aker", "aker", "Bore", "Øst", "Zeta", "Ærlig", "Acme", "Berg"]


@pytest.fixture
def rows(salesperson):
    """140 follow-ups of one owner over 20 companies and 20 persons (names repeated in
    other cases), some without a company or a person, half of them in a generation;
    and the owner's list of them, its open ones and those completed today."""
    rng = random.Random(7)
    kind = FollowUpTypeFactory()
    generation = Generation.objects.create(
        created_by=salesperson,
        created_count=200,
        selection_name="Alle",
        type=kind,
        start_date=TODAY,
        description="Ring",
        owner_mode="mine",
    )
    companies = [CompanyFactory(name=NAMES[i % len(NAMES)]) for i in range(20)]
    persons = [
        PersonFactory(last_name=NAMES[i % 5].split()[0], first_name=NAMES[i % 7], company=None)
        for i in range(20)
    ]
    other = FollowUpTypeFactory()
    for i in range(140):
        FollowUpFactory(
            owner=salesperson,
            type=kind if i % 9 else other,
            start_date=TODAY + timedelta(days=rng.randrange(-5, 20)),
            company=None if i % 11 == 0 else rng.choice(companies),
            person=None if i % 4 == 0 else rng.choice(persons),
            generation=generation if i % 2 else None,
            completed=i % 13 == 0,
        )
    FollowUpFactory.create_batch(5, company=companies[0])  # another owner's
    return lists.activity_rows(salesperson, "open")


def full(rows, sort) -> list[int]:
    return list(rows.order_by(*lists.ordering(sort)).values_list("id", flat=True))


@pytest.mark.parametrize("sort", ["company", "-company", "person", "-person"])
@pytest.mark.parametrize(("first", "most"), [(100, 3000), (3, 3000), (2, 12)])
def test_every_window_holds_the_rows_of_the_full_sort(rows, sort, first, most, monkeypatch):
    monkeypatch.setattr(lists, "WALK_FIRST", first)
    monkeypatch.setattr(lists, "WALK_MOST", most)
    expected = full(rows, sort)
    assert len(expected) > 100
    gave_up = 0
    for start in range(0, len(expected) + 3, 7):
        for size in (1, 5, 51):
            walked = lists.walked_ids(rows, sort, start, start + size)
            if walked is None:
                gave_up += 1
                continue
            assert walked == expected[start : start + size], (start, size)
    if most >= 3000:
        assert not gave_up  # 20 companies: never too many to read


def test_narrowed_to_one_type_the_pages_are_the_full_sorts(rows, salesperson, monkeypatch):
    monkeypatch.setattr(lists, "WALK_FIRST", 4)
    kind = FollowUp.objects.filter(owner=salesperson).values_list("type_id", flat=True)[0]
    narrowed = rows.filter(type_id=kind)
    expected = full(narrowed, "company")
    pages = []
    filters = lists.ListFilters({"type": str(kind)})
    for number in range(1, len(expected) // PAGE_SIZE + 2):
        page = lists.list_page(number, filters, "company", narrowed)
        pages += [row.pk for row in page.object_list]
        assert page.has_next() == (number * PAGE_SIZE < len(expected))
    assert pages == expected


def test_it_gives_up_when_the_rows_are_few_and_spread_out(salesperson, monkeypatch):
    """One row at the last of 30 companies: reading them all to find it costs more than
    sorting the one row."""
    monkeypatch.setattr(lists, "WALK_FIRST", 5)
    monkeypatch.setattr(lists, "WALK_MOST", 10)
    for i in range(30):
        CompanyFactory(name=f"Firma {i:02}")
    FollowUpFactory(owner=salesperson, company=CompanyFactory(name="Ørn"))
    rows = lists.activity_rows(salesperson, "open")

    assert lists.walked_ids(rows, "company", 0, 51) is None
    page = lists.list_page(1, lists.ListFilters(), "company", rows)
    assert [row.company.name for row in page.object_list] == ["Ørn"]


def test_a_page_past_the_end_is_empty(rows):
    expected = full(rows, "company")
    assert lists.walked_ids(rows, "company", len(expected) + 10, len(expected) + 61) == []

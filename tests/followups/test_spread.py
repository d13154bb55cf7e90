"""followups.services, "Spread across a user group" and the start spread over working
days: the split the INSERT … SELECT makes, checked against one computed here in Python
another way; who shares; one owner per company; constant queries."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Company, Person
from crm.workdays import is_working_day, working_days_after
from demo.factories import AssociateFactory, UserGroupFactory
from followups import rows, services
from followups.models import FollowUp, Generation, OwnerMode, SpreadMethod
from followups.rows import Scope
from followups.services import followups_generate, followups_preview
from selections.models import SelectionMember
from tests.helpers import generation_choices

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(other_group):
    """A user group of 4 who may receive follow-ups (one of them through another group),
    and two who may not: an inactive associate and one whose login is inactive."""
    group = UserGroupFactory(name="Team Nord")
    members = [AssociateFactory(primary_group=group) for _ in range(3)]
    fourth = AssociateFactory(primary_group=other_group)
    fourth.other_groups.add(group)
    AssociateFactory(primary_group=group, active=False)
    AssociateFactory(primary_group=group, user__is_active=False)
    group.eligible = sorted([*members, fourth], key=lambda a: a.pk)
    return group


def add_units(selection, *, companies: int, alone: int, company_only: int) -> list:
    """Members in units of different sizes: company k has 1 + k % 7 persons in the
    selection; then `company_only` companies without a person, and `alone` persons with
    no company. Added in an order unrelated to their ids."""
    made = Company.objects.bulk_create(Company(name=f"Firma {k:03}") for k in range(companies))
    persons = Person.objects.bulk_create(
        Person(first_name="P", last_name=f"{k}-{j}", company=company)
        for k, company in enumerate(made)
        for j in range(1 + k % 7)
    )
    bare = Company.objects.bulk_create(Company(name=f"Tom {k:03}") for k in range(company_only))
    loners = Person.objects.bulk_create(
        Person(first_name="Alene", last_name=str(k)) for k in range(alone)
    )
    members = [SelectionMember(selection=selection, company=p.company, person=p) for p in persons]
    members += [SelectionMember(selection=selection, company=c, person=None) for c in bare]
    members += [SelectionMember(selection=selection, company=None, person=p) for p in loners]
    members.sort(key=lambda m: (hash((m.company_id, m.person_id)) % 997, m.person_id or 0))
    return SelectionMember.objects.bulk_create(members)


def give_open(associate, n: int, call_type) -> None:
    now = timezone.now()
    FollowUp.objects.bulk_create(
        FollowUp(
            type=call_type,
            start_date=date(2026, 1, 5),
            description="Already there",
            owner=associate,
            created_by=associate,
            created_at=now,
            updated_at=now,
        )
        for _ in range(n)
    )
    # Completed ones are no load.
    FollowUp.objects.bulk_create(
        FollowUp(
            type=call_type,
            start_date=date(2026, 1, 5),
            description="Done",
            owner=associate,
            created_by=associate,
            completed=True,
            completed_at=now,
            created_at=now,
            updated_at=now,
        )
        for _ in range(3)
    )


def expected_split(rows: list[tuple], loads: dict[int, int]) -> dict[tuple, int]:
    """The split computed another way: targets by handing the follow-ups out one at a
    time, each to the lowest load then (lowest id on a tie); then the units (companies
    by id, then persons with no company by id) laid end to end, each to the associate
    whose stretch of the targets holds the unit's middle."""
    current, targets = dict(loads), dict.fromkeys(loads, 0)
    for _ in rows:
        pick = min(current, key=lambda pk: (current[pk], pk))
        current[pick] += 1
        targets[pick] += 1
    stretches, start = [], 0
    for pk in sorted(targets):
        if targets[pk]:
            stretches.append((pk, start, start + targets[pk]))
            start += targets[pk]
    sizes = Counter((0, c) if c else (1, p) for c, p in rows)
    owner_of, position = {}, 0
    for unit in sorted(sizes):
        middle = position + sizes[unit] / 2
        owner_of[unit] = next(
            (pk for pk, lo, hi in stretches if lo <= middle < hi), stretches[-1][0]
        )
        position += sizes[unit]
    return {unit: owner_of[unit] for unit in sizes}


def run(selection, creator, call_type, **changes):
    values = {
        "type": call_type,
        "start_date": date(2026, 3, 2),
        "description": "Vårkampanje",
        "owner_mode": OwnerMode.GROUP,
    }
    values.update(changes)
    generation, _ = followups_generate(
        selection=selection, creator=creator, **generation_choices(**values), key=uuid.uuid4()
    )
    return generation


def split_of(generation) -> dict[tuple, set[int]]:
    """Each unit (company, or person with no company) of the generation, with its owners."""
    owners = defaultdict(set)
    for owner, company, person in FollowUp.objects.filter(generation=generation).values_list(
        "owner_id", "company_id", "person_id"
    ):
        owners[(0, company) if company else (1, person)].add(owner)
    return owners


def member_rows(selection) -> list[tuple]:
    return list(selection.members.values_list("company_id", "person_id"))


def test_it_spreads_evenly_as_computed_independently(manager, selection, team, call_type):
    add_units(selection, companies=100, alone=20, company_only=35)
    rows = member_rows(selection)
    assert len(rows) == 450

    generation = run(selection, manager, call_type, owner_group=team)

    owners = split_of(generation)
    assert all(len(o) == 1 for o in owners.values()), "a company was split"
    expected = expected_split(rows, {a.pk: 0 for a in team.eligible})
    assert {unit: o.pop() for unit, o in owners.items()} == expected
    counts = Counter(FollowUp.objects.filter(generation=generation).values_list("owner", flat=True))
    assert set(counts) == {a.pk for a in team.eligible}
    assert sum(counts.values()) == generation.created_count == 450
    assert max(counts.values()) - min(counts.values()) <= 7  # one company's share at most
    assert generation.owner_group == team and generation.spread_method == SpreadMethod.EVENLY


def test_it_spreads_by_open_load_as_computed_independently(manager, selection, team, call_type):
    add_units(selection, companies=100, alone=20, company_only=35)
    loads = dict(zip([a.pk for a in team.eligible], (40, 0, 300, 90), strict=True))
    for associate in team.eligible:
        give_open(associate, loads[associate.pk], call_type)

    preview = followups_preview(
        selection=selection,
        creator=manager,
        scope=Scope(
            owner_mode=OwnerMode.GROUP, owner_group=team, spread_method=SpreadMethod.BY_LOAD
        ),
    )
    generation = run(
        selection, manager, call_type, owner_group=team, spread_method=SpreadMethod.BY_LOAD
    )

    owners = split_of(generation)
    assert all(len(o) == 1 for o in owners.values()), "a company was split"
    expected = expected_split(member_rows(selection), loads)
    assert {unit: o.pop() for unit, o in owners.items()} == expected
    busiest = team.eligible[2]
    assert not FollowUp.objects.filter(generation=generation, owner=busiest).exists()
    after = Counter(
        FollowUp.objects.filter(completed=False).values_list("owner", flat=True).order_by()
    )
    sharing = [after[a.pk] for a in team.eligible if a != busiest]
    assert max(sharing) - min(sharing) <= 7  # as even as one company's share allows
    assert [(r.associate.pk, r.open_before, r.open_after) for r in preview.spread] == [
        (a.pk, loads[a.pk], after[a.pk]) for a in team.eligible
    ]


def test_it_never_splits_a_company_and_keeps_one_per_company(manager, selection, team, call_type):
    add_units(selection, companies=30, alone=5, company_only=3)

    generation = run(selection, manager, call_type, owner_group=team, one_per_company=True)

    assert generation.created_count == 38
    counts = Counter(FollowUp.objects.filter(generation=generation).values_list("owner", flat=True))
    assert sorted(counts.values()) == [9, 9, 10, 10]  # 38 over 4, the first two by id one more
    assert [counts[a.pk] for a in team.eligible] == [10, 10, 9, 9]
    companies = FollowUp.objects.filter(generation=generation, company__isnull=False)
    assert companies.count() == companies.values("company").distinct().count()


def test_it_gives_nothing_to_those_who_may_not_receive_followups(
    manager, selection, team, call_type
):
    add_units(selection, companies=20, alone=0, company_only=0)

    generation = run(selection, manager, call_type, owner_group=team)

    owners = set(FollowUp.objects.filter(generation=generation).values_list("owner", flat=True))
    assert owners == {a.pk for a in team.eligible}


def test_it_refuses_a_group_with_no_one_to_receive_them(manager, selection, call_type):
    add_units(selection, companies=3, alone=0, company_only=0)
    empty = UserGroupFactory(name="Sluttet")
    AssociateFactory(primary_group=empty, active=False)

    with pytest.raises(services.SelectionUnusable, match="No one in this user group"):
        run(selection, manager, call_type, owner_group=empty)
    assert not Generation.objects.exists() and not FollowUp.objects.exists()


def test_the_same_selection_and_team_give_the_same_split(manager, selection, team, call_type):
    add_units(selection, companies=25, alone=4, company_only=2)

    first = split_of(run(selection, manager, call_type, owner_group=team))
    second = split_of(run(selection, manager, call_type, owner_group=team))

    assert first == second


def test_its_queries_do_not_grow_with_members_or_associates(
    manager, selection, team, call_type, other_group
):
    def queries(**changes) -> int:
        with CaptureQueriesContext(connection) as captured:
            run(selection, manager, call_type, **changes)
        return len(captured)

    add_units(selection, companies=2, alone=1, company_only=0)
    small = queries(owner_group=team)
    add_units(selection, companies=120, alone=40, company_only=10)
    big = queries(owner_group=team)
    for _ in range(12):
        AssociateFactory(primary_group=team)
    bigger_team = queries(owner_group=team, spread_method=SpreadMethod.BY_LOAD, spread_days=20)
    # The one-time key, the selection's kind and criteria, the generation row, the plan
    # (the group's associates with their loads and the number of rows), the INSERT …
    # SELECT, the count update (and the savepoint around the transaction's work).
    assert small == big == bigger_team


def test_it_spreads_each_owners_start_over_the_working_days(manager, selection, team, call_type):
    add_units(selection, companies=40, alone=10, company_only=5)
    wednesday_before_easter = date(2026, 4, 1)

    generation = run(
        selection,
        manager,
        call_type,
        owner_group=team,
        start_date=wednesday_before_easter,
        spread_days=5,
    )

    days = [working_days_after(wednesday_before_easter, i) for i in range(5)]
    assert days[1] == date(2026, 4, 7)  # Maundy Thursday to Easter Monday are holidays
    per_owner = defaultdict(Counter)
    for owner, start in FollowUp.objects.filter(generation=generation).values_list(
        "owner", "start_date"
    ):
        per_owner[owner][start] += 1
    assert set(per_owner) == {a.pk for a in team.eligible}
    for starts in per_owner.values():
        assert set(starts) <= set(days) and all(is_working_day(d) for d in starts)
        on_each = [starts[d] for d in days]
        assert max(on_each) - min(on_each) <= 1  # nobody gets them all on one day
    assert generation.spread_days == 5
    assert generation.start_date == wednesday_before_easter


def test_it_spreads_the_start_in_any_owner_mode(salesperson, selection, call_type):
    add_units(selection, companies=3, alone=2, company_only=0)  # 1 + 2 + 3 + 2 = 8 rows
    saturday = date(2026, 3, 7)

    generation = run(
        selection,
        salesperson,
        call_type,
        owner_mode=OwnerMode.MINE,
        start_date=saturday,
        spread_days=3,
    )

    starts = Counter(
        FollowUp.objects.filter(generation=generation).values_list("start_date", flat=True)
    )
    monday = saturday + timedelta(days=2)
    assert starts == {monday: 3, monday + timedelta(days=1): 3, monday + timedelta(days=2): 2}


@pytest.mark.parametrize(
    ("loads", "total", "targets"),
    [
        ([0, 0, 0, 0], 10, [3, 3, 2, 2]),
        ([40, 0, 300, 90], 450, [154, 193, 0, 103]),
        ([5, 5], 0, [0, 0]),
        ([0, 3], 4, [4, 0]),
        ([3, 0], 4, [1, 3]),
        ([7], 12, [12]),
    ],
)
def test_its_targets_even_out_the_open_loads(loads, total, targets):
    assert rows._spread_targets(loads, total) == targets
    assert sum(targets) == total


def test_it_spreads_a_dynamic_selection_as_its_preview_says(manager, team, call_type):
    from demo.factories import SelectionFactory
    from selections.models import Criterion, Selection

    for k in range(9):
        company = Company.objects.create(name=f"Fjord {k}", city="Tromsø" if k % 3 else "Bodø")
        for j in range(1 + k % 3):
            Person.objects.create(first_name="P", last_name=f"{k}-{j}", company=company)
    dynamic = SelectionFactory(owner=manager, kind=Selection.Kind.DYNAMIC)
    dynamic.criteria.create(field=Criterion.Field.CITY, value="tromsø")

    preview = followups_preview(
        selection=dynamic,
        creator=manager,
        scope=Scope(owner_mode=OwnerMode.GROUP, owner_group=team),
    )
    generation = run(dynamic, manager, call_type, owner_group=team)

    counts = Counter(FollowUp.objects.filter(generation=generation).values_list("owner", flat=True))
    assert generation.created_count == preview.followups == 15  # 6 companies of 2 or 3 persons
    assert [row.count for row in preview.spread] == [counts[a.pk] for a in team.eligible]
    assert all(len(owners) == 1 for owners in split_of(generation).values())

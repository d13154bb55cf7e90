"""followups.services: the rules of Generate follow-ups, the preview, the one-time key,
the single transaction and the constant number of queries."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import pytest
from django.db import DatabaseError
from django.db.models.query import QuerySet
from django.utils import timezone

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    PersonFactory,
    PriorityFactory,
    ProjectFactory,
    SelectionFactory,
    SelectionMemberFactory,
)
from followups import services
from followups.models import FollowUp, Generation, OwnerMode
from followups.rows import Scope
from followups.services import GenerationRefused, followups_generate, followups_preview
from tests.helpers import generation_choices

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(call_type):
    """run(selection, creator, key=…, **choices) saves the dialog through the service."""

    def _run(selection, creator, *, key=None, **changes):
        values = {
            "type": call_type,
            "start_date": date(2026, 3, 2),
            "description": "Call about the spring offer",
        }
        values.update(changes)
        return followups_generate(
            selection=selection,
            creator=creator,
            **generation_choices(**values),
            key=key or uuid.uuid4(),
        )

    return _run


def rows(**filters) -> set[tuple]:
    """Every follow-up as (owner, company, person) ids."""
    return set(
        FollowUp.objects.filter(**filters).values_list("owner_id", "company_id", "person_id")
    )


def member(selection, *, company=None, person=None):
    """A member: a person (at their company, or none), or a company only."""
    if person is not None:
        return SelectionMemberFactory(selection=selection, person=person)
    return SelectionMemberFactory(selection=selection, person=None, company=company)


# Owner modes ---------------------------------------------------------------------------


def test_it_puts_every_followup_in_my_activity_list(run, selection, salesperson):
    eva = AssociateFactory()
    fjord = CompanyFactory(our_contact=eva)
    ola = PersonFactory(company=fjord)
    loner = PersonFactory(company=None, our_contact=eva)
    member(selection, company=fjord)
    member(selection, person=ola)
    member(selection, person=loner)

    generation, created = run(selection, salesperson, owner_mode=OwnerMode.MINE)

    assert created is True
    assert generation.created_count == 3
    assert rows() == {
        (salesperson.pk, fjord.pk, None),
        (salesperson.pk, fjord.pk, ola.pk),
        (salesperson.pk, None, loner.pk),
    }


def test_it_puts_every_followup_in_the_other_associates_list(run, selection, salesperson):
    colleague = AssociateFactory(primary_group=salesperson.primary_group)
    company = CompanyFactory(our_contact=AssociateFactory())
    member(selection, company=company)
    member(selection, person=PersonFactory(company=None))

    generation, _ = run(
        selection, salesperson, owner_mode=OwnerMode.OTHER, owner_associate=colleague
    )

    assert generation.owner_associate == colleague
    assert {owner for owner, _, _ in rows()} == {colleague.pk}
    assert FollowUp.objects.count() == 2


def test_it_gives_each_followup_to_its_company_our_contact(run, selection, manager):
    eva, per, tor = AssociateFactory(), AssociateFactory(), AssociateFactory()
    fjord = CompanyFactory(our_contact=eva)
    # A person at a company follows the company's our contact, never their own.
    ola = PersonFactory(company=fjord, our_contact=tor)
    fjell = CompanyFactory(our_contact=tor)
    loner = PersonFactory(company=None, our_contact=per)
    member(selection, person=ola)
    member(selection, company=fjell)
    member(selection, person=loner)

    run(selection, manager, owner_mode=OwnerMode.OUR_CONTACT)

    assert rows() == {
        (eva.pk, fjord.pk, ola.pk),
        (tor.pk, fjell.pk, None),
        (per.pk, None, loner.pk),
    }


@pytest.mark.parametrize(
    ("our_contact", "reason"),
    [
        (lambda: None, "fallback_no_contact"),
        (lambda: AssociateFactory(active=False), "fallback_inactive"),
        (lambda: AssociateFactory(user__is_active=False), "fallback_inactive"),
    ],
    ids=["no our contact", "inactive associate", "inactive login"],
)
def test_it_falls_back_to_me_when_the_our_contact_cannot_receive(
    run, selection, manager, our_contact, reason
):
    contact = our_contact()
    company = CompanyFactory(our_contact=contact)
    loner = PersonFactory(company=None, our_contact=contact)
    ok = CompanyFactory(our_contact=AssociateFactory())
    member(selection, company=company)
    member(selection, person=PersonFactory(company=company))
    member(selection, person=loner)
    member(selection, company=ok)

    preview = followups_preview(
        selection=selection, creator=manager, scope=Scope(owner_mode=OwnerMode.OUR_CONTACT)
    )
    run(selection, manager, owner_mode=OwnerMode.OUR_CONTACT)

    assert FollowUp.objects.filter(owner=manager).count() == 3
    assert rows(company=ok) == {(ok.our_contact_id, ok.pk, None)}
    assert preview.fallback == 3
    assert getattr(preview, reason) == 3


def test_it_uses_a_persons_own_our_contact_only_when_they_have_no_company(run, selection, manager):
    tor = AssociateFactory()
    # The company has no our contact; the person's own must not be used instead.
    at_company = PersonFactory(company=CompanyFactory(our_contact=None), our_contact=tor)
    loner = PersonFactory(company=None, our_contact=tor)
    member(selection, person=at_company)
    member(selection, person=loner)

    run(selection, manager, owner_mode=OwnerMode.OUR_CONTACT)

    assert rows(person=at_company) == {(manager.pk, at_company.company_id, at_company.pk)}
    assert rows(person=loner) == {(tor.pk, None, loner.pk)}


# One per company -----------------------------------------------------------------------


def test_it_picks_the_member_added_first_even_out_of_id_order(run, selection, salesperson):
    fjord = CompanyFactory()
    early, late = PersonFactory(company=fjord), PersonFactory(company=fjord)
    assert early.pk < late.pk
    # Added to the selection in the other order: "late" is the first member.
    member(selection, person=late)
    member(selection, person=early)
    other = CompanyFactory()
    second, first = PersonFactory(company=other), PersonFactory(company=other)
    member(selection, person=first)
    member(selection, person=second)

    generation, _ = run(selection, salesperson, one_per_company=True)

    assert generation.created_count == 2
    assert rows() == {
        (salesperson.pk, fjord.pk, late.pk),
        (salesperson.pk, other.pk, first.pk),
    }


def test_it_gives_a_company_only_member_a_followup_with_no_person(run, selection, salesperson):
    fjord = CompanyFactory()
    member(selection, company=fjord)
    member(selection, person=PersonFactory(company=fjord))

    run(selection, salesperson, one_per_company=True)

    assert rows() == {(salesperson.pk, fjord.pk, None)}
    followup = FollowUp.objects.get()
    assert followup.person is None


def test_it_counts_each_person_with_no_company_as_a_company(run, selection, salesperson):
    kari, per = PersonFactory(company=None), PersonFactory(company=None)
    member(selection, person=kari)
    member(selection, person=per)
    member(selection, person=PersonFactory(company=CompanyFactory()))

    preview = followups_preview(
        selection=selection,
        creator=salesperson,
        scope=Scope(owner_mode=OwnerMode.MINE, one_per_company=True),
    )
    generation, _ = run(selection, salesperson, one_per_company=True)

    assert preview.followups == preview.companies == 3
    assert generation.created_count == 3
    assert rows(company=None) == {(salesperson.pk, None, kari.pk), (salesperson.pk, None, per.pk)}


def test_it_picks_the_first_of_the_selected_members(run, selection, salesperson):
    fjord = CompanyFactory()
    member(selection, person=PersonFactory(company=fjord))
    picked = member(selection, person=PersonFactory(company=fjord))
    last = member(selection, person=PersonFactory(company=fjord))

    run(selection, salesperson, one_per_company=True, member_ids=[picked.pk, last.pk])

    assert rows() == {(salesperson.pk, fjord.pk, picked.person_id)}


# What is written -----------------------------------------------------------------------


def test_it_writes_every_choice_on_the_followups_and_the_generation(
    run, selection, salesperson, call_type
):
    project, priority = ProjectFactory(name="Vårkampanje"), PriorityFactory(name="Urgent")
    member(selection, company=CompanyFactory())
    member(selection, person=PersonFactory(company=None))
    before = timezone.now()

    generation, _ = run(
        selection,
        salesperson,
        start_date=date(2026, 4, 30),
        description="Ring om tilbudet\nSe notatene",
        project=project,
        priority=priority,
    )

    generation.refresh_from_db()
    assert generation.created_by == salesperson
    assert generation.selection == selection
    assert generation.selection_name == "Kunder Oslo"
    assert generation.type == call_type
    assert generation.project == project
    assert generation.priority == priority
    assert generation.owner_mode == OwnerMode.MINE
    assert generation.owner_associate is None
    assert (generation.selected_only, generation.selected_count) == (False, 0)
    assert generation.created_count == 2
    for followup in FollowUp.objects.all():
        assert followup.generation == generation
        assert followup.type == call_type
        assert followup.start_date == date(2026, 4, 30)
        assert followup.description == "Ring om tilbudet\nSe notatene"
        assert followup.project == project
        assert followup.priority == priority
        assert followup.created_by == salesperson
        assert before <= followup.created_at <= timezone.now()
        assert followup.updated_at == followup.created_at
        assert (followup.completed, followup.completed_at) == (False, None)


def test_it_creates_them_completed_with_the_save_time(run, selection, salesperson):
    member(selection, company=CompanyFactory())
    member(selection, company=CompanyFactory())
    before = timezone.now()

    generation, _ = run(selection, salesperson, completed=True)

    after = timezone.now()
    assert generation.completed is True
    followups = list(FollowUp.objects.all())
    assert len(followups) == 2
    for followup in followups:
        assert followup.completed is True
        assert before <= followup.completed_at <= after


def test_it_creates_them_for_the_selected_members_only(run, selection, salesperson):
    first = member(selection, company=CompanyFactory())
    member(selection, company=CompanyFactory())
    third = member(selection, person=PersonFactory(company=None))

    generation, _ = run(selection, salesperson, member_ids=[first.pk, third.pk])

    assert rows() == {
        (salesperson.pk, first.company_id, None),
        (salesperson.pk, None, third.person_id),
    }
    assert (generation.selected_only, generation.selected_count) == (True, 2)
    assert generation.created_count == 2


def test_it_never_touches_another_selections_members(run, selection, salesperson):
    member(selection, company=CompanyFactory())
    elsewhere = member(SelectionFactory(owner=salesperson), company=CompanyFactory())

    run(selection, salesperson)
    # Even an id of another selection's member is ignored.
    run(selection, salesperson, member_ids=[elsewhere.pk])

    assert FollowUp.objects.count() == 1
    assert not FollowUp.objects.filter(company=elsewhere.company).exists()


# Preview -------------------------------------------------------------------------------


@pytest.mark.parametrize("one_per_company", [False, True])
def test_the_preview_matches_what_generate_creates(run, selection, manager, one_per_company):
    eva, tor = AssociateFactory(), AssociateFactory()
    gone = AssociateFactory(active=False)
    for contact, persons in [(eva, 3), (eva, 0), (tor, 2), (None, 1), (gone, 2)]:
        company = CompanyFactory(our_contact=contact)
        if persons == 0:
            member(selection, company=company)
        for _ in range(persons):
            member(selection, person=PersonFactory(company=company))
    member(selection, person=PersonFactory(company=None, our_contact=tor))
    member(selection, person=PersonFactory(company=None, our_contact=None))

    preview = followups_preview(
        selection=selection,
        creator=manager,
        scope=Scope(owner_mode=OwnerMode.OUR_CONTACT, one_per_company=one_per_company),
    )
    generation, _ = run(
        selection, manager, owner_mode=OwnerMode.OUR_CONTACT, one_per_company=one_per_company
    )

    created = FollowUp.objects.filter(generation=generation)
    assert preview.followups == generation.created_count == created.count()
    assert preview.followups == (7 if one_per_company else 11)
    companies = {(f.company_id, None if f.company_id else f.person_id) for f in created}
    assert preview.companies == len(companies) == 7
    assert {share.associate.pk: share.count for share in preview.owners} == dict(
        Counter(created.values_list("owner_id", flat=True))
    )
    fell_back = created.filter(owner=manager)
    assert preview.fallback == fell_back.count()
    assert preview.fallback_inactive == (1 if one_per_company else 2)
    assert preview.fallback_no_contact == 2
    assert Generation.objects.count() == 1


def test_the_preview_writes_nothing(selection, salesperson):
    member(selection, company=CompanyFactory())

    preview = followups_preview(
        selection=selection, creator=salesperson, scope=Scope(owner_mode="mine")
    )

    assert preview.followups == 1
    assert not FollowUp.objects.exists()
    assert not Generation.objects.exists()


def test_the_preview_lists_the_top_owners_and_sums_the_rest(selection, manager):
    contacts = [AssociateFactory() for _ in range(7)]
    for count, contact in enumerate(contacts, start=1):
        company = CompanyFactory(our_contact=contact)
        for _ in range(count):
            member(selection, person=PersonFactory(company=company))

    preview = followups_preview(
        selection=selection, creator=manager, scope=Scope(owner_mode="our_contact")
    )

    assert preview.followups == 28
    assert [(s.associate, s.count) for s in preview.owners] == [
        (contacts[6], 7),
        (contacts[5], 6),
        (contacts[4], 5),
        (contacts[3], 4),
        (contacts[2], 3),
    ]
    assert (preview.other_owners, preview.other_owners_followups) == (2, 1 + 2)
    assert preview.fallback == 0


# The one-time key ----------------------------------------------------------------------


def test_the_same_key_twice_creates_once(run, selection, salesperson):
    member(selection, company=CompanyFactory())
    member(selection, company=CompanyFactory())
    key = uuid.uuid4()

    first, created_first = run(selection, salesperson, key=key)
    second, created_second = run(selection, salesperson, key=key, description="Again")

    assert (created_first, created_second) == (True, False)
    assert second.pk == first.pk
    assert second.created_count == 2
    assert FollowUp.objects.count() == 2
    assert Generation.objects.count() == 1


def test_it_refuses_another_users_key(run, selection, salesperson, outsider):
    member(selection, company=CompanyFactory())
    key = uuid.uuid4()
    run(selection, salesperson, key=key)

    with pytest.raises(GenerationRefused):
        run(selection, outsider, key=key)

    assert FollowUp.objects.count() == 1
    assert not FollowUp.objects.filter(created_by=outsider).exists()


def test_a_key_saved_by_a_concurrent_request_creates_nothing_more(
    run, selection, salesperson, monkeypatch
):
    """The lookup misses (the other request has not committed yet), the insert then
    meets the unique key: the first generation is the answer."""
    member(selection, company=CompanyFactory())
    key = uuid.uuid4()
    first, _ = run(selection, salesperson, key=key)
    real_first, missed = QuerySet.first, []

    def miss_once(queryset):
        if queryset.model is Generation and not missed:
            missed.append(True)
            return None
        return real_first(queryset)

    monkeypatch.setattr(QuerySet, "first", miss_once)
    second, created = run(selection, salesperson, key=key)

    assert missed == [True]
    assert (second.pk, created) == (first.pk, False)
    assert FollowUp.objects.count() == 1
    assert Generation.objects.count() == 1


# One transaction -----------------------------------------------------------------------


def test_it_writes_nothing_when_it_fails_after_inserting_the_followups(
    run, selection, salesperson, monkeypatch
):
    member(selection, company=CompanyFactory())
    member(selection, person=PersonFactory(company=None))
    real_insert, inserted = services._insert_followups, []

    def insert_then_fail(**kwargs):
        inserted.append(real_insert(**kwargs))
        assert FollowUp.objects.count() == 2  # written, inside the transaction
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(services, "_insert_followups", insert_then_fail)
    with pytest.raises(DatabaseError):
        run(selection, salesperson)

    assert inserted == [2]
    assert not FollowUp.objects.exists()
    assert not Generation.objects.exists()


def test_it_writes_nothing_when_the_last_update_fails(run, selection, salesperson, monkeypatch):
    member(selection, company=CompanyFactory())
    real_update = QuerySet.update

    def failing_update(queryset, **kwargs):
        if queryset.model is Generation:
            raise DatabaseError("the connection was lost")
        return real_update(queryset, **kwargs)

    monkeypatch.setattr(QuerySet, "update", failing_update)
    key = uuid.uuid4()
    with pytest.raises(DatabaseError):
        run(selection, salesperson, key=key)

    assert not FollowUp.objects.exists()
    assert not Generation.objects.exists()

    # The key was not used up: the user can save again.
    monkeypatch.setattr(QuerySet, "update", real_update)
    generation, created = run(selection, salesperson, key=key)
    assert created is True
    assert FollowUp.objects.filter(generation=generation).count() == 1


# Queries -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [10, 1000])
def test_generate_takes_the_same_queries_for_10_and_1000_members(
    run, selection, manager, add_members, django_assert_num_queries, size
):
    add_members(selection, size)

    # 1. SELECT the generation with this key (a second submit?)
    # 2. SAVEPOINT (transaction.atomic; BEGIN outside a test)
    # 3. the selection's kind and criteria, its row share-locked on PostgreSQL
    # 4. INSERT the generation
    # 5. INSERT INTO follow-ups … SELECT from the selection's members
    # 6. UPDATE the generation's created_count
    # 7. RELEASE SAVEPOINT (COMMIT outside a test)
    with django_assert_num_queries(7):
        generation, _ = run(
            selection, manager, owner_mode=OwnerMode.OUR_CONTACT, one_per_company=True
        )

    assert generation.created_count == size
    assert FollowUp.objects.count() == size


@pytest.mark.parametrize("size", [10, 1000])
def test_the_preview_takes_the_same_queries_for_10_and_1000_members(
    selection, manager, add_members, django_assert_num_queries, size
):
    add_members(selection, size)

    # 1. the selection's kind and criteria, read at one moment
    # 2. the aggregate: follow-ups per owner and fallback, and the companies
    # 3. the names of the top owners
    with django_assert_num_queries(3):
        preview = followups_preview(
            selection=selection, creator=manager, scope=Scope(owner_mode=OwnerMode.OUR_CONTACT)
        )

    assert preview.followups == size
    assert preview.companies == size

"""Changing many follow-ups at once from the activity list and a generation's page: the
confirmation's counts and reasons, the set-based change, the rights of single edits row
by row, the record, and undo while the rows are unchanged since."""

from __future__ import annotations

from datetime import date, timedelta

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
)
from followups import bulk
from followups.models import BulkAction, BulkChange, BulkChangeRow, FollowUp
from tests.helpers import HTMX, element, elements, error_next_to, text

pytestmark = pytest.mark.django_db

CHECK = reverse("followups:bulk_confirm")
APPLY = reverse("followups:bulk_apply")
TODAY = timezone.localdate()


def post(scope="ticked", ids=(), action="complete", **fields) -> dict:
    data = {
        "source": "activities",
        "show": "open",
        "next": "/activities/",
        "scope": scope,
        "ids": [str(i) for i in ids],
        "action": action,
    }
    data.update({k: str(v) for k, v in fields.items()})
    return data


def snapshot() -> set[tuple]:
    return set(
        FollowUp.objects.values_list(
            "id", "start_date", "owner_id", "priority_id", "completed", "completed_at", "updated_at"
        )
    )


@pytest.fixture
def mine(salesperson):
    """Five open follow-ups of the salesperson's, two days overdue to two days ahead."""
    return [
        FollowUpFactory(owner=salesperson, start_date=TODAY + timedelta(days=d))
        for d in (-2, -1, 0, 1, 2)
    ]


# The confirmation ---------------------------------------------------------------------------


def test_the_confirmation_counts_what_changes_and_why_the_rest_is_skipped(login, salesperson, mine):
    colleague_made = FollowUpFactory(owner=salesperson, created_by=AssociateFactory())
    done = FollowUpFactory(owner=salesperson, completed=True)
    client = login(salesperson)

    response = client.post(
        CHECK, post(ids=[f.pk for f in mine] + [colleague_made.pk, done.pk]), headers=HTMX
    )

    assert response.status_code == 200
    page = text(response)
    # The owner may change what a colleague created for them; a completed one is skipped.
    assert "6 follow-ups will be changed." in page
    assert "1 skipped: already completed." in page
    assert "Change 6 follow-ups" in page
    assert FollowUp.objects.filter(completed=True).count() == 1  # nothing changed yet


def test_a_colleagues_follow_up_is_skipped_as_not_yours(login, salesperson, manager, mine, group):
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])
    theirs = FollowUpFactory(owner=colleague, created_by=colleague)
    data = post(action="complete", scope="all")
    data.update(source="generation")
    # On a generation's page a salesperson sees colleagues' rows too.
    generation = _generation_with([*mine, theirs], salesperson)
    data["generation"] = str(generation.pk)

    response = login(salesperson).post(CHECK, data, headers=HTMX)

    page = text(response)
    assert "5 follow-ups will be changed." in page
    assert "1 skipped: not yours to change." in page


def _generation_with(followups, creator):
    from demo.factories import FollowUpTypeFactory
    from followups.models import Generation, OwnerMode

    generation = Generation.objects.create(
        created_by=creator,
        selection_name="Kunder",
        type=FollowUpTypeFactory(),
        start_date=TODAY,
        description="x",
        owner_mode=OwnerMode.MINE,
        created_count=len(followups),
    )
    FollowUp.objects.filter(pk__in=[f.pk for f in followups]).update(generation=generation)
    return generation


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"action": "move"}, "start_date", "Enter the new start, or a number of days."),
        (
            {"action": "move", "start_date": "2027-01-04", "days": "3"},
            "days",
            "Enter a new start or a number of days, not both.",
        ),
        ({"action": "move", "days": "x"}, "days", "Enter a whole number of days, such as 7"),
        ({"action": "move", "start_date": "1999-12-31"}, "start_date", "between 2000 and 2099"),
        ({"action": "reassign"}, "owner", "Choose who gets the follow-ups."),
        ({"action": "nonsense"}, "action", "Select a valid choice"),
    ],
)
def test_a_wrong_value_is_answered_next_to_its_field(
    login, salesperson, mine, fields, field, message
):
    before = snapshot()
    data = post(ids=[mine[0].pk], **fields)

    response = login(salesperson).post(CHECK, data, headers=HTMX)
    applied = login(salesperson).post(APPLY, data)

    assert response.status_code == 200
    html = response.content.decode()
    if field == "action":
        assert message in text(response)
    else:
        assert message in error_next_to(html, field, auto_id="bulk"), html
    assert applied.status_code == 400
    assert snapshot() == before


def test_just_chosen_under_the_list_the_fields_are_asked_for_without_errors(
    login, salesperson, mine
):
    response = login(salesperson).post(
        CHECK, post(ids=[mine[0].pk], action="move", fresh="1"), headers=HTMX
    )

    html = response.content.decode()
    assert element(html, "input", id="bulk_start_date")
    assert not elements(html, class_="errorlist")
    assert "Fill in the fields above" in text(response)


def test_nothing_ticked_says_what_to_do(login, salesperson, mine):
    response = login(salesperson).post(CHECK, post(ids=[]), headers=HTMX)

    assert "Tick at least one follow-up, or choose all that match." in text(response)


# The change --------------------------------------------------------------------------------


def test_mark_completed_for_all_that_match_changes_every_page(login, salesperson):
    rows = FollowUpFactory.create_batch(60, owner=salesperson)  # more than one page
    client = login(salesperson)

    response = client.post(APPLY, post(scope="all", action="complete"))

    assert response.status_code == 302 and response["Location"] == "/activities/"
    assert FollowUp.objects.filter(pk__in=[r.pk for r in rows], completed=True).count() == 60
    record = BulkChange.objects.get()
    assert (record.action, record.changed_count, record.created_by) == ("complete", 60, salesperson)
    assert BulkChangeRow.objects.filter(change=record).count() == 60
    assert not FollowUp.objects.filter(completed=True, completed_at__isnull=True).exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Mark completed: 60 follow-ups." in m and "Undo" in m for m in messages)


def test_the_queries_do_not_grow_with_the_rows(login, salesperson, django_assert_num_queries):
    client = login(salesperson)
    client.get("/activities/")  # the session and the user are read once, as for any page
    FollowUpFactory.create_batch(3, owner=salesperson)
    with django_assert_num_queries(QUERIES_APPLY):
        client.post(APPLY, post(scope="all", action="move", days="7"))
    FollowUpFactory.create_batch(40, owner=salesperson)
    with django_assert_num_queries(QUERIES_APPLY):
        client.post(APPLY, post(scope="all", action="move", days="7"))


# The request's own (session, user, associate, rights), the transaction's, the record,
# the snapshot, one UPDATE and the message: the same for 3 rows as for 43.
QUERIES_APPLY = 12


def test_move_by_days_and_to_a_date(login, salesperson, mine):
    client = login(salesperson)

    client.post(APPLY, post(ids=[mine[0].pk, mine[1].pk], action="move", days="+7"))
    client.post(APPLY, post(ids=[mine[2].pk], action="move", start_date="24.12.2026"))

    mine_now = {f.pk: f.start_date for f in FollowUp.objects.all()}
    assert mine_now[mine[0].pk] == TODAY + timedelta(days=5)
    assert mine_now[mine[1].pk] == TODAY + timedelta(days=6)
    assert mine_now[mine[2].pk] == date(2026, 12, 24)
    assert mine_now[mine[3].pk] == TODAY + timedelta(days=1)  # not ticked


def test_a_move_that_would_leave_the_years_skips_that_row(login, salesperson):
    late = FollowUpFactory(owner=salesperson, start_date=date(2099, 12, 20))
    early = FollowUpFactory(owner=salesperson, start_date=date(2099, 1, 1))

    page = text(
        login(salesperson).post(
            CHECK, post(ids=[late.pk, early.pk], action="move", days="30"), headers=HTMX
        )
    )
    login(salesperson).post(APPLY, post(ids=[late.pk, early.pk], action="move", days="30"))

    assert "1 skipped: the start would leave 2000–2099." in page
    late.refresh_from_db()
    early.refresh_from_db()
    assert late.start_date == date(2099, 12, 20)
    assert early.start_date == date(2099, 1, 31)


def test_reassign_only_to_whom_the_user_level_allows(login, salesperson, mine, group, outsider):
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])
    client = login(salesperson)
    before = snapshot()

    refused = client.post(APPLY, post(ids=[mine[0].pk], action="reassign", owner=outsider.pk))
    assert refused.status_code == 400
    assert "You cannot assign follow-ups to that associate." in text(refused)
    assert snapshot() == before

    client.post(APPLY, post(ids=[mine[0].pk, mine[1].pk], action="reassign", owner=colleague.pk))
    assert set(FollowUp.objects.filter(owner=colleague).values_list("pk", flat=True)) == {
        mine[0].pk,
        mine[1].pk,
    }


def test_change_priority_and_remove_it(login, salesperson, mine):
    high = PriorityFactory(name="Urgent")
    client = login(salesperson)

    client.post(APPLY, post(ids=[f.pk for f in mine[:3]], action="priority", priority=high.pk))
    assert FollowUp.objects.filter(priority=high).count() == 3
    client.post(APPLY, post(ids=[mine[0].pk], action="priority", priority=""))
    assert FollowUp.objects.filter(priority=high).count() == 2


def test_rows_the_user_cannot_see_are_never_in_scope(login, salesperson, outsider):
    hidden = FollowUpFactory(owner=outsider)

    login(salesperson).post(APPLY, post(ids=[hidden.pk], action="delete"))

    assert FollowUp.objects.filter(pk=hidden.pk).exists()
    assert BulkChange.objects.get().changed_count == 0


# Undo --------------------------------------------------------------------------------------


def test_undo_puts_back_what_nobody_changed_since_and_keeps_the_rest(login, salesperson, mine):
    client = login(salesperson)
    before = {f.pk: (f.start_date, f.updated_at) for f in FollowUp.objects.all()}
    client.post(APPLY, post(scope="all", action="move", days="7"))
    record = BulkChange.objects.get()
    edited = FollowUp.objects.get(pk=mine[0].pk)
    edited.description = "Changed by hand after the move"
    edited.save()  # a single edit between the change and its undo

    page = text(client.get(reverse("followups:bulk_detail", args=[record.pk])))
    assert "4 can be put back, 1 changed since" in page
    response = client.post(reverse("followups:bulk_undo", args=[record.pk]), follow=True)

    assert "Put back 4 follow-ups as they were. Kept 1 that was changed since." in text(response)
    now = {f.pk: (f.start_date, f.updated_at) for f in FollowUp.objects.all()}
    for pk in before:
        if pk == mine[0].pk:
            assert now[pk][0] == before[pk][0] + timedelta(days=7)
        else:
            assert now[pk] == before[pk]  # untouched again: a generation's undo may take it
    again = client.post(reverse("followups:bulk_undo", args=[record.pk]), follow=True)
    assert "already undone" in text(again)


def every_column() -> set[tuple]:
    return set(FollowUp.objects.values_list(*[f.attname for f in FollowUp._meta.concrete_fields]))


@pytest.mark.parametrize(
    ("action", "values", "recorded"),
    [
        ("complete", {}, {"completed", "completed_at"}),
        ("move", {"days": 3}, {"start_date"}),
        ("move", {"start_date": date(2031, 5, 6)}, {"start_date"}),
        ("reassign", {"owner": "colleague"}, {"owner_id"}),
        ("priority", {"priority": "high"}, {"priority_id"}),
        ("priority", {"priority": None}, {"priority_id"}),
    ],
)
def test_a_change_records_only_what_it_alters_and_its_undo_puts_every_column_back(
    salesperson, mine, action, values, recorded
):
    named = {"colleague": AssociateFactory, "high": PriorityFactory}
    values = {k: named[v]() if v in named else v for k, v in values.items()}
    for f in mine:  # every column has a value to lose
        f.priority = PriorityFactory()
        f.save()
    before = every_column()

    record = bulk.bulk_apply(
        FollowUp.objects.all(), bulk.Change(action=action, **values), salesperson
    )

    assert record.changed_count == 5 and every_column() != before
    kept = recorded | {"updated_at", "followup_id"}
    for row in BulkChangeRow.objects.filter(change=record).values():
        empty = {k for k, v in row.items() if v is None} - {"id", "change_id"}
        assert {k for k in row if k not in {"id", "change_id"}} - empty <= kept, row
        assert row["updated_at"] is not None
    bulk.bulk_undo(record, salesperson)
    assert every_column() == before


def test_undo_of_a_record_that_kept_every_column_still_puts_the_change_back(salesperson, mine):
    """A record written with every column (as a delete writes it) undoes a move too."""
    before = every_column()
    record = bulk.bulk_apply(FollowUp.objects.all(), bulk.Change("move", days=-4), salesperson)
    for f in FollowUp.objects.all():
        BulkChangeRow.objects.filter(change=record, followup_id=f.pk).update(
            type_id=f.type_id, description="stale copy", owner_id=f.owner_id
        )
    bulk.bulk_undo(record, salesperson)
    assert every_column() == before


def test_undo_of_mark_completed_opens_them_again(login, salesperson, mine):
    client = login(salesperson)
    before = snapshot()
    client.post(APPLY, post(scope="all", action="complete"))
    assert FollowUp.objects.filter(completed=True).count() == 5

    client.post(reverse("followups:bulk_undo", args=[BulkChange.objects.get().pk]))

    assert snapshot() == before


def test_delete_and_undo_put_the_rows_back_with_their_ids(login, salesperson, mine):
    client = login(salesperson)
    gone_company = mine[1].company
    before = {f.pk: f.description for f in FollowUp.objects.all()}

    client.post(APPLY, post(ids=[mine[0].pk, mine[1].pk], action="delete"))
    assert set(FollowUp.objects.values_list("pk", flat=True)) == set(before) - {
        mine[0].pk,
        mine[1].pk,
    }
    gone_company.delete()  # meanwhile: its follow-up cannot come back
    client.post(reverse("followups:bulk_undo", args=[BulkChange.objects.get().pk]))

    assert {f.pk: f.description for f in FollowUp.objects.all()} == {
        pk: d for pk, d in before.items() if pk != mine[1].pk
    }
    assert BulkChange.objects.get().restored_count == 1
    assert FollowUpFactory(owner=salesperson, company=CompanyFactory()).pk > max(before)


def test_only_its_maker_sees_and_undoes_a_change(login, salesperson, manager, mine):
    login(salesperson).post(APPLY, post(scope="all", action="complete"))
    record = BulkChange.objects.get()

    client = login(manager)
    assert client.get(reverse("followups:bulk_detail", args=[record.pk])).status_code == 404
    assert client.post(reverse("followups:bulk_undo", args=[record.pk])).status_code == 404
    assert FollowUp.objects.filter(completed=True).count() == 5


# The lists ---------------------------------------------------------------------------------


def test_the_activity_list_has_the_bar_and_a_checkbox_per_row(login, salesperson, mine):
    html = login(salesperson).get("/activities/?show=overdue").content.decode()

    bar = element(html, "form", id="bulk-form")
    assert element(bar.html, "input", type="hidden", name="show", value="overdue")
    ticks = elements(html, "input", type="checkbox", name="ids", form="bulk-form")
    assert len(ticks) == 2  # the two overdue rows
    assert element(html, "input", type="checkbox", data_select_all="ids")


def test_all_that_match_follows_the_lists_filter(login, salesperson, mine):
    login(salesperson).post(APPLY, {**post(scope="all", action="complete"), "show": "overdue"})

    assert set(FollowUp.objects.filter(completed=True).values_list("pk", flat=True)) == {
        mine[0].pk,
        mine[1].pk,
    }


def test_a_ticked_row_is_still_one_row_after_its_tick(login, salesperson, mine):
    """A row swapped after its completed tick keeps the select column."""
    response = login(salesperson).post(
        reverse("followups:toggle_completed", args=[mine[0].pk]),
        {"next": "/activities/", "bulk": "1"},
        headers=HTMX,
    )

    assert element(response, "input", type="checkbox", name="ids", value=mine[0].pk)


def test_the_counts_are_one_query(salesperson, mine, django_assert_num_queries):
    scope = FollowUp.objects.filter(owner=salesperson)
    change = bulk.Change(action=BulkAction.MOVE, days=7)
    salesperson.user.has_perm("crm.see_all_associates")  # the permission cache, as in a request
    with django_assert_num_queries(1):
        counts = bulk.bulk_counts(scope, change, salesperson)
    assert (counts.matching, counts.change, counts.skipped) == (5, 5, 0)


# The history and the cards ----------------------------------------------------------------


def test_it_checks_ownership_on_a_card(login, salesperson, group):
    """On a company's card: the rows it shows this associate, changed only where a single
    edit could change them; a row it does not show is not even counted."""
    company = CompanyFactory()
    mine = FollowUpFactory(owner=salesperson, company=company)
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])
    theirs = FollowUpFactory(owner=colleague, company=company)  # shown, not theirs to change
    hidden = FollowUpFactory(owner=AssociateFactory(), company=company)  # not shown at all
    elsewhere = FollowUpFactory(owner=salesperson)  # another company
    client = login(salesperson)
    data = post(
        scope="all", source="company", card=company.pk, next=f"/crm/companies/{company.pk}/"
    )

    check = client.post(CHECK, data, headers=HTMX)
    assert "1 follow-up will be changed." in text(check)
    assert "1 skipped: not yours to change." in text(check)
    response = client.post(APPLY, data)

    assert response.status_code == 302
    assert response.url == f"/crm/companies/{company.pk}/"
    done = set(FollowUp.objects.filter(completed=True).values_list("pk", flat=True))
    assert done == {mine.pk}
    assert {theirs.pk, hidden.pk, elsewhere.pk}.isdisjoint(done)


def test_it_checks_ownership_on_a_persons_card_with_ticked_rows(login, salesperson):
    person = PersonFactory()
    mine = FollowUpFactory(owner=salesperson, person=person)
    hidden = FollowUpFactory(owner=AssociateFactory(), person=person)
    other = FollowUpFactory(owner=salesperson)  # ticked by hand, but not on this card
    data = post(ids=[mine.pk, hidden.pk, other.pk], source="person", card=person.pk)
    login(salesperson).post(APPLY, data)
    assert set(FollowUp.objects.filter(completed=True).values_list("pk", flat=True)) == {mine.pk}


def test_it_checks_ownership_on_the_history(login, salesperson, group):
    """The history is this associate's own follow-ups: a colleague's, even ticked by
    hand, is not in it."""
    mine = FollowUpFactory(owner=salesperson, completed=True)
    colleague = AssociateFactory(primary_group=group)
    theirs = FollowUpFactory(owner=colleague, created_by=salesperson, completed=True)
    data = post(ids=[mine.pk, theirs.pk], action="reopen", source="history")
    login(salesperson).post(APPLY, data)
    assert not FollowUp.objects.get(pk=mine.pk).completed
    assert FollowUp.objects.get(pk=theirs.pk).completed


def test_all_that_match_follows_the_lists_filters(login, salesperson):
    kind = FollowUpTypeFactory()
    calls = [FollowUpFactory(owner=salesperson, type=kind, completed=True) for _ in range(2)]
    other = FollowUpFactory(owner=salesperson, completed=True)
    data = post(scope="all", action="reopen", source="history", filters=f"type={kind.pk}")
    login(salesperson).post(APPLY, data)
    assert set(FollowUp.objects.filter(completed=False).values_list("pk", flat=True)) == {
        f.pk for f in calls
    }
    assert FollowUp.objects.get(pk=other.pk).completed


@pytest.mark.parametrize("filters", ["type=abc", "priority=%00", "project=" + "x" * 300, "&&=="])
def test_odd_filters_in_the_bulk_form_never_fail(login, salesperson, filters):
    FollowUpFactory(owner=salesperson)
    data = post(scope="all", source="history", filters=filters[:600])
    response = login(salesperson).post(CHECK, data, headers=HTMX)
    assert response.status_code == 200


@pytest.mark.parametrize("field", ["card", "bulk_change", "generation"])
@pytest.mark.parametrize("value", ["9" * 30, "-5", "abc"])
def test_ids_that_cannot_be_one_never_fail(login, salesperson, field, value):
    data = post(scope="all", source="company", **{field: value})
    response = login(salesperson).post(CHECK, data, headers=HTMX)
    assert response.status_code == 200
    assert login(salesperson).post(APPLY, data).status_code in (302, 400)

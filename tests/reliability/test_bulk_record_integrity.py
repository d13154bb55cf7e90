"""A bulk change's record rows reference their change. On PostgreSQL that reference is
checked once per statement (triggers, migration 0021) instead of once per row: no path
may leave a record row whose change is gone, also when an insert races a delete. SQLite
keeps the foreign key.

The interleavings are forced as in test_races: on PostgreSQL each side holds its
transaction open until the database shows the other waiting for its lock.
"""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from demo.factories import FollowUpFactory
from followups import bulk
from followups.models import BulkAction, BulkChange, BulkChangeRow, FollowUp

from .test_races import in_thread, postgresql_only, value, wait_for_a_lock_wait

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def a_change(by) -> BulkChange:
    return BulkChange.objects.create(action=BulkAction.COMPLETE, summary="Done", created_by=by)


def insert_row(change_id: int, followup_id: int = 1) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BulkChangeRow._meta.db_table} (change_id, followup_id, updated_at)"
            " VALUES (%s, %s, %s)",
            [change_id, followup_id, timezone.now()],
        )


def delete_by_sql(change: BulkChange) -> None:
    """A delete that skips Django's cascade: only the database refuses it."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {BulkChange._meta.db_table} WHERE id = %s", [change.pk])


def assert_no_dangling_rows() -> None:
    assert not BulkChangeRow.objects.exclude(change_id__in=BulkChange.objects.values("pk")).exists()


def test_a_record_row_for_a_change_that_is_not_there_is_refused(salesperson):
    gone = a_change(salesperson)
    gone_pk = gone.pk
    gone.delete()

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_row(gone_pk)

    assert not BulkChangeRow.objects.exists()


def test_a_change_with_record_rows_is_refused_by_the_database(salesperson):
    followups = FollowUpFactory.create_batch(3, owner=salesperson)
    record = bulk.bulk_apply(
        FollowUp.objects.all(), bulk.Change(action=BulkAction.COMPLETE), salesperson
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        delete_by_sql(record)

    assert BulkChangeRow.objects.filter(change=record).count() == len(followups)
    assert_no_dangling_rows()


def test_deleting_a_change_through_django_takes_its_rows(salesperson):
    FollowUpFactory.create_batch(3, owner=salesperson)
    record = bulk.bulk_apply(
        FollowUp.objects.all(), bulk.Change(action=BulkAction.COMPLETE), salesperson
    )

    BulkChange.objects.filter(pk=record.pk).delete()

    assert not BulkChange.objects.exists()
    assert not BulkChangeRow.objects.exists()


def test_moving_a_record_row_to_a_change_that_is_not_there_is_refused(salesperson):
    FollowUpFactory.create_batch(2, owner=salesperson)
    record = bulk.bulk_apply(
        FollowUp.objects.all(), bulk.Change(action=BulkAction.COMPLETE), salesperson
    )
    gone = a_change(salesperson)
    gone_pk = gone.pk
    gone.delete()

    with pytest.raises(IntegrityError), transaction.atomic():
        BulkChangeRow.objects.filter(change=record).update(change_id=gone_pk)

    assert BulkChangeRow.objects.filter(change=record).count() == 2


@postgresql_only
def test_the_per_row_foreign_key_made_way_for_the_checks():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, BulkChangeRow._meta.db_table)
    assert not [c for c in constraints.values() if c["foreign_key"]]


@postgresql_only
def test_a_delete_during_an_insert_waits_for_it_and_is_then_refused(salesperson):
    change = a_change(salesperson)
    inserted, go = threading.Event(), threading.Event()

    def insert():
        with transaction.atomic():
            insert_row(change.pk)
            inserted.set()
            assert go.wait(30)

    inserting, done = in_thread(insert)
    assert inserted.wait(30)

    def delete():
        with transaction.atomic():
            delete_by_sql(change)

    deleting, deleted = in_thread(delete)
    wait_for_a_lock_wait()  # the delete waits for the insert's lock on the change
    go.set()

    value(inserting, done)
    with pytest.raises(IntegrityError, match="still referenced"):
        value(deleting, deleted)
    assert BulkChange.objects.filter(pk=change.pk).exists()
    assert BulkChangeRow.objects.filter(change=change).count() == 1
    assert_no_dangling_rows()


@postgresql_only
def test_an_insert_during_a_delete_waits_for_it_and_is_then_refused(salesperson):
    change = a_change(salesperson)
    deleted_, go = threading.Event(), threading.Event()

    def delete():
        with transaction.atomic():
            delete_by_sql(change)
            deleted_.set()
            assert go.wait(30)

    deleting, deleted = in_thread(delete)
    assert deleted_.wait(30)
    inserting, done = in_thread(lambda: insert_row(change.pk))
    wait_for_a_lock_wait()  # the insert's check waits for the delete
    go.set()

    value(deleting, deleted)
    with pytest.raises(IntegrityError, match="is not present"):
        value(inserting, done)
    assert not BulkChange.objects.exists()
    assert not BulkChangeRow.objects.exists()

"""A change to many follow-ups racing a single edit: on PostgreSQL both run at once, each
on its own connection, one forced to wait for the other's row locks; the outcome is
exactly the one of the two in that order, and the bulk change's undo keeps what was
edited since. (SQLite's write transactions take the whole database, so they never
overlap.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from followups import bulk, services
from followups.models import BulkChange, FollowUp

from .test_races import (
    client_for,
    edit_data,
    hold_after,
    in_thread,
    postgresql_only,
    value,
    wait_for_a_lock_wait,
)

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def move_all(client, days: int):
    return client.post(
        reverse("followups:bulk_apply"),
        {
            "source": "activities",
            "show": "open",
            "scope": "all",
            "action": "move",
            "days": str(days),
            "next": "/activities/",
        },
    )


def undo_all(client):
    record = BulkChange.objects.get()
    return client.post(reverse("followups:bulk_undo", args=[record.pk]))


def test_an_edit_waits_for_a_bulk_change_and_its_undo_keeps_the_edit(
    salesperson, generated, monkeypatch
):
    rows = {f.pk: f.start_date for f in FollowUp.objects.all()}
    followup = FollowUp.objects.first()
    reached, go = hold_after(monkeypatch, bulk, "_snapshot")  # rows copied and locked
    moving, moved = in_thread(lambda: move_all(client_for(salesperson), 3))
    assert reached.wait(30)
    editing, edited = in_thread(
        lambda: client_for(salesperson).post(
            reverse("followups:detail", args=[followup.pk]), edit_data(followup)
        )
    )

    wait_for_a_lock_wait()  # the edit waits for the bulk change's row lock
    go.set()

    assert value(moving, moved).status_code == 302
    assert value(editing, edited).status_code == 302
    now = {f.pk: f.start_date for f in FollowUp.objects.all()}
    assert now[followup.pk] == rows[followup.pk] + timedelta(days=7)  # the edit, after
    assert all(now[pk] == rows[pk] + timedelta(days=3) for pk in rows if pk != followup.pk)

    undo_all(client_for(salesperson))
    after = {f.pk: f.start_date for f in FollowUp.objects.all()}
    assert after == {**rows, followup.pk: rows[followup.pk] + timedelta(days=7)}
    assert BulkChange.objects.get().restored_count == len(rows) - 1


def test_a_bulk_change_waits_for_an_edit_and_changes_the_edited_row(
    salesperson, generated, monkeypatch
):
    rows = {f.pk: f.start_date for f in FollowUp.objects.all()}
    followup = FollowUp.objects.first()
    reached, go = hold_after(monkeypatch, services, "_lock_followup")  # the edit's lock
    editing, edited = in_thread(
        lambda: client_for(salesperson).post(
            reverse("followups:detail", args=[followup.pk]), edit_data(followup)
        )
    )
    assert reached.wait(30)
    moving, moved = in_thread(lambda: move_all(client_for(salesperson), 3))

    wait_for_a_lock_wait()  # the bulk change's snapshot waits for the edit's row lock
    go.set()

    assert value(editing, edited).status_code == 302
    assert value(moving, moved).status_code == 302
    changed = FollowUp.objects.get(pk=followup.pk)
    assert changed.description == "Moved a week on"
    assert changed.start_date == rows[followup.pk] + timedelta(days=10)  # edit, then move
    assert BulkChange.objects.get().changed_count == len(rows)

    undo_all(client_for(salesperson))
    back = FollowUp.objects.get(pk=followup.pk)
    assert (back.description, back.start_date) == (
        "Moved a week on",
        rows[followup.pk] + timedelta(days=7),
    )  # as the edit left it: the move is undone, the edit is not

"""A follow-up's type, project, priority, creator and generation, which a generation
writes with one value for all its rows, are checked once per statement on PostgreSQL
(triggers, migration 0009) instead of once per row: no delete, by any path, may leave a
follow-up pointing at a row that is gone, also when it races a generation. SQLite keeps
foreign keys, and its one writer at a time serialises the two.

The interleavings are forced as in test_races: on every database the delete just before
the save and just after it; on PostgreSQL both at once, each side holding its
transaction open until the database shows the other waiting for its lock.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from crm.models import Project
from demo.factories import ProjectFactory
from followups import services
from followups.models import FollowUp, FollowUpType, Generation
from tests.helpers import HTMX, generation_choices

from .test_races import (
    client_for,
    hold_after,
    in_thread,
    postgresql_only,
    run_first,
    value,
    wait_for_a_lock_wait,
)

TABLES = {"type": FollowUpType, "project": Project}


@pytest.fixture
def project(db):
    return ProjectFactory(name="Vårkampanje")


@pytest.fixture(params=["type", "project"])
def referenced(request, call_type, project):
    """The row a generation references, one value for all its rows: its type, its
    project."""
    return request.param, {"type": call_type, "project": project}[request.param]


def choices(call_type, project) -> dict:
    return generation_choices(
        type=call_type,
        start_date=timezone.localdate(),
        description="Ring om våravtalen",
        project=project,
        owner_mode="mine",
    )


def generate(salesperson, selection, call_type, project) -> Generation:
    generation, _ = services.followups_generate(
        selection=selection,
        creator=salesperson,
        **choices(call_type, project),
        key=uuid.uuid4(),
    )
    return generation


def delete_by_sql(row) -> None:
    """A delete that skips Django's own check (PROTECT): only the database refuses it."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {type(row)._meta.db_table} WHERE id = %s", [row.pk])


def assert_no_dangling_rows() -> None:
    for name, model in TABLES.items():
        dangling = FollowUp.objects.exclude(**{f"{name}_id": None}).exclude(
            **{f"{name}_id__in": model.objects.values("pk")}
        )
        assert not dangling.exists(), f"follow-ups whose {name} is gone"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_in_use_is_refused_by_the_database_by_django_and_by_admin(
    salesperson, selection, members, call_type, project, referenced, staff_admin, client
):
    name, row = referenced
    generate(salesperson, selection, call_type, project)

    with pytest.raises(IntegrityError), transaction.atomic():
        delete_by_sql(row)
    with pytest.raises(ProtectedError):
        type(row).objects.filter(pk=row.pk).delete()
    client.force_login(staff_admin)
    app = type(row)._meta.app_label
    url = reverse(f"admin:{app}_{type(row)._meta.model_name}_delete", args=[row.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 200  # "Cannot delete …", listing the follow-ups
    assert "Cannot delete" in response.content.decode()

    assert type(row).objects.filter(pk=row.pk).exists()
    assert FollowUp.objects.filter(**{name: row}).count() == 10
    assert_no_dangling_rows()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_no_longer_in_use_can_be_deleted(
    salesperson, selection, members, call_type, project, referenced
):
    _name, row = referenced
    generation = generate(salesperson, selection, call_type, project)
    FollowUp.objects.filter(generation=generation).delete()
    Generation.objects.filter(pk=generation.pk).delete()

    delete_by_sql(row)

    assert not type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delete_just_before_the_save_refuses_the_save_and_saves_nothing(
    salesperson, selection, members, dialog_data, call_type, project, referenced, monkeypatch
):
    """The dialog's choices were valid when checked; the row goes before the save's
    transaction starts."""
    _name, row = referenced
    run_first(monkeypatch, services, "followups_generate", lambda: delete_by_sql(row))
    data = dialog_data(project=str(project.pk), project_text=project.name)

    response = client_for(salesperson).post(
        reverse("followups:generate_save", args=[selection.pk]), data, headers=HTMX
    )

    assert response.status_code == 200
    assert "HX-Trigger" not in response  # the dialog says nothing was saved
    assert not type(row).objects.filter(pk=row.pk).exists()
    assert FollowUp.objects.count() == 0
    assert Generation.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delete_just_after_the_save_is_refused(
    salesperson, selection, members, call_type, project, referenced, monkeypatch
):
    name, row = referenced
    generation = generate(salesperson, selection, call_type, project)

    with pytest.raises(IntegrityError), transaction.atomic():
        delete_by_sql(row)

    assert FollowUp.objects.filter(generation=generation, **{name: row}).count() == 10
    assert_no_dangling_rows()


# PostgreSQL: both at once, each on its own connection ----------------------------------


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delete_during_a_generation_waits_for_it_and_is_then_refused(
    salesperson, selection, members, call_type, project, referenced, monkeypatch
):
    """The generation has inserted its rows (and locked the row they reference); the
    delete finds no follow-up yet, waits for the lock, and after the generation's
    COMMIT is refused by the follow-ups' own check (not only by the generation row's
    foreign key, which would refuse it later, at COMMIT)."""
    name, row = referenced
    reached, go = hold_after(monkeypatch, services, "_insert_followups")
    generating, generated = in_thread(lambda: generate(salesperson, selection, call_type, project))
    assert reached.wait(30)

    def delete():
        with transaction.atomic():
            delete_by_sql(row)

    deleting, deleted = in_thread(delete)
    wait_for_a_lock_wait()  # the delete waits for the generation's lock
    go.set()

    generation = value(generating, generated)
    with pytest.raises(IntegrityError, match='on table "followups_followup"'):
        value(deleting, deleted)
    assert type(row).objects.filter(pk=row.pk).exists()
    assert FollowUp.objects.filter(generation=generation, **{name: row}).count() == 10
    assert_no_dangling_rows()


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_generation_during_a_delete_waits_for_it_and_is_then_refused(
    salesperson, selection, members, call_type, project, referenced, monkeypatch
):
    """The row is deleted, not yet committed; the generation's check waits for that
    transaction, finds the row gone, and saves nothing."""
    _name, row = referenced
    reached, go = threading.Event(), threading.Event()

    def delete():
        with transaction.atomic():
            delete_by_sql(row)
            reached.set()
            assert go.wait(30)

    deleting, deleted = in_thread(delete)
    assert reached.wait(30)
    generating, generated = in_thread(lambda: generate(salesperson, selection, call_type, project))
    wait_for_a_lock_wait()  # the generation's check waits for the delete
    go.set()

    value(deleting, deleted)
    with pytest.raises(IntegrityError, match='insert or update on table "followups_followup"'):
        value(generating, generated)
    assert not type(row).objects.filter(pk=row.pk).exists()
    assert FollowUp.objects.count() == 0
    assert Generation.objects.count() == 0
    assert_no_dangling_rows()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_changing_a_followups_type_to_one_deleted_is_refused(
    salesperson, selection, members, call_type, project
):
    """The same check for an UPDATE that changes the reference (an edit)."""
    generation = generate(salesperson, selection, call_type, project)
    doomed = FollowUpType.objects.create(name="Doomed")
    followup = FollowUp.objects.filter(generation=generation).first()
    doomed_pk = doomed.pk
    delete_by_sql(doomed)

    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=followup.pk).update(type_id=doomed_pk)

    assert FollowUp.objects.get(pk=followup.pk).type_id == call_type.pk

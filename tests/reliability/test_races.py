"""Races between a task and changes to what it runs on, and between an undo and edits,
with the interleaving forced: the other change is made at the exact step where it used
to do harm (a wrapped service function runs it first), on every database. The tests on
PostgreSQL then run both sides in threads, each on its own connection, and let the
second go only once the database shows it waiting for the first one's lock.

The invariants, checked after each: a generation never has more follow-ups than its
selection had rows, and for every generation the follow-ups present are exactly those
created less those removed by its undo.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import Company
from demo.factories import CompanyFactory, SelectionFactory
from followups import services
from followups.models import FollowUp, Generation
from followups.rows import Scope
from selections import dynamic
from selections import services as selection_services
from selections.models import Criterion, Selection, SelectionMember, Visibility
from tests.helpers import HTMX, form_errors, generation_choices, text

from .helpers import ON_POSTGRESQL, POSTGRESQL_ONLY

postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason=POSTGRESQL_ONLY)
TIMEOUT = 30  # seconds any side waits for the other


def client_for(associate) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(associate.user)
    return client


def assert_generations_add_up() -> None:
    """For every generation: present = created - removed."""
    for generation in Generation.objects.all():
        present = FollowUp.objects.filter(generation=generation).count()
        assert present == generation.created_count - generation.removed_count, generation


@pytest.fixture
def crm(db):
    """30 companies without persons: 20 in Oslo, 10 in Bergen."""
    for i in range(30):
        CompanyFactory(name=f"Firma {i:02}", city="Oslo" if i < 20 else "Bergen")


@pytest.fixture
def oslo(salesperson, crm):
    """A dynamic selection of the 20 Oslo companies."""
    selection = SelectionFactory(
        owner=salesperson, name="Oslo", kind=Selection.Kind.DYNAMIC, visibility=Visibility.GROUP
    )
    Criterion.objects.create(selection=selection, field=Criterion.Field.CITY, value="Oslo")
    return selection


def save(client, selection, data):
    return client.post(reverse("followups:generate_save", args=[selection.pk]), data, headers=HTMX)


def created(response) -> int:
    assert response.status_code == 200, response.content.decode()[:500]
    return json.loads(response["HX-Trigger"])["followupsCreated"]["count"]


def freeze(client, selection):
    response = client.post(reverse("selections:freeze", args=[selection.pk]))
    assert response.status_code == 302, response.content.decode()[:500]


def run_first(monkeypatch, module, name: str, before) -> None:
    """Make module.name run `before()` first: the other request, at that step."""
    original = getattr(module, name)

    def wrapped(*args, **kwargs):
        before()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)


# A task and a change of its selection, on every database ---------------------------


def test_a_freeze_just_before_the_save_gives_the_frozen_rows(
    salesperson, oslo, dialog_data, monkeypatch
):
    """The save validated the dialog against the dynamic selection; a freeze in another
    tab commits before the save's transaction. The save runs on the 20 frozen members,
    not on every company of the CRM."""
    tab, other_tab = client_for(salesperson), client_for(salesperson)
    run_first(monkeypatch, services, "followups_generate", lambda: freeze(other_tab, oslo))

    response = save(tab, oslo, dialog_data())

    assert created(response) == 20
    assert FollowUp.objects.count() == 20
    assert set(FollowUp.objects.values_list("company__city", flat=True)) == {"Oslo"}
    assert SelectionMember.objects.filter(selection=oslo).count() == 20
    assert_generations_add_up()


def test_a_freeze_just_before_the_preview_previews_the_frozen_rows(
    salesperson, oslo, dialog_data, monkeypatch
):
    tab, other_tab = client_for(salesperson), client_for(salesperson)
    run_first(monkeypatch, services, "followups_preview", lambda: freeze(other_tab, oslo))

    response = tab.post(
        reverse("followups:generate_preview", args=[oslo.pk]), dialog_data(), headers=HTMX
    )

    assert "20 follow-ups will be created" in text(response.content.decode())


def test_criteria_removed_just_before_the_save_refuse_it_and_save_nothing(
    salesperson, oslo, dialog_data, monkeypatch
):
    """No criteria would mean every company and person: never for a save."""
    tab, other_tab = client_for(salesperson), client_for(salesperson)
    criterion = oslo.criteria.get()
    remove = reverse("selections:criterion_remove", args=[oslo.pk, criterion.pk])
    run_first(monkeypatch, services, "followups_generate", lambda: other_tab.post(remove))

    response = save(tab, oslo, dialog_data())

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert "has no criteria" in form_errors(response)
    assert not FollowUp.objects.exists()
    assert not Generation.objects.exists()


def test_a_dynamic_selection_without_criteria_is_refused_by_dialog_preview_and_freeze(
    salesperson, oslo, dialog_data
):
    oslo.criteria.all().delete()
    tab = client_for(salesperson)

    saved = save(tab, oslo, dialog_data())
    preview = tab.post(
        reverse("followups:generate_preview", args=[oslo.pk]), dialog_data(), headers=HTMX
    )
    frozen = tab.post(reverse("selections:freeze", args=[oslo.pk]), follow=True)

    assert "has no criteria" in form_errors(saved)
    assert "has no criteria" in text(preview.content.decode())
    assert "has no criteria" in text(frozen.content.decode())
    assert not FollowUp.objects.exists()
    assert Selection.objects.get(pk=oslo.pk).is_dynamic
    assert not SelectionMember.objects.exists()


def test_the_service_itself_refuses_a_selection_without_criteria(salesperson, oslo, call_type):
    oslo.criteria.all().delete()
    choices = generation_choices(type=call_type, start_date=timezone.localdate(), description="x")
    with pytest.raises(services.SelectionUnusable):
        services.followups_generate(
            selection=oslo, creator=salesperson, **choices, key=uuid.uuid4()
        )
    with pytest.raises(services.SelectionUnusable):
        services.followups_preview(
            selection=oslo, creator=salesperson, scope=Scope(owner_mode="mine")
        )
    assert not Generation.objects.exists()


def test_a_selection_deleted_just_before_the_save_is_refused_and_nothing_saved(
    salesperson, selection, members, dialog_data, monkeypatch
):
    tab = client_for(salesperson)
    run_first(
        monkeypatch,
        services,
        "followups_generate",
        lambda: Selection.objects.filter(pk=selection.pk).delete(),
    )

    response = save(tab, selection, dialog_data())

    assert response.status_code == 200
    assert "was deleted meanwhile" in form_errors(response)
    assert not FollowUp.objects.exists()
    assert not Generation.objects.exists()


def test_a_criterion_added_just_after_a_freeze_is_refused(salesperson, oslo, monkeypatch):
    """The add validated against the dynamic selection; a freeze commits first. No
    criterion lands on the static selection it has become."""
    tab, other_tab = client_for(salesperson), client_for(salesperson)
    run_first(
        monkeypatch,
        selection_services,
        "selection_criterion_add",
        lambda: freeze(other_tab, oslo),
    )

    response = tab.post(
        reverse("selections:criterion_add", args=[oslo.pk]),
        {"field": "city", "value": "Bergen"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == oslo.get_absolute_url()
    page = tab.get(oslo.get_absolute_url())
    assert "was frozen meanwhile" in text(page.content.decode())
    assert not Criterion.objects.filter(selection=oslo).exists()
    assert Selection.objects.get(pk=oslo.pk).kind == Selection.Kind.STATIC


def test_members_removed_just_before_the_save_are_not_generated(
    salesperson, selection, members, dialog_data, monkeypatch
):
    tab = client_for(salesperson)
    gone = list(members[:4])
    run_first(
        monkeypatch,
        services,
        "followups_generate",
        lambda: SelectionMember.objects.filter(pk__in=[m.pk for m in gone]).delete(),
    )

    response = save(tab, selection, dialog_data())

    assert created(response) == 6
    assert not FollowUp.objects.filter(company__in=[m.company_id for m in gone]).exists()


# An undo and a change of one of its follow-ups, on every database --------------------


def undo(client, generation):
    response = client.post(reverse("followups:generation_undo", args=[generation.pk]))
    assert response.status_code == 302, response.content.decode()[:500]


def edit_data(followup) -> dict:
    return {
        "type": str(followup.type_id),
        "start_date": (followup.start_date + timedelta(days=7)).isoformat(),
        "description": "Moved a week on",
        "priority": "",
        "owner": str(followup.owner_id),
        "project_text": "",
        "project": "",
    }


def test_an_edit_of_a_followup_an_undo_just_removed_says_so_and_brings_nothing_back(
    salesperson, generated, monkeypatch
):
    """The edit had read the row; the undo's DELETE commits before the edit saves."""
    tab, other_tab = client_for(salesperson), client_for(salesperson)
    followup = FollowUp.objects.filter(generation=generated).first()
    run_first(monkeypatch, services, "followup_save_changes", lambda: undo(other_tab, generated))

    response = tab.post(
        reverse("followups:detail", args=[followup.pk]), edit_data(followup), follow=True
    )

    assert response.status_code == 200
    assert "no longer exists" in text(response.content.decode())
    assert not FollowUp.objects.filter(pk=followup.pk).exists()
    assert not FollowUp.objects.filter(generation=generated).exists()
    assert Generation.objects.get(pk=generated.pk).removed_count == 10
    assert_generations_add_up()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_toggle_of_a_followup_an_undo_just_removed_says_so(
    salesperson, generated, monkeypatch, htmx
):
    tab, other_tab = client_for(salesperson), client_for(salesperson)
    followup = FollowUp.objects.filter(generation=generated).first()
    run_first(monkeypatch, services, "followup_set_completed", lambda: undo(other_tab, generated))

    response = tab.post(
        reverse("followups:toggle_completed", args=[followup.pk]),
        headers=HTMX if htmx else {},
    )

    if htmx:
        assert response.status_code == 200
        assert response["HX-Redirect"] == reverse("followups:activity_list")
    else:
        assert response.status_code == 302
    page = tab.get(reverse("followups:activity_list"))
    assert "no longer exists" in text(page.content.decode())
    assert not FollowUp.objects.filter(generation=generated).exists()
    assert_generations_add_up()


def test_an_edit_keeps_a_completion_made_meanwhile(salesperson, generated, monkeypatch):
    """The edit form was shown for an open follow-up; someone completes it before the
    edit saves. The completion stays, and the edit says why it was not saved."""
    tab = client_for(salesperson)
    followup = FollowUp.objects.filter(generation=generated).first()
    run_first(
        monkeypatch,
        services,
        "followup_save_changes",
        lambda: FollowUp.objects.filter(pk=followup.pk).update(
            completed=True, completed_at=timezone.now(), updated_at=timezone.now()
        ),
    )

    response = tab.post(
        reverse("followups:detail", args=[followup.pk]), edit_data(followup), follow=True
    )

    assert "completed this follow-up meanwhile" in text(response.content.decode())
    followup.refresh_from_db()
    assert followup.completed
    assert followup.description == "Ring"


def test_two_toggles_are_two_toggles(salesperson, generated, monkeypatch):
    """A toggle whose page showed an open follow-up, after another toggle completed it:
    it opens it again, as one after the other would."""
    tab = client_for(salesperson)
    followup = FollowUp.objects.filter(generation=generated).first()
    toggle = reverse("followups:toggle_completed", args=[followup.pk])
    run_first(
        monkeypatch,
        services,
        "followup_set_completed",
        lambda: FollowUp.objects.filter(pk=followup.pk).update(
            completed=True, completed_at=timezone.now(), updated_at=timezone.now()
        ),
    )

    tab.post(toggle, headers=HTMX)

    followup.refresh_from_db()
    assert not followup.completed
    assert followup.completed_at is None


# PostgreSQL: both sides at once, each on its own connection ----------------------------


def wait_for_a_lock_wait() -> None:
    """Until another backend of this database waits for a lock (a row lock held by a
    transaction this test holds open)."""
    deadline = time.monotonic() + TIMEOUT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the other side never waited for the lock")


def in_thread(function) -> tuple[threading.Thread, list]:
    result: list = []

    def run():
        try:
            result.append(function())
        except BaseException as error:  # handed to the test
            result.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def value(thread: threading.Thread, result: list):
    thread.join(TIMEOUT)
    assert not thread.is_alive(), "still running (deadlock?)"
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def hold_after(monkeypatch, module, name: str):
    """Make module.name, on its first call, signal `reached` when done and wait for
    `go` before returning (inside the caller's transaction)."""
    reached, go = threading.Event(), threading.Event()
    original = getattr(module, name)

    def held(*args, **kwargs):
        result = original(*args, **kwargs)
        if not reached.is_set():
            reached.set()
            assert go.wait(TIMEOUT)
        return result

    monkeypatch.setattr(module, name, held)
    return reached, go


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_freeze_waits_for_a_running_generation(salesperson, oslo, dialog_data, monkeypatch):
    reached, go = hold_after(monkeypatch, services, "_insert_followups")
    generating, generated = in_thread(lambda: save(client_for(salesperson), oslo, dialog_data()))
    assert reached.wait(TIMEOUT)
    freezing, frozen = in_thread(lambda: freeze(client_for(salesperson), oslo))

    wait_for_a_lock_wait()  # the freeze waits for the generation's lock
    go.set()

    assert created(value(generating, generated)) == 20
    value(freezing, frozen)
    assert FollowUp.objects.count() == 20
    assert SelectionMember.objects.filter(selection=oslo).count() == 20
    assert_generations_add_up()


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_generation_during_a_freeze_waits_and_runs_on_the_frozen_members(
    salesperson, oslo, dialog_data, monkeypatch
):
    reached, go = hold_after(monkeypatch, dynamic, "rows_sql")  # the freeze's, locked
    freezing, frozen = in_thread(lambda: freeze(client_for(salesperson), oslo))
    assert reached.wait(TIMEOUT)
    generating, generated = in_thread(lambda: save(client_for(salesperson), oslo, dialog_data()))

    wait_for_a_lock_wait()  # the generation waits for the freeze
    go.set()

    value(freezing, frozen)
    assert created(value(generating, generated)) == 20
    generation = Generation.objects.get()
    assert FollowUp.objects.filter(generation=generation).count() == 20
    assert Company.objects.count() == 30  # and not one follow-up for each of them
    assert_generations_add_up()


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_undo_waits_for_an_edit_and_keeps_the_edited_followup(
    salesperson, generated, monkeypatch
):
    followup = FollowUp.objects.filter(generation=generated).first()
    reached, go = hold_after(monkeypatch, services, "_lock_followup")
    editing, edited = in_thread(
        lambda: client_for(salesperson).post(
            reverse("followups:detail", args=[followup.pk]), edit_data(followup)
        )
    )
    assert reached.wait(TIMEOUT)
    undoing, undone = in_thread(lambda: undo(client_for(salesperson), generated))

    wait_for_a_lock_wait()  # the undo's DELETE waits for the edit's row lock
    go.set()

    assert value(editing, edited).status_code == 302
    value(undoing, undone)
    assert list(FollowUp.objects.filter(generation=generated)) == [followup]
    assert FollowUp.objects.get().description == "Moved a week on"
    assert Generation.objects.get().removed_count == 9
    assert_generations_add_up()


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_toggle_waits_for_an_undo_and_then_says_the_followup_is_gone(
    salesperson, generated, monkeypatch
):
    followup = FollowUp.objects.filter(generation=generated).first()
    reached, go = threading.Event(), threading.Event()
    original_update = QuerySet.update

    def update_held(self, **kwargs):  # the undo's "mark undone", after its DELETE
        if self.model is Generation and "undone_at" in kwargs and not reached.is_set():
            reached.set()
            assert go.wait(TIMEOUT)
        return original_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", update_held)
    undoing, undone = in_thread(lambda: undo(client_for(salesperson), generated))
    assert reached.wait(TIMEOUT)
    toggling, toggled = in_thread(
        lambda: client_for(salesperson).post(
            reverse("followups:toggle_completed", args=[followup.pk]), headers=HTMX
        )
    )

    wait_for_a_lock_wait()  # the toggle waits for the row the undo deleted
    go.set()

    value(undoing, undone)
    response = value(toggling, toggled)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("followups:activity_list")
    assert not FollowUp.objects.exists()
    assert Generation.objects.get().removed_count == 10
    assert_generations_add_up()

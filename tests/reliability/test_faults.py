"""Faults during a generation (followups.services.followups_generate, saved through
followups.views.generate_save): whatever fails, and wherever, nothing is saved, the
dialog says so in words, and Save with the same one-time key then works.

These tests run outside a test transaction (transaction=True), as the app runs in
production: the view closes a broken connection, which would otherwise end the test's
own transaction. Serialized rollback brings back what the data migrations created (the
roles) after each flush.
"""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from django.db import DatabaseError, OperationalError, connection
from django.db.models.query import QuerySet
from django.urls import reverse

from followups import services
from followups.models import FollowUp, Generation
from tests.helpers import HTMX, bulk_members, elements, form_errors

from .helpers import ON_POSTGRESQL, POSTGRESQL_ONLY, SAVE_FAILED, SAVE_UNREACHABLE, nothing_saved

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason=POSTGRESQL_ONLY)


def url(selection) -> str:
    return reverse("followups:generate_save", args=[selection.pk])


def assert_failed_cleanly(response, message: str = SAVE_FAILED) -> None:
    """The message in the dialog's status line (status 200, so htmx swaps it in), the
    form itself left alone (everything typed and its one-time key stay for a retry),
    and nothing in the database."""
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert response["HX-Retarget"] == "#generate-status"
    assert response["HX-Reswap"] == "innerHTML"
    assert message in form_errors(response)
    assert not elements(response, name="key")
    assert nothing_saved()


def assert_retry_saves(client, selection, data: dict, expected: int) -> None:
    response = client.post(url(selection), data, headers=HTMX)

    assert response.status_code == 200
    generation = Generation.objects.get()
    assert json.loads(response["HX-Trigger"])["followupsCreated"] == {
        "generation": generation.pk,
        "count": expected,
        "new": True,
    }
    assert str(generation.key) == data["key"]
    assert generation.created_count == expected
    assert FollowUp.objects.filter(generation=generation).count() == expected
    assert FollowUp.objects.count() == expected


# Each point of a generation, on every database ------------------------------------------


def fail_after_the_generation_row(monkeypatch):
    original = Generation.save

    def save(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise DatabaseError("injected: after the generation row")

    monkeypatch.setattr(Generation, "save", save)


def fail_after_the_insert(monkeypatch):
    original = services._insert_followups

    def insert(**kwargs):
        created = original(**kwargs)
        assert created > 0
        raise DatabaseError("injected: after the INSERT … SELECT")

    monkeypatch.setattr(services, "_insert_followups", insert)


def fail_after_the_count_update(monkeypatch):
    original = QuerySet.update

    def update(self, **kwargs):
        rows = original(self, **kwargs)
        if self.model is Generation and "created_count" in kwargs:
            raise DatabaseError("injected: after the created_count UPDATE")
        return rows

    monkeypatch.setattr(QuerySet, "update", update)


def fail_at_commit(monkeypatch):
    """The COMMIT itself fails (a serialization failure, a full disk): Django rolls the
    transaction back."""
    original = connection.commit
    failed = []

    def commit():
        if not failed:
            failed.append(True)
            raise DatabaseError("injected: at COMMIT")
        return original()

    monkeypatch.setattr(connection, "commit", commit)


@pytest.mark.parametrize(
    "inject",
    [
        fail_after_the_generation_row,
        fail_after_the_insert,
        fail_after_the_count_update,
        fail_at_commit,
    ],
    ids=["after-generation-row", "after-insert", "after-count-update", "at-commit"],
)
def test_a_failure_saves_nothing_and_the_same_key_then_works(
    client, salesperson, selection, members, dialog_data, monkeypatch, inject
):
    client.force_login(salesperson.user)
    data = dialog_data()
    inject(monkeypatch)

    response = client.post(url(selection), data, headers=HTMX)

    assert_failed_cleanly(response)
    monkeypatch.undo()
    assert_retry_saves(client, selection, data, expected=10)


def test_a_failure_without_htmx_answers_a_page_that_says_so(
    client, salesperson, selection, members, dialog_data, monkeypatch
):
    client.force_login(salesperson.user)
    data = dialog_data()
    fail_after_the_insert(monkeypatch)

    response = client.post(url(selection), data)

    assert response.status_code == 503
    html = response.content.decode()
    assert elements(html, "html")
    assert SAVE_FAILED in form_errors(response)
    assert selection.get_absolute_url() in html
    assert nothing_saved()


def test_a_database_that_goes_away_mid_save_gets_an_answer_without_it(
    client, salesperson, selection, members, dialog_data, monkeypatch
):
    """The database stops answering during the INSERT (a restart): every later query
    fails too, and the answer is still the dialog's message, not a 500."""
    client.force_login(salesperson.user)
    data = dialog_data()
    down, refused = [], []

    def refuse(execute, sql, params, many, context):
        if down:
            refused.append(sql)
            raise OperationalError("injected: the server closed the connection")
        return execute(sql, params, many, context)

    def insert_then_go_down(**kwargs):
        down.append(True)
        raise OperationalError("injected: the server closed the connection")

    monkeypatch.setattr(services, "_insert_followups", insert_then_go_down)
    with connection.execute_wrapper(refuse):
        response = client.post(url(selection), data, headers=HTMX)

    assert len(refused) == 1, refused  # only the question whether the key committed
    assert_failed_cleanly(response, SAVE_UNREACHABLE)
    monkeypatch.undo()
    assert_retry_saves(client, selection, data, expected=10)


def test_a_save_whose_commit_answer_was_lost_says_it_was_saved(
    client, salesperson, selection, members, dialog_data, monkeypatch
):
    """COMMIT went through but the connection failed before the answer: the save asks
    by its one-time key and answers as a success."""
    client.force_login(salesperson.user)
    data = dialog_data()
    original = services.followups_generate

    def generate_then_lose_the_answer(**kwargs):
        original(**kwargs)
        raise OperationalError("injected: connection lost after COMMIT")

    monkeypatch.setattr(services, "followups_generate", generate_then_lose_the_answer)

    response = client.post(url(selection), data, headers=HTMX)

    assert json.loads(response["HX-Trigger"])["followupsCreated"]["count"] == 10
    assert Generation.objects.get().created_count == 10
    assert FollowUp.objects.count() == 10


def test_the_status_of_a_key_tells_whether_its_save_committed(
    client, salesperson, selection, members, dialog_data
):
    client.force_login(salesperson.user)
    data = dialog_data()
    status = reverse("followups:generate_status", args=[data["key"]])

    assert client.get(status, headers=HTMX).status_code == 204
    client.post(url(selection), data, headers=HTMX)
    response = client.get(status, headers=HTMX)

    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["followupsCreated"] == {
        "generation": Generation.objects.get().pk,
        "count": 10,
        "new": False,
    }
    assert "Created 10 follow-ups" in response.content.decode()


def test_the_status_of_someone_elses_key_tells_nothing(
    client, salesperson, manager, selection, members, dialog_data
):
    data = dialog_data()
    client.force_login(salesperson.user)
    client.post(url(selection), data, headers=HTMX)
    client.force_login(manager.user)

    response = client.get(reverse("followups:generate_status", args=[data["key"]]))

    assert response.status_code == 204


def test_a_failure_is_logged_with_its_cause(
    client, salesperson, selection, members, dialog_data, monkeypatch, caplog
):
    client.force_login(salesperson.user)
    fail_after_the_insert(monkeypatch)

    with caplog.at_level(logging.ERROR, logger="followups.views"):
        client.post(url(selection), dialog_data(), headers=HTMX)

    (record,) = [r for r in caplog.records if r.name == "followups.views"]
    assert f"generation failed on selection {selection.pk}" in record.getMessage()
    assert "after the INSERT" in str(record.exc_info[1])


# PostgreSQL: the connection lost, a statement cancelled ---------------------------------


@postgresql_only
def test_a_dropped_connection_saves_nothing_and_the_same_key_then_works(
    client, salesperson, selection, members, dialog_data, monkeypatch
):
    client.force_login(salesperson.user)
    data = dialog_data()
    original = services._insert_followups

    def insert_then_lose_the_connection(**kwargs):
        created = original(**kwargs)
        assert created == 10
        with connection.cursor() as cursor:  # the server ends this very session
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return created

    monkeypatch.setattr(services, "_insert_followups", insert_then_lose_the_connection)

    response = client.post(url(selection), data, headers=HTMX)

    assert_failed_cleanly(response)  # on a new connection
    monkeypatch.undo()
    assert_retry_saves(client, selection, data, expected=10)


@postgresql_only
def test_a_statement_timeout_saves_nothing_and_the_same_key_then_works(
    client, salesperson, selection, dialog_data, monkeypatch, caplog
):
    """20,000 members and a 1 ms statement timeout: the INSERT … SELECT is cancelled.

    The timeout is set on the connection just before the generation and reset right
    after it, so that only the generation runs under it (the dialog shown again counts
    the 20,000 members, which can itself take a millisecond).
    """
    assert bulk_members(selection, 20_000) == 20_000
    client.force_login(salesperson.user)
    data = dialog_data()
    original = services.followups_generate

    def generate_under_a_1ms_timeout(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 1")
        try:
            return original(**kwargs)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")

    monkeypatch.setattr(services, "followups_generate", generate_under_a_1ms_timeout)

    with caplog.at_level(logging.ERROR, logger="followups.views"):
        response = client.post(url(selection), data, headers=HTMX)

    assert_failed_cleanly(response)
    (record,) = [r for r in caplog.records if r.name == "followups.views"]
    assert "statement timeout" in str(record.exc_info[1])
    monkeypatch.undo()
    assert_retry_saves(client, selection, data, expected=20_000)


@postgresql_only
def test_connections_get_the_statement_timeout_from_the_settings(settings):
    configured = settings.DATABASES["default"]["OPTIONS"]["options"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
        (setting,) = cursor.fetchone()
        cursor.execute("SHOW jit")
        (jit,) = cursor.fetchone()
    assert configured == f"-c statement_timeout={setting} -c jit=off"
    assert int(setting) > 0
    assert jit == "off"


def test_a_retry_after_a_failure_still_creates_once(
    client, salesperson, selection, members, dialog_data, monkeypatch
):
    """Fail, retry twice with the same key (a double click on the retry): one
    generation."""
    client.force_login(salesperson.user)
    data = dialog_data()
    fail_after_the_insert(monkeypatch)
    client.post(url(selection), data, headers=HTMX)
    monkeypatch.undo()

    first = client.post(url(selection), data, headers=HTMX)
    second = client.post(url(selection), data, headers=HTMX)

    generation = Generation.objects.get(key=uuid.UUID(data["key"]))
    assert json.loads(first["HX-Trigger"])["followupsCreated"]["new"] is True
    assert json.loads(second["HX-Trigger"])["followupsCreated"] == {
        "generation": generation.pk,
        "count": 10,
        "new": False,
    }
    assert FollowUp.objects.count() == 10

"""Concurrency on PostgreSQL, with real threads, each with its own connection and its
own logged-in test client: a double submit at the same moment, and two users
generating on a selection whose members a third user changes meanwhile."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from crm.models import Company
from demo.factories import AssociateFactory
from followups import services
from followups.models import FollowUp, Generation
from selections.models import SelectionMember
from tests.helpers import HTMX, bulk_members

from .helpers import ON_POSTGRESQL, POSTGRESQL_ONLY

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRESQL, reason=POSTGRESQL_ONLY),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

JOIN_TIMEOUT = 120  # seconds; a deadlock that PostgreSQL did not break shows up here


def client_for(associate) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(associate.user)
    return client


def run_together(functions: list[Callable[[], object]]) -> list[object]:
    """Run each function in its own thread, all released at the same moment by a
    barrier; return their results (or raise the first exception). Each thread closes
    its database connection at the end."""
    barrier = threading.Barrier(len(functions))
    results: list[object] = [None] * len(functions)
    errors: list[BaseException] = []

    def run(i: int, function: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = function()
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, f), name=f"worker-{i}")
        for i, f in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"still running after {JOIN_TIMEOUT} s (deadlock?): {stuck}"
    if errors:
        raise errors[0]
    return results


def created(response) -> dict:
    """The followupsCreated event of a successful save."""
    assert response.status_code == 200, response.content.decode()[:500]
    assert "HX-Trigger" in response, response.content.decode()[:2000]
    return json.loads(response["HX-Trigger"])["followupsCreated"]


def test_the_same_key_posted_twice_at_once_creates_once(
    salesperson, selection, dialog_data, monkeypatch
):
    bulk_members(selection, 2_000)
    url = reverse("followups:generate_save", args=[selection.pk])
    clients = [client_for(salesperson), client_for(salesperson)]
    # Widen the window: the first request holds its transaction open a moment after the
    # INSERT, so the second one finds no generation yet and runs into the unique key.
    attempts = []
    original_insert, original_save = services._insert_followups, Generation.save

    def slow_insert(**kwargs):
        rows = original_insert(**kwargs)
        time.sleep(0.3)
        return rows

    def counted_save(self, *args, **kwargs):
        attempts.append(self.key)
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(services, "_insert_followups", slow_insert)
    monkeypatch.setattr(Generation, "save", counted_save)
    rounds = 4

    for _ in range(rounds):
        data = dialog_data()
        responses = run_together(
            [lambda c=c, d=data: c.post(url, d, headers=HTMX) for c in clients]
        )

        events = [created(response) for response in responses]
        generation = Generation.objects.get(key=uuid.UUID(data["key"]))
        assert {event["generation"] for event in events} == {generation.pk}
        assert sorted(event["new"] for event in events) == [False, True]
        assert {event["count"] for event in events} == {2_000}
        assert generation.created_count == 2_000
        assert FollowUp.objects.filter(generation=generation).count() == 2_000

    assert Generation.objects.count() == rounds
    assert FollowUp.objects.count() == rounds * 2_000
    # Both requests of a round got as far as inserting the generation in at least one
    # round: the unique key, not the look-up before it, is what kept them to one.
    assert len(attempts) > rounds


def test_two_users_generate_while_a_third_changes_the_members(
    salesperson, manager, group, selection, dialog_data
):
    """Anna and Per generate on the selection while Olav, its owner, adds and removes
    members. Nobody waits forever, every request succeeds, and each generation holds
    exactly the members of one moment: one of the states the membership went through."""
    per = AssociateFactory(user__username="per", primary_group=group, roles=["Salesperson"])
    bulk_members(selection, 1_500)
    spare = list(Company.objects.bulk_create(Company(name=f"Spare {i:03}") for i in range(200)))
    generate_url = reverse("followups:generate_save", args=[selection.pk])
    add_url = reverse("selections:member_add", args=[selection.pk])

    def membership() -> frozenset:
        return frozenset(
            SelectionMember.objects.filter(selection=selection).values_list(
                "company_id", "person_id"
            )
        )

    states = [membership()]
    done = threading.Event()
    generations_each = 6

    def generate(associate, **changes) -> list:
        client = client_for(associate)
        events = []
        for _ in range(generations_each):
            response = client.post(generate_url, dialog_data(**changes), headers=HTMX)
            events.append(created(response))
        return events

    def generate_then_stop(associate, **changes) -> list:
        try:
            return generate(associate, **changes)
        finally:
            done.set()

    def change_members() -> list[int]:
        client = client_for(salesperson)
        statuses = []
        rng = random.Random(7)
        pool = list(spare)
        while not done.is_set() or len(statuses) < 10:
            if pool and rng.random() < 0.5:
                company = pool.pop()
                response = client.post(add_url, {"company": company.pk}, headers=HTMX)
            else:
                member_id = (
                    SelectionMember.objects.filter(selection=selection)
                    .order_by("?")
                    .values_list("pk", flat=True)
                    .first()
                )
                remove_url = reverse("selections:member_remove", args=[selection.pk, member_id])
                response = client.post(remove_url, headers=HTMX)
            statuses.append(response.status_code)
            states.append(membership())  # the only writer: the state after its change
            if len(statuses) > 400:
                break
        return statuses

    anna_events, per_events, statuses = run_together(
        [
            lambda: generate_then_stop(manager, owner_mode="our_contact", one_per_company="on"),
            lambda: generate_then_stop(per),
            change_members,
        ]
    )

    assert set(statuses) == {200}, statuses
    assert len(statuses) >= 10
    assert len(anna_events) == len(per_events) == generations_each
    generations = Generation.objects.order_by("id")
    assert generations.count() == 2 * generations_each
    assert len(set(states)) > 1  # the membership did change while they generated
    seen = set()
    for generation in generations:
        rows = list(
            FollowUp.objects.filter(generation=generation).values_list("company_id", "person_id")
        )
        assert generation.created_count == len(rows)
        assert len(set(rows)) == len(rows), "a member got two follow-ups in one generation"
        assert frozenset(rows) in states, (
            f"generation {generation.pk} matches no state the membership went through"
        )
        seen.add(frozenset(rows))
    assert len(seen) > 1, "every generation saw the same members: they did not overlap"

    assert FollowUp.objects.count() == sum(g.created_count for g in generations)

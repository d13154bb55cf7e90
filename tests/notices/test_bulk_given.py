"""The notices of a bulk reassignment, and of a new owner set in Django admin: each new
owner is told once, after the change committed, in their own language, with a link to
exactly what they were given. Sent through a real SMTP server (tests/notices/conftest)."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.urls import reverse

from demo.factories import AssociateFactory, FollowUpFactory, FollowUpTypeFactory, UserFactory
from followups import bulk
from followups.models import BulkAction, BulkChange
from tests.followups.test_admin_rules import as_posted, change_url

pytestmark = pytest.mark.django_db

START = date(2026, 12, 7)
APPLY = reverse("followups:bulk_apply")


@pytest.fixture
def call_type(db):
    return FollowUpTypeFactory(name="Renewal call", name_nb="Fornyelsessamtale")


@pytest.fixture
def colleagues(group):
    return (
        AssociateFactory(user__first_name="Eva", primary_group=group, language="nb"),
        AssociateFactory(user__first_name="Finn", primary_group=group, language="en"),
    )


def reassign(ids, owner, scope="ticked", **fields) -> dict:
    return {
        "source": "activities",
        "show": "open",
        "next": "/activities/",
        "scope": scope,
        "ids": [str(i) for i in ids],
        "action": "reassign",
        "owner": str(owner.pk),
        **fields,
    }


def link_in(text: str) -> str:
    return re.search(r"https://crm\.example\.com(/activities/\S*)", text).group(1)


def test_it_tells_the_new_owner_once_with_a_link_to_exactly_those(
    smtp, login, manager, colleagues, call_type, django_capture_on_commit_callbacks
):
    eva, _finn = colleagues
    given = [
        FollowUpFactory(owner=manager, created_by=manager, type=call_type, start_date=START)
        for _ in range(3)
    ]
    already_hers = FollowUpFactory(owner=eva, created_by=manager, type=call_type)
    FollowUpFactory(owner=eva)  # hers, not in the change
    client = login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY, reassign([f.pk for f in [*given, already_hers]], eva))

    assert response.status_code == 302
    (message,) = smtp.messages
    assert eva.user.email in message["To"]
    # In her language; only the three that were someone else's are "given".
    assert message["Subject"] == f"{manager.name} ga deg 3 oppfølginger"
    change = BulkChange.objects.get()
    path = link_in(smtp.text(message))
    assert urlsplit(path).query == f"bulk={change.pk}"

    # The link: her activity list of exactly those, its total, export and "all that match".
    page = login(eva).get(path)
    assert [f.pk for f in page.context["page"].object_list] == [f.pk for f in given]
    assert page.context["total"] == 3
    assert "Only the follow-ups one bulk change gave you" in page.content.decode()
    export = login(eva).get(reverse("followups:export", args=["csv"]) + "?" + urlsplit(path).query)
    assert len(b"".join(export.streaming_content).decode().strip().splitlines()) == 1 + 3


def test_each_new_owner_of_a_change_is_told_once(
    smtp, login, manager, colleagues, django_capture_on_commit_callbacks
):
    eva, finn = colleagues
    rows = [FollowUpFactory(owner=manager, created_by=manager) for _ in range(4)]
    client = login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(APPLY, reassign([f.pk for f in rows[:2]], eva))
        client.post(APPLY, reassign([f.pk for f in rows[2:]], finn))
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == sorted(
        [eva.user.email, finn.user.email]
    )
    (to_finn,) = smtp.to(finn.user.email)
    assert to_finn["Subject"] == f"{manager.name} gave you 2 follow-ups"


def test_giving_them_to_myself_tells_nobody(
    smtp, login, manager, colleagues, django_capture_on_commit_callbacks
):
    eva, _finn = colleagues
    rows = [FollowUpFactory(owner=eva, created_by=manager) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        login(manager).post(APPLY, reassign([f.pk for f in rows], manager))
    assert callbacks == []
    assert smtp.messages == []


def test_an_undo_sends_nothing(
    smtp, login, manager, colleagues, django_capture_on_commit_callbacks
):
    eva, _finn = colleagues
    rows = [FollowUpFactory(owner=manager, created_by=manager) for _ in range(2)]
    client = login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(APPLY, reassign([f.pk for f in rows], eva))
    assert len(smtp.messages) == 1
    change = BulkChange.objects.get()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("followups:bulk_undo", args=[change.pk]))
    assert callbacks == []
    assert len(smtp.messages) == 1


def test_a_change_rolled_back_sends_nothing(
    smtp, manager, colleagues, django_capture_on_commit_callbacks
):
    eva, _finn = colleagues
    rows = [FollowUpFactory(owner=manager, created_by=manager) for _ in range(2)]
    scope = FollowUpFactory._meta.model.objects.filter(pk__in=[f.pk for f in rows])
    change = bulk.Change(action=BulkAction.REASSIGN, owner=eva)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        bulk.bulk_apply(scope, change, manager)
        raise RuntimeError
    assert callbacks == []
    assert smtp.messages == []


def test_another_action_sends_nothing(
    smtp, login, manager, colleagues, django_capture_on_commit_callbacks
):
    eva, _finn = colleagues
    rows = [FollowUpFactory(owner=eva, created_by=manager) for _ in range(2)]
    data = {**reassign([f.pk for f in rows], eva), "action": "complete"}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        login(manager).post(APPLY, data)
    assert callbacks == []
    assert smtp.messages == []


def test_a_new_owner_set_in_admin_is_told_once(
    smtp, client, group, colleagues, call_type, django_capture_on_commit_callbacks
):
    eva, finn = colleagues
    root = AssociateFactory(user__username="root", user__is_staff=True, user__is_superuser=True)
    followup = FollowUpFactory(owner=finn, created_by=finn, type=call_type, start_date=START)
    client.force_login(root.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(followup), as_posted(followup, owner=eva.pk))
        # Saved again with the same owner: nobody is told again.
        client.post(change_url(followup), as_posted(followup, owner=eva.pk, description="Again"))

    assert response.status_code == 302
    (message,) = smtp.messages
    assert eva.user.email in message["To"]
    assert message["Subject"] == f"{root.name} ga deg 1 oppfølging"
    assert f"https://crm.example.com/followups/{followup.pk}/" in smtp.text(message)


def test_an_administrator_without_an_associate_is_named_by_their_login(
    smtp, client, colleagues, django_capture_on_commit_callbacks
):
    eva, finn = colleagues
    user = UserFactory(username="root", first_name="Site", last_name="Admin", is_staff=True)
    user.is_superuser = True
    user.save()
    followup = FollowUpFactory(owner=finn, created_by=finn)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(change_url(followup), as_posted(followup, owner=eva.pk))
    (message,) = smtp.messages
    assert message["Subject"] == "Site Admin ga deg 1 oppfølging"


def test_a_new_followup_added_in_admin_tells_nobody(
    smtp, client, colleagues, call_type, django_capture_on_commit_callbacks
):
    eva, _finn = colleagues
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    followup = FollowUpFactory.build(owner=eva, created_by=eva, type=call_type)
    data = as_posted(followup)
    data.update(company="", person="", generation="", project="", priority="")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:followups_followup_add"), data)
    assert response.status_code == 302
    assert smtp.messages == []

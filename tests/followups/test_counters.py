"""The counters in the navigation: overdue, due today and open follow-ups of the current
associate. Completed follow-ups are never counted."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from demo.factories import (
    AssociateFactory,
    FollowUpFactory,
    FollowUpTypeFactory,
    SelectionFactory,
    SelectionMemberFactory,
)
from followups.models import FollowUp, OwnerMode
from followups.services import followups_generate
from tests.helpers import HTMX, day, element, elements, generation_choices

pytestmark = pytest.mark.django_db

URL = reverse("followups:counters")


BADGES = {"overdue": "Overdue", "today": "Due today", "open": "Open follow-ups"}


def shown(response) -> dict[str, int]:
    """{counter: number} as the badges show them (a badge left out counts 0)."""
    badges = elements(response, "span", class_=re.compile(r"badge \w+-badge"))
    found = {label: int(n) for label, n in (badge.text.rsplit(": ", 1) for badge in badges)}
    assert set(found) <= set(BADGES.values()), found
    return {name: found.get(label, 0) for name, label in BADGES.items()}


def counts(client) -> dict[str, int]:
    response = client.get(URL)
    assert response.status_code == 200
    return shown(response)


def generate(selection, creator, *, start_date, **choices):
    return followups_generate(
        selection=selection,
        creator=creator,
        **generation_choices(
            type=FollowUpTypeFactory(),
            start_date=start_date,
            description="Call about the spring offer",
            **choices,
        ),
        key=uuid.uuid4(),
    )


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_counts_overdue_today_and_open(login, salesperson):
    FollowUpFactory.create_batch(2, owner=salesperson, start_date=day(-5))
    FollowUpFactory.create_batch(3, owner=salesperson, start_date=day(0))
    FollowUpFactory(owner=salesperson, start_date=day(1))

    assert counts(login(salesperson)) == {"overdue": 2, "today": 3, "open": 6}


def test_it_never_counts_completed_followups(login, salesperson):
    FollowUpFactory(owner=salesperson, start_date=day(-1))
    for start in (day(-1), day(0), day(1)):
        # Completed today (still shown in the activity list) and earlier: never counted.
        FollowUpFactory(
            owner=salesperson, start_date=start, completed=True, completed_at=timezone.now()
        )
        FollowUpFactory(
            owner=salesperson,
            start_date=start,
            completed=True,
            completed_at=timezone.now() - timedelta(days=2),
        )

    assert counts(login(salesperson)) == {"overdue": 1, "today": 0, "open": 1}


def test_it_counts_only_the_associates_own_followups(login, salesperson, manager, outsider):
    FollowUpFactory(owner=salesperson, start_date=day(0))
    FollowUpFactory(owner=manager, created_by=salesperson, start_date=day(0))
    FollowUpFactory(owner=outsider, start_date=day(-1))

    assert counts(login(salesperson)) == {"overdue": 0, "today": 1, "open": 1}


def test_it_renders_the_badges(login, salesperson):
    FollowUpFactory.create_batch(2, owner=salesperson, start_date=day(-1))
    FollowUpFactory(owner=salesperson, start_date=day(0))

    html = login(salesperson).get(URL).content.decode()

    assert html.startswith('<span id="counters"')
    assert not elements(html, "html")
    assert element(html, "span", class_="badge overdue-badge", title="Overdue").text == "Overdue: 2"
    assert element(html, "span", class_="badge today-badge").text == "Due today: 1"
    assert element(html, "span", class_="badge open-badge").text == "Open follow-ups: 3"
    # Once loaded, it refreshes on the events only (not again on load).
    trigger = element(html, "span", id="counters")["hx-trigger"]
    assert "followupsCreated from:body" in trigger
    assert "followupChanged from:body" in trigger
    assert "load" not in trigger


def test_it_is_lazy_loaded_by_every_page(login, salesperson):
    html = login(salesperson).get(reverse("followups:history")).content.decode()

    counters = element(html, "span", id="counters")
    assert counters["hx-get"] == URL
    trigger = counters["hx-trigger"]
    assert trigger.startswith("load, ")
    assert "followupsCreated from:body" in trigger
    assert "followupChanged from:body" in trigger
    assert elements(counters.html) == [counters] and counters.text == ""  # empty until loaded


def test_it_changes_after_a_generation(login, salesperson):
    selection = SelectionFactory(owner=salesperson)
    SelectionMemberFactory.create_batch(3, selection=selection)
    client = login(salesperson)
    assert counts(client) == {"overdue": 0, "today": 0, "open": 0}

    generate(selection, salesperson, start_date=day(0))
    assert counts(client) == {"overdue": 0, "today": 3, "open": 3}

    generate(selection, salesperson, start_date=day(-7))
    assert counts(client) == {"overdue": 3, "today": 3, "open": 6}

    generate(selection, salesperson, start_date=day(-7), completed=True)  # never counted
    assert counts(client) == {"overdue": 3, "today": 3, "open": 6}


def test_it_counts_a_generation_for_another_associate_in_their_counters(login, salesperson, group):
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])
    selection = SelectionFactory(owner=salesperson)
    SelectionMemberFactory.create_batch(2, selection=selection)

    generate(
        selection,
        salesperson,
        start_date=day(0),
        owner_mode=OwnerMode.OTHER,
        owner_associate=colleague,
    )

    assert counts(login(salesperson)) == {"overdue": 0, "today": 0, "open": 0}
    assert counts(login(colleague)) == {"overdue": 0, "today": 2, "open": 2}


def test_it_changes_after_a_toggle(login, salesperson):
    late = FollowUpFactory(owner=salesperson, start_date=day(-1))
    FollowUpFactory(owner=salesperson, start_date=day(0))
    client = login(salesperson)
    toggle = reverse("followups:toggle_completed", args=[late.pk])
    assert counts(client) == {"overdue": 1, "today": 1, "open": 2}

    response = client.post(toggle, headers=HTMX)
    assert "followupChanged" in response.headers["HX-Trigger"]
    assert counts(client) == {"overdue": 0, "today": 1, "open": 1}

    client.post(toggle, headers=HTMX)  # opened again
    assert counts(client) == {"overdue": 1, "today": 1, "open": 2}


@pytest.mark.parametrize("n", [10, 500])
def test_it_uses_the_same_number_of_queries_for_any_size(
    login, salesperson, django_assert_num_queries, n
):
    FollowUp.objects.bulk_create(
        FollowUpFactory.build_batch(
            n, owner=salesperson, type=FollowUpTypeFactory(), company=None, start_date=day(-1)
        )
    )
    client = login(salesperson)

    # 1: the session
    # 2: the user
    # 3: the associate, with its user and primary group
    # 4: the associate's other user groups
    # 5: the three counts, in one aggregate
    with django_assert_num_queries(5):
        response = client.get(URL)

    assert shown(response) == {"overdue": n, "today": 0, "open": n}


def test_the_counts_are_read_from_the_open_index_alone(salesperson):
    """One aggregate over the associate's open follow-ups whose conditions name only
    columns of followups_open_by_owner: on PostgreSQL an index-only scan (a condition on
    `completed` in a count would make it read every row from the table)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from followups.services import followup_counts

    FollowUpFactory.create_batch(3, owner=salesperson, start_date=day(-1))
    with CaptureQueriesContext(connection) as queries:
        counts = followup_counts(salesperson)
    assert counts == {"overdue": 3, "today": 0, "open": 3}
    (query,) = queries.captured_queries
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name in ("enable_seqscan", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {name} = off")
        cursor.execute("EXPLAIN " + query["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using followups_open_by_owner" in plan, plan

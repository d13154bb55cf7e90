"""Lists a person can work in (followups.lists): sorted by a column, stable, in the URL;
narrowed by the filter bar; the sort and the filters kept by paging, export and the
bulk bar; the open list by start still read from its partial index."""

from __future__ import annotations

from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    FollowUpFactory,
    FollowUpTypeFactory,
    PersonFactory,
    PriorityFactory,
    ProjectFactory,
)
from followups import lists
from followups.models import FollowUp
from tests.helpers import day, element, elements, rows

pytestmark = pytest.mark.django_db

ACTIVITIES = reverse("followups:activity_list")
HISTORY = reverse("followups:history")


@pytest.fixture
def world(salesperson):
    """Four open follow-ups of the salesperson's, each column in a different order."""
    call, visit = (
        FollowUpTypeFactory(name="Call", rank=2),
        FollowUpTypeFactory(name="Visit", rank=1),
    )
    high, low = PriorityFactory(name="Urgent", rank=1), PriorityFactory(name="Later", rank=3)
    alpha, beta = ProjectFactory(name="Alpha launch"), ProjectFactory(name="Beta pilot")
    made = {
        "a": FollowUpFactory(
            owner=salesperson,
            start_date=day(3),
            type=call,
            priority=low,
            project=beta,
            company=CompanyFactory(name="Aker"),
            person=PersonFactory(last_name="Dahl"),
        ),
        "b": FollowUpFactory(
            owner=salesperson,
            start_date=day(1),
            type=visit,
            priority=high,
            project=alpha,
            company=CompanyFactory(name="Bore"),
            person=PersonFactory(last_name="Berg"),
        ),
        "c": FollowUpFactory(
            owner=salesperson,
            start_date=day(2),
            type=call,
            priority=None,
            project=None,
            company=CompanyFactory(name="Ørsta"),
            person=None,
        ),
        "d": FollowUpFactory(
            owner=salesperson,
            start_date=day(1),
            type=visit,
            priority=high,
            project=alpha,
            company=CompanyFactory(name="Aker"),
            person=PersonFactory(last_name="Aas"),
        ),
    }
    return made


def order(response, world) -> str:
    names = {f.pk: name for name, f in world.items()}
    return "".join(names[pk] for pk in rows(response))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", "bdca"),  # by start, then id
        ("start", "bdca"),
        ("-start", "acdb"),
        ("type", "bdca"),  # Visit (rank 1) before Call; then start, id
        ("-type", "cabd"),
        ("company", "dabc"),  # Aker (d before a: start), Bore, Ørsta
        ("person", "dbac"),  # Aas, Berg, Dahl, nobody last
        ("-person", "abdc"),  # nobody last either way
        ("project", "bdac"),  # Alpha, Alpha, Beta, none
        ("priority", "bdac"),  # Urgent, Urgent, Later, none
        ("-priority", "abdc"),
    ],
)
def test_it_sorts_the_activity_list_by_a_column(login, salesperson, world, sort, expected):
    response = login(salesperson).get(ACTIVITIES, {"sort": sort} if sort else {})
    assert response.status_code == 200
    assert order(response, world) == expected


@pytest.mark.parametrize("sort", ["evil", "--start", "start;drop", "-", "x" * 500, "id"])
def test_a_sort_that_is_not_one_is_ignored(login, salesperson, world, sort):
    response = login(salesperson).get(ACTIVITIES, {"sort": sort})
    assert response.status_code == 200
    assert order(response, world) == "bdca"


def test_names_sort_regardless_of_case(login, salesperson):
    made = [
        FollowUpFactory(owner=salesperson, company=CompanyFactory(name=name))
        for name in ("bravo", "Alfa", "Charlie", "alfa")
    ]
    response = login(salesperson).get(ACTIVITIES, {"sort": "company"})
    assert list(rows(response)) == [made[1].pk, made[3].pk, made[0].pk, made[2].pk]


def test_it_is_stable_with_the_id_as_last_key(login, salesperson):
    company = CompanyFactory(name="Same")
    made = [
        FollowUpFactory(owner=salesperson, start_date=day(0), company=company) for _ in range(5)
    ]
    response = login(salesperson).get(ACTIVITIES, {"sort": "company"})
    assert list(rows(response)) == [f.pk for f in made]
    assert lists.ordering("-company")[-1] == "id"
    assert lists.ordering("-start") == ["-start_date", "-id"]


def test_the_headings_are_links_with_aria_sort(login, salesperson, world):
    html = login(salesperson).get(ACTIVITIES, {"sort": "-type"}).content.decode()
    heading = element(html, "th", scope="col", aria_sort="descending")
    assert heading.text.startswith("Type")
    link = element(heading.html, "a")
    # The sorted one sorts the other way; the others ascending first; one aria-sort only.
    assert link["class"] == "sort"
    assert parse_qs(urlsplit(link["href"]).query)["sort"] == ["type"]
    assert len(elements(html, aria_sort=True)) == 1
    assert element(html, "a", class_="sort", href="?show=open&sort=company")


def test_the_sort_and_the_filters_are_kept_by_paging_export_and_the_bulk_bar(
    login, salesperson, monkeypatch
):
    monkeypatch.setattr("followups.lists.PAGE_SIZE", 2)
    kind = FollowUpTypeFactory(name="Call")
    for i in range(5):
        FollowUpFactory(owner=salesperson, type=kind, start_date=day(i))
    FollowUpFactory(owner=salesperson)  # another type
    client = login(salesperson)
    response = client.get(ACTIVITIES, {"sort": "-start", "type": kind.pk, "show": "open"})
    html = unescape(response.content.decode())

    assert response.context["total"] == 5
    assert f"?type={kind.pk}&sort=-start&show=open&page=2" in html  # the next page
    assert f"export.csv?type={kind.pk}&sort=-start&show=open" in html
    bulk = response.context["bulk_form"]
    assert bulk.initial["filters"] == f"type={kind.pk}"
    assert bulk.initial["next"] == f"/activities/?sort=-start&type={kind.pk}&show=open"
    # The filter bar keeps the list's other parameters, the sort among them.
    assertInHTML('<input type="hidden" name="sort" value="-start">', html)
    assertInHTML('<input type="hidden" name="show" value="open">', html)

    second = client.get(ACTIVITIES, {"sort": "-start", "type": kind.pk, "page": 2})
    assert [f.start_date for f in second.context["page"].object_list] == [day(2), day(1)]


def test_it_filters_by_type_project_and_priority_and_counts_what_it_shows(
    login, salesperson, world
):
    client = login(salesperson)
    call = world["a"].type
    assert order(client.get(ACTIVITIES, {"type": call.pk}), world) == "ca"
    assert order(client.get(ACTIVITIES, {"project": "alpha"}), world) == "bd"  # its start
    assert order(client.get(ACTIVITIES, {"project": "%pilot"}), world) == "a"  # contains
    assert order(client.get(ACTIVITIES, {"priority": world["b"].priority_id}), world) == "bd"
    assert order(client.get(ACTIVITIES, {"priority": "none"}), world) == "c"
    both = client.get(ACTIVITIES, {"type": call.pk, "priority": "none"})
    assert order(both, world) == "c"
    assert both.context["total"] == 1
    assert "1 follow-up" in both.content.decode()
    assert "Clear the filters" in both.content.decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"type": "abc"}, "type", "That type does not exist; choose another."),
        ({"type": "999999"}, "type", "That type does not exist; choose another."),
        ({"priority": "nope"}, "priority", "That priority does not exist; choose another."),
        ({"project": "x" * 201}, "project", "No project has a name that long."),
    ],
)
def test_a_filter_that_is_not_one_is_answered_next_to_its_field(
    login, salesperson, world, params, field, message
):
    response = login(salesperson).get(ACTIVITIES, params)
    assert response.status_code == 200
    html = response.content.decode()
    assertInHTML(f'<div class="errorlist" id="filter_{field}_error"><p>{message}</p></div>', html)
    assert element(html, id=f"filter_{field}", aria_invalid="true")
    assert order(response, world) == "bdca"  # that filter left out


@pytest.mark.parametrize("value", ["\x00", "%", "' OR 1=1 --", "æøå" * 10, "-1", "1" * 40])
def test_odd_filter_values_never_fail(login, salesperson, world, value):
    for name in ("type", "priority", "project", "sort", "bulk", "generation", "page"):
        response = login(salesperson).get(ACTIVITIES, {name: value})
        assert response.status_code == 200, name
        response = login(salesperson).get(HISTORY, {name: value})
        assert response.status_code == 200, name


def test_the_history_sorts_and_filters_with_completed_ones(login, salesperson, world):
    done = FollowUpFactory(
        owner=salesperson,
        start_date=day(9),
        completed=True,
        type=world["a"].type,
        company=CompanyFactory(name="Bjørk"),
    )
    client = login(salesperson)
    response = client.get(HISTORY)
    assert next(iter(rows(response))) == done.pk  # newest first
    assert response.context["total"] == 5
    filtered = client.get(HISTORY, {"type": world["a"].type_id, "sort": "company"})
    assert list(rows(filtered)) == [world["a"].pk, done.pk, world["c"].pk]
    assert filtered.context["total"] == 3


def test_the_cards_sort_and_filter(login, salesperson, group):
    company = CompanyFactory(name="Fjord AS")
    colleague = AssociateFactory(primary_group=group)
    call, visit = FollowUpTypeFactory(name="Call"), FollowUpTypeFactory(name="Visit")
    mine = FollowUpFactory(owner=salesperson, company=company, type=call, start_date=day(1))
    theirs = FollowUpFactory(owner=colleague, company=company, type=visit, start_date=day(2))
    FollowUpFactory(owner=AssociateFactory(), company=company)  # not visible to them
    client = login(salesperson)
    url = reverse("crm:company", args=[company.pk])
    assert list(rows(client.get(url))) == [theirs.pk, mine.pk]
    assert list(rows(client.get(url, {"sort": "start"}))) == [mine.pk, theirs.pk]
    response = client.get(url, {"type": visit.pk})
    assert list(rows(response)) == [theirs.pk]
    assert response.context["total"] == 1
    assert f"source=company&amp;card={company.pk}&amp;type={visit.pk}" in response.content.decode()


def test_the_generation_page_sorts_and_filters(login, salesperson, world):
    from tests.followups.test_activity_list import _generation

    generation = _generation(salesperson, world["a"].type)
    FollowUp.objects.filter(pk__in=[f.pk for f in world.values()]).update(generation=generation)
    client = login(salesperson)
    url = reverse("followups:generation_detail", args=[generation.pk])
    assert order(client.get(url, {"sort": "company"}), world) == "dabc"
    response = client.get(url, {"priority": "none"})
    assert order(response, world) == "c"
    assert response.context["total"] == 1


def test_a_sorted_filtered_list_costs_the_same_queries(
    login, salesperson, world, django_assert_num_queries
):
    client = login(salesperson)
    client.get(ACTIVITIES)
    # 1: the session; 2: the user; 3: the associate; 4: its other user groups
    # 5-6: the filter bar's types and priorities (also the rows' names)
    # 7-8: the first companies in name order, and how many of the list's rows each has
    # 9: the page's ids among those companies' rows (open and completed today together)
    # 10: those follow-ups, with project, company and person; 11: their owners
    # 12-13: how many on every page: the open ones, those completed today
    # 14-15: the user's rights ("New follow-up")
    with django_assert_num_queries(15):
        response = client.get(ACTIVITIES, {"sort": "company", "type": world["a"].type_id})
    assert order(response, world) == "ac"


def test_the_export_follows_the_sort_and_the_filters(login, salesperson, world):
    response = login(salesperson).get(
        reverse("followups:export", args=["csv"]),
        {"sort": "company", "type": world["b"].type_id},
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert [line.split(",")[3] for line in body[1:]] == ["Aker", "Bore"]


def _plan(queryset) -> str:
    """The plan at a size where order matters: PostgreSQL told to avoid scans, bitmaps
    and sorts wherever an index can do without them (it would prefer them for a table
    this small), so a sort left in the plan is one no index can avoid."""
    if connection.vendor != "postgresql":
        return queryset.explain()
    with connection.cursor() as cursor:
        for name in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET {name} = off")
        try:
            return queryset.explain()
        finally:
            for name in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                cursor.execute(f"RESET {name}")


def test_the_open_list_by_start_reads_the_partial_index(salesperson, world):
    """By start, either way, with or without a filter, the open part is read from
    followups_open_by_owner in its order (no sort of every open row)."""
    open_, _done = lists.activity_parts(salesperson, "open", day(0))
    for sort in ("start", "-start"):
        for part in (open_, lists.narrowed(open_, {"type": world["a"].type_id})):
            query = part.order_by(*lists.ordering(sort)).values_list("start_date", "id")[:51]
            plan = _plan(query)
            assert "followups_open_by_owner" in plan, plan
            if connection.vendor == "sqlite":
                assert "TEMP B-TREE" not in plan, plan
            else:
                assert "Sort" not in plan.replace("Sort Key", ""), plan


@pytest.mark.parametrize("n", [3, 60])
def test_a_generations_page_sorted_and_filtered_costs_the_same_queries(
    login, salesperson, django_assert_num_queries, n
):
    from tests.followups.test_activity_list import _generation

    kind = FollowUpTypeFactory()
    generation = _generation(salesperson, kind)
    FollowUp.objects.bulk_create(
        FollowUpFactory.build_batch(
            n, owner=salesperson, type=kind, generation=generation, company=CompanyFactory()
        )
    )
    client = login(salesperson)
    client.get(ACTIVITIES)
    url = reverse("followups:generation_detail", args=[generation.pk])
    # 1: the session; 2: the user; 3: the associate; 4: its other user groups
    # 5-6: the user's rights (may they see every generation? every associate?)
    # 7: the generation, with whether its selection is visible to them
    # 8-9: the filter bar's types and priorities (also the rows' names)
    # 10-11: the first companies in name order, and how many of the rows each has
    # 12: the page's ids among those companies' rows; 13: those follow-ups; 14: owners
    # 15: how many on every page; 16: how many are untouched and changed since (undo)
    with django_assert_num_queries(16):
        response = client.get(url, {"sort": "-company", "type": kind.pk})
    assert len(response.context["page"].object_list) == min(n, lists.PAGE_SIZE)
    assert response.context["total"] == n


@pytest.mark.parametrize("sort", ["type", "-type", "priority", "-priority"])
def test_a_sort_by_the_one_type_or_priority_the_filter_leaves_is_read_by_start(
    login, salesperson, world, sort
):
    """Narrowed to one type (or priority), sorting by it is sorting by start and id: the
    same rows in the same order as the full sort gives, read the way the sort by start is."""
    call = world["a"].type
    for offset in (5, -3, 1):  # more of that type and priority, one completed
        FollowUpFactory(
            owner=salesperson, start_date=day(offset), type=call, priority=world["a"].priority
        )
    FollowUpFactory(
        owner=salesperson,
        start_date=day(0),
        type=call,
        priority=world["a"].priority,
        completed=True,
    )
    name = sort.removeprefix("-")
    value = world["a"].type_id if name == "type" else world["a"].priority_id
    assert lists.page_sort(sort, {name: value}) == "start"
    assert lists.page_sort(sort, {}) == sort
    assert lists.page_sort(sort, {"project": "Alpha"}) == sort
    client = login(salesperson)
    for url, every in (
        (HISTORY, lists.history_rows(salesperson)),
        (ACTIVITIES, lists.activity_rows(salesperson, "open")),  # completed today too
    ):
        expected = list(
            every.filter(**{f"{name}_id": value})
            .order_by(*lists.ordering(sort))
            .values_list("id", flat=True)
        )
        response = client.get(url, {"sort": sort, name: value})
        assert list(rows(response)) == expected, url
        assert response.context["sort"] == sort  # the headings still say what was asked


@pytest.mark.skipif(connection.vendor != "postgresql", reason="INCLUDE is PostgreSQL's")
@pytest.mark.parametrize("name", ["followups_open_by_owner", "followups_done_by_owner_start"])
def test_on_postgresql_the_owners_indexes_carry_what_the_filter_bar_counts_by(name):
    """The filter bar's total (one associate's rows of one type or priority) is counted
    from the index alone: type and priority are carried, not keys."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        (definition,) = cursor.fetchone()
    assert "(owner_id, start_date, id) INCLUDE (type_id, priority_id)" in definition

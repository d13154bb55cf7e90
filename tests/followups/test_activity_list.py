"""The activity list: the current associate's open follow-ups by start date, overdue ones
marked, one completed today kept (struck through) until tomorrow."""

import re
from datetime import timedelta

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
    ProjectFactory,
)
from followups.models import FollowUp, Generation
from followups.paging import PAGE_SIZE
from tests.helpers import day, element, elements, rows

pytestmark = pytest.mark.django_db

URL = reverse("followups:activity_list")


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_shows_own_open_followups_by_start_date(login, salesperson, group):
    ahead = FollowUpFactory(owner=salesperson, start_date=day(3))
    late = FollowUpFactory(owner=salesperson, start_date=day(-2))
    today = FollowUpFactory(owner=salesperson, start_date=day(0))
    # A colleague's, even one salesperson created, is in the colleague's list, not here.
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])
    FollowUpFactory(owner=colleague)
    FollowUpFactory(owner=colleague, created_by=salesperson)

    response = login(salesperson).get(URL)

    assert response.status_code == 200
    assert list(rows(response)) == [late.pk, today.pk, ahead.pk]


def test_it_leaves_out_completed_followups(login, salesperson):
    open_one = FollowUpFactory(owner=salesperson, start_date=day(-1))
    FollowUpFactory(
        owner=salesperson,
        start_date=day(-1),
        completed=True,
        completed_at=timezone.now() - timedelta(days=1),
    )
    FollowUpFactory(
        owner=salesperson,
        start_date=day(-30),
        completed=True,
        completed_at=timezone.now() - timedelta(days=20),
    )

    response = login(salesperson).get(URL)

    assert list(rows(response)) == [open_one.pk]


def test_it_keeps_a_followup_completed_today_struck_through(login, salesperson):
    done_today = FollowUpFactory(
        owner=salesperson, start_date=day(-3), completed=True, completed_at=timezone.now()
    )
    done_yesterday = FollowUpFactory(
        owner=salesperson,
        start_date=day(-3),
        completed=True,
        completed_at=timezone.now() - timedelta(days=1),
    )

    response = login(salesperson).get(URL)

    shown = rows(response)
    assert shown == {done_today.pk: "done"}  # struck through by CSS, not overdue
    assert done_yesterday.pk not in shown
    assert element(response, "button", id=f"tick-{done_today.pk}", aria_checked="true").text == "✓"

    # Tomorrow it has left the list.
    FollowUp.objects.filter(pk=done_today.pk).update(
        completed_at=timezone.now() - timedelta(days=1)
    )
    assert rows(login(salesperson).get(URL)) == {}


def test_it_marks_overdue_followups(login, salesperson):
    late = FollowUpFactory(owner=salesperson, start_date=day(-1))
    today = FollowUpFactory(owner=salesperson, start_date=day(0))
    ahead = FollowUpFactory(owner=salesperson, start_date=day(1))

    response = login(salesperson).get(URL)

    assert rows(response) == {late.pk: "overdue", today.pk: "", ahead.pk: ""}

    def badges(followup) -> list[str]:
        row = element(response, "tr", id=f"followup-{followup.pk}")
        return [badge.text for badge in elements(row.html, "span", class_=re.compile("badge.*"))]

    assert badges(late) == ["Overdue"]
    assert badges(today) == badges(ahead) == []


def test_it_shows_what_each_row_is_about(login, salesperson):
    company = CompanyFactory(name="Fjord Fisk AS")
    person = PersonFactory(first_name="Ingrid", last_name="Berg", company=company)
    FollowUpFactory(
        owner=salesperson,
        type=FollowUpTypeFactory(name="Lunch", colour="#12ab34"),
        description="Bring the price list\nand the samples",
        company=company,
        person=person,
        project=ProjectFactory(name="Spring campaign"),
        priority=PriorityFactory(name="Urgent"),
    )

    html = login(salesperson).get(URL).content.decode()

    for text in ("Lunch", "#12ab34", "Fjord Fisk AS", "Ingrid Berg", "Spring campaign", "Urgent"):
        assert text in html
    assert "Bring the price list" in html
    assert "and the samples" not in html  # the description's first line only
    assert reverse("crm:company", args=[company.pk]) in html
    assert reverse("crm:person", args=[person.pk]) in html


def test_it_cuts_a_long_title_to_80_characters(login, salesperson):
    FollowUpFactory(owner=salesperson, description="Ring " * 40)
    FollowUpFactory(owner=salesperson, description="R" * 80)

    html = login(salesperson).get(URL).content.decode()

    titles = [link.text for link in elements(html, "a") if link.get("href", "").startswith("/f")]
    assert ("Ring " * 16)[:79].strip() + "…" in titles
    assert "R" * 80 in titles


def test_every_tick_posts_the_one_form_of_the_table_to_its_own_row(login, salesperson):
    first, second = FollowUpFactory.create_batch(2, owner=salesperson)

    html = login(salesperson).get(URL, {"show": "open", "page": "1"}).content.decode()

    table = html[html.index('<form method="post" class="followup-table">') :]
    table = table[: table.index("</form>")]
    assert table.count("csrfmiddlewaretoken") == 1
    assert 'name="next" value="/activities/?show=open&amp;page=1"' in table
    for followup in (first, second):
        toggle = reverse("followups:toggle_completed", args=[followup.pk])
        assert f'formaction="{toggle}" hx-post="{toggle}"' in table


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("overdue", ["late"]),
        ("today", ["today", "done_today"]),
        ("week", ["today", "done_today", "in_six_days"]),
        ("open", ["late", "done_late", "today", "done_today", "in_six_days", "in_a_week"]),
        ("nonsense", ["late", "done_late", "today", "done_today", "in_six_days", "in_a_week"]),
    ],
)
def test_it_filters(login, salesperson, show, expected):
    followups = {
        "late": FollowUpFactory(owner=salesperson, start_date=day(-1)),
        # Completed today: struck through in the list, but no longer overdue.
        "done_late": FollowUpFactory(
            owner=salesperson, start_date=day(-1), completed=True, completed_at=timezone.now()
        ),
        "today": FollowUpFactory(owner=salesperson, start_date=day(0)),
        "done_today": FollowUpFactory(
            owner=salesperson, start_date=day(0), completed=True, completed_at=timezone.now()
        ),
        "in_six_days": FollowUpFactory(owner=salesperson, start_date=day(6)),
        "in_a_week": FollowUpFactory(owner=salesperson, start_date=day(7)),
    }
    FollowUpFactory(
        owner=salesperson,
        start_date=day(-1),
        completed=True,
        completed_at=timezone.now() - timedelta(days=1),
    )

    response = login(salesperson).get(URL, {"show": show})

    assert list(rows(response)) == [followups[name].pk for name in expected]
    assert response.context["show"] == (show if show != "nonsense" else "open")


def test_it_merges_open_and_completed_today_across_pages(login, salesperson, monkeypatch):
    monkeypatch.setattr("followups.lists.PAGE_SIZE", 3)
    made = []
    for offset in range(-4, 4):
        done = offset % 3 == 0  # -3, 0, 3 completed today; the rest open
        made.append(
            FollowUpFactory(
                owner=salesperson,
                start_date=day(offset),
                completed=done,
                completed_at=timezone.now() if done else None,
            )
        )
    client = login(salesperson)

    pages = [client.get(URL, {"page": number}) for number in (1, 2, 3)]

    assert [pk for page in pages for pk in rows(page)] == [f.pk for f in made]
    assert [page.context["page"].has_next() for page in pages] == [True, True, False]


def test_it_pages(login, salesperson):
    followup_type = FollowUpTypeFactory()
    company = CompanyFactory()
    FollowUp.objects.bulk_create(
        FollowUpFactory.build_batch(
            PAGE_SIZE + 1, owner=salesperson, type=followup_type, company=company
        )
    )
    last = FollowUpFactory(owner=salesperson, type=followup_type, start_date=day(1))

    client = login(salesperson)
    first_page = client.get(URL)
    second_page = client.get(URL, {"page": 2})

    assert len(rows(first_page)) == PAGE_SIZE
    assert list(rows(second_page)) == [FollowUp.objects.order_by("-id")[1].pk, last.pk]
    assert "?show=open&amp;page=2" in first_page.content.decode()


@pytest.mark.parametrize("n", [10, 500])
def test_it_uses_the_same_number_of_queries_for_any_size(
    login, salesperson, django_assert_num_queries, n
):
    company = CompanyFactory()
    FollowUp.objects.bulk_create(
        FollowUpFactory.build_batch(
            n,
            owner=salesperson,
            type=FollowUpTypeFactory(),
            company=company,
            person=PersonFactory(company=company),
            project=ProjectFactory(),
            priority=PriorityFactory(),
        )
    )
    client = login(salesperson)

    # 1: the session
    # 2: the user
    # 3: the associate, with its user and primary group
    # 4: the associate's other user groups
    # 5-6: the filter bar's types and priorities (also the rows' names)
    # 7: the open follow-ups' start dates and ids, in order, as far as the page goes
    #    (one more than a page: is there a next?)
    # 8: the same of those completed today, merged with them
    # 9: those follow-ups, with project, company and person
    # 10: their owners (with logins)
    # 11-12: how many on every page: the open ones, those completed today
    # 13-14: the user's rights, through the user and their roles ("New follow-up")
    with django_assert_num_queries(14):
        response = client.get(URL)

    assert len(rows(response)) == min(n, PAGE_SIZE)


def test_it_filters_by_generation(login, salesperson, group):
    """The link in an owner's notice: only that generation's follow-ups of this owner."""
    colleague = AssociateFactory(primary_group=group)
    mine = FollowUpFactory(owner=salesperson, created_by=colleague)
    generation = _generation(colleague, mine.type)
    mine.generation = generation
    mine.save()
    FollowUpFactory(owner=colleague, generation=generation)  # the colleague's own share
    FollowUpFactory(owner=salesperson)  # not from it
    client = login(salesperson)

    response = client.get(URL, {"generation": generation.pk})
    assert list(rows(response)) == [mine.pk]
    assert "Only the follow-ups of one generation" in response.content.decode()
    assert f"?generation={generation.pk}&amp;show=overdue" in response.content.decode()


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "1" * 40])
def test_a_generation_that_is_not_one_lists_nothing(login, salesperson, value):
    FollowUpFactory(owner=salesperson)
    response = login(salesperson).get(URL, {"generation": value})
    assert response.status_code == 200
    assert list(rows(response)) == []


def test_the_generation_filter_costs_one_query(login, salesperson, django_assert_num_queries):
    followup = FollowUpFactory(owner=salesperson)
    generation = _generation(salesperson, followup.type)
    FollowUp.objects.filter(pk=followup.pk).update(generation=generation)
    client = login(salesperson)
    # 1-4: session, user, associate, its other user groups; 5: the generation (with its
    # type and creator); 6-7: the filter bar's types and priorities; 8-9: the open and
    # the completed-today keys; 10: the rows; 11: their owners; 12-13: how many on every
    # page; 14-15: the user's rights ("New follow-up"). One more than without the filter.
    with django_assert_num_queries(15):
        response = client.get(URL, {"generation": generation.pk})
    assert list(rows(response)) == [followup.pk]


def _generation(creator, type_, created: int = 10):
    """A generation that created `created` follow-ups (the tests attach theirs to it)."""
    return Generation.objects.create(
        created_count=created,
        created_by=creator,
        selection_name="Kunder Oslo",
        type=type_,
        start_date=day(0),
        description="Ring",
        owner_mode="our_contact",
    )

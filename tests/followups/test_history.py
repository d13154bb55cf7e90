"""The history list: every follow-up of the current associate, completed ones included,
newest first."""

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
from followups.models import FollowUp
from followups.paging import PAGE_SIZE
from tests.helpers import day, rows

pytestmark = pytest.mark.django_db

URL = reverse("followups:history")


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_shows_completed_followups_too_newest_first(login, salesperson):
    done_long_ago = FollowUpFactory(
        owner=salesperson,
        start_date=day(-30),
        completed=True,
        completed_at=timezone.now() - timedelta(days=29),
    )
    done_yesterday = FollowUpFactory(
        owner=salesperson,
        start_date=day(-2),
        completed=True,
        completed_at=timezone.now() - timedelta(days=1),
    )
    done_today = FollowUpFactory(
        owner=salesperson, start_date=day(-1), completed=True, completed_at=timezone.now()
    )
    late = FollowUpFactory(owner=salesperson, start_date=day(-1))
    ahead = FollowUpFactory(owner=salesperson, start_date=day(5))

    response = login(salesperson).get(URL)

    assert response.status_code == 200
    assert rows(response) == {
        ahead.pk: "",
        late.pk: "overdue",
        done_today.pk: "done",
        done_yesterday.pk: "done",
        done_long_ago.pk: "done",
    }
    assert list(rows(response)) == [
        ahead.pk,
        late.pk,
        done_today.pk,
        done_yesterday.pk,
        done_long_ago.pk,
    ]


def test_it_marks_only_open_late_followups_overdue(login, salesperson):
    late = FollowUpFactory(owner=salesperson, start_date=day(-3))
    FollowUpFactory(
        owner=salesperson,
        start_date=day(-3),
        completed=True,
        completed_at=timezone.now() - timedelta(days=2),
    )

    html = login(salesperson).get(URL).content.decode()

    assert html.count('class="badge overdue-badge">Overdue<') == 1
    assert html.index(f'id="followup-{late.pk}"') < html.index("Overdue</span>")


def test_it_shows_only_the_associates_own_followups(login, salesperson, manager, outsider):
    own = FollowUpFactory(owner=salesperson)
    FollowUpFactory(owner=manager)  # a colleague's
    FollowUpFactory(owner=manager, created_by=salesperson)
    FollowUpFactory(owner=outsider)

    assert list(rows(login(salesperson).get(URL))) == [own.pk]


def test_it_shows_the_history_of_whoever_is_logged_in(login, salesperson, group):
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])
    FollowUpFactory(owner=salesperson)
    theirs = FollowUpFactory(owner=colleague, completed=True, completed_at=timezone.now())

    assert list(rows(login(colleague).get(URL))) == [theirs.pk]


def test_it_pages(login, salesperson):
    followup_type = FollowUpTypeFactory()
    company = CompanyFactory()
    FollowUp.objects.bulk_create(
        FollowUpFactory.build_batch(
            PAGE_SIZE, owner=salesperson, type=followup_type, company=company, start_date=day(-1)
        )
    )
    oldest = FollowUpFactory(owner=salesperson, type=followup_type, start_date=day(-400))

    client = login(salesperson)

    first = client.get(URL)
    assert len(rows(first)) == PAGE_SIZE
    assert 'href="?page=2"' in first.content.decode() and "Previous" not in first.content.decode()
    second = client.get(URL, {"page": 2})
    assert list(rows(second)) == [oldest.pk]
    assert (
        'href="?page=1"' in second.content.decode()
        and 'href="?page=3"' not in second.content.decode()
    )
    # Nonsense page numbers give the first page, never an error.
    assert len(rows(client.get(URL, {"page": "x"}))) == PAGE_SIZE


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
            completed=True,
            completed_at=timezone.now() - timedelta(days=3),
        )
    )
    client = login(salesperson)

    # 1: the session
    # 2: the user
    # 3: the associate, with its user and primary group
    # 4: the associate's other user groups
    # 5, 6: the filter bar's types and priorities (also the rows' names)
    # 7, 8: the open and the completed ones' keys, newest first, each as far as the
    #    page goes (one more than a page: is there a next?), merged
    # 9: the page's follow-ups, with project, company and person
    # 10: their owners (with logins)
    # 11, 12: how many on every page: the open ones, the completed ones
    with django_assert_num_queries(12):
        response = client.get(URL)

    assert len(rows(response)) == min(n, PAGE_SIZE)

"""Marking a follow-up completed (recording the time) or open again (clearing it), from
any list: with HTMX the row comes back, without it the browser goes back to a safe page."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from demo.factories import AssociateFactory, FollowUpFactory
from followups.models import FollowUp
from tests.helpers import HTMX, element, elements, rows

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=30)


def url(followup) -> str:
    return reverse("followups:toggle_completed", args=[followup.pk])


@pytest.fixture
def followup(salesperson):
    """An overdue follow-up of salesperson's, unchanged for a month."""
    followup = FollowUpFactory(
        owner=salesperson,
        description="Call about the offer",
        start_date=timezone.localdate() - timedelta(days=1),
        created_at=LONG_AGO,
    )
    FollowUp.objects.filter(pk=followup.pk).update(updated_at=LONG_AGO)  # past auto_now
    followup.refresh_from_db()
    return followup


def test_it_requires_login(client, followup):
    response = client.post(url(followup))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    followup.refresh_from_db()
    assert not followup.completed


def test_it_accepts_post_only(login, salesperson, followup):
    assert login(salesperson).get(url(followup)).status_code == 405
    followup.refresh_from_db()
    assert not followup.completed


def test_it_completes_and_reopens(login, salesperson, followup):
    client = login(salesperson)
    before = timezone.now()

    client.post(url(followup))

    followup.refresh_from_db()
    assert followup.completed
    assert followup.completed_at >= before
    assert followup.updated_at >= before

    client.post(url(followup))

    followup.refresh_from_db()
    assert not followup.completed
    assert followup.completed_at is None
    assert followup.updated_at >= before


def test_it_returns_the_row_with_an_event_to_htmx(login, salesperson, followup):
    response = login(salesperson).post(
        url(followup), {"next": "/activities/?show=overdue"}, headers=HTMX
    )

    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {"followupChanged": {"id": followup.pk}}
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="followup-{followup.pk}" class="done">')
    assert not elements(html, "html")
    assert element(html, "button", id=f"tick-{followup.pk}")["aria-checked"] == "true"
    assert "Overdue" not in html  # completed: no longer marked
    assert not elements(html, "form")  # the table's one form around it stays as it was

    response = login(salesperson).post(url(followup), headers=HTMX)

    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="followup-{followup.pk}" class="overdue">')
    assert element(html, "button", id=f"tick-{followup.pk}")["aria-checked"] == "false"
    assert element(html, "span", class_="badge overdue-badge").text == "Overdue"


def test_it_keeps_the_owner_column_of_the_cards(login, salesperson, followup):
    without = login(salesperson).post(url(followup), headers=HTMX).content.decode()
    with_owner = (
        login(salesperson).post(url(followup), {"show_owner": "1"}, headers=HTMX).content.decode()
    )

    assert with_owner.count("<td") == without.count("<td") + 1
    assert f"<td>{salesperson.name}</td>" in with_owner


@pytest.mark.parametrize(
    "next_url",
    ["/activities/history/?page=2", "/crm/companies/7/"],
)
def test_it_redirects_to_a_safe_next_page_without_htmx(login, salesperson, followup, next_url):
    response = login(salesperson).post(url(followup), {"next": next_url})

    assert response.status_code == 302
    assert response.url == next_url
    followup.refresh_from_db()
    assert followup.completed


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/activities/", "http://testserver.evil/", ""],
)
def test_it_does_not_follow_an_external_next_url(login, salesperson, followup, next_url):
    response = login(salesperson).post(url(followup), {"next": next_url})

    assert response.status_code == 302
    assert response.url == reverse("followups:activity_list")
    followup.refresh_from_db()
    assert followup.completed


def test_it_checks_ownership(login, followup, outsider, reader, group):
    # Another group's salesperson may not even see it.
    response = login(outsider).post(url(followup), headers=HTMX)
    assert response.status_code == 404

    # Colleagues in the group see it, but only its owner or creator may change it.
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])
    for associate in (reader, colleague):
        response = login(associate).post(url(followup), headers=HTMX)
        assert response.status_code == 403
        assert "HX-Trigger" not in response.headers

    followup.refresh_from_db()
    assert not followup.completed
    assert followup.updated_at == LONG_AGO


def test_it_answers_404_for_a_missing_followup(login, salesperson):
    response = login(salesperson).post(reverse("followups:toggle_completed", args=[999999]))
    assert response.status_code == 404


def test_it_lets_the_creator_toggle_a_followup_given_to_another_group(login, salesperson, outsider):
    followup = FollowUpFactory(owner=outsider, created_by=salesperson)

    response = login(salesperson).post(url(followup), headers=HTMX)

    assert response.status_code == 200
    followup.refresh_from_db()
    assert followup.completed


def test_it_lets_a_sales_manager_toggle_anyones_followup(login, manager, outsider):
    followup = FollowUpFactory(owner=outsider)

    response = login(manager).post(url(followup), headers=HTMX)

    assert response.status_code == 200
    followup.refresh_from_db()
    assert followup.completed


def test_it_keeps_a_followup_completed_today_in_the_activity_list(login, salesperson, followup):
    client = login(salesperson)
    client.post(url(followup), headers=HTMX)

    response = client.get(reverse("followups:activity_list"))

    assert rows(response)[followup.pk] == "done"

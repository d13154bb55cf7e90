"""The cards' tabs come from the apps that register them (crm.cards): the Activities tab
from follow-ups; another app's tab is shown beside it, and only the selected tab is
rendered."""

import pytest
from django.urls import reverse
from django.utils.html import format_html
from pytest_django.asserts import assertInHTML

from crm import cards
from demo.factories import CompanyFactory, FollowUpFactory, PersonFactory
from tests.helpers import element, elements, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def notes_tab(monkeypatch):
    """A second tab, after Activities, for this test only; it records what it rendered."""
    monkeypatch.setattr(cards, "_tabs", dict(cards._tabs))
    rendered = []

    def render(request, card):
        rendered.append(card)
        return format_html('<p class="notes">Notes on {}</p>', card.name)

    cards.register(key="notes", label="Notes", order=20, render=render)
    return rendered


def test_the_activities_tab_is_registered_by_followups():
    assert [tab.key for tab in cards.registered()] == ["activities"]


@pytest.mark.parametrize("kind", ["company", "person"])
def test_it_shows_every_tab_and_renders_the_first_by_default(login, salesperson, notes_tab, kind):
    card = PersonFactory() if kind == "person" else CompanyFactory()
    followup = FollowUpFactory(owner=salesperson, **{kind: card})

    response = login(salesperson).get(reverse(f"crm:{kind}", args=[card.pk]))

    html = response.content.decode()
    assert element(html, "a", role="tab", id="tab-activities", aria_selected="true", href="")
    notes = element(html, "a", role="tab", id="tab-notes", aria_selected="false", href="?tab=notes")
    assert notes.text == "Notes"
    assert element(html, role="tabpanel")["aria-labelledby"] == "tab-activities"
    assert list(rows(response)) == [followup.pk]
    assert notes_tab == []


@pytest.mark.parametrize("kind", ["company", "person"])
def test_it_renders_the_tab_asked_for(login, salesperson, notes_tab, kind):
    card = PersonFactory() if kind == "person" else CompanyFactory()
    FollowUpFactory(owner=salesperson, **{kind: card})

    response = login(salesperson).get(reverse(f"crm:{kind}", args=[card.pk]), {"tab": "notes"})

    html = response.content.decode()
    assert response.status_code == 200
    assertInHTML(f'<p class="notes">Notes on {card.name}</p>', html)
    assert element(html, role="tabpanel")["aria-labelledby"] == "tab-notes"
    activities = element(html, "a", role="tab", id="tab-activities")
    assert (activities["aria-selected"], activities["href"]) == ("false", "?tab=activities")
    assert rows(response) == {}
    assert notes_tab == [card]


def test_an_unknown_tab_shows_the_first(login, salesperson, notes_tab):
    company = CompanyFactory()

    response = login(salesperson).get(reverse("crm:company", args=[company.pk]), {"tab": "x<"})

    assert response.status_code == 200
    assert element(response, role="tabpanel")["aria-labelledby"] == "tab-activities"
    assert notes_tab == []


def test_a_card_without_tabs_shows_none(login, salesperson, monkeypatch):
    monkeypatch.setattr(cards, "_tabs", {})
    company = CompanyFactory()

    html = login(salesperson).get(reverse("crm:company", args=[company.pk])).content.decode()

    assert not elements(html, role="tablist")
    assert not elements(html, role="tabpanel")

"""The Project combobox's suggestions (followups.views.project_options)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from crm.models import Project
from demo.factories import ProjectFactory
from tests.helpers import HTMX, element, elements, text

pytestmark = pytest.mark.django_db

URL = reverse("followups:project_options")


def options(response) -> list[str]:
    """The project names offered, in order."""
    found = elements(response, "li", role="option", id=re.compile(r"project-option-\d+"))
    return [option["data-label"] for option in found]


@pytest.fixture
def projects(db):
    return {
        "spring": ProjectFactory(name="Vårkampanje 2026"),
        "fair": ProjectFactory(name="Messe Lillestrøm"),
        "fair2": ProjectFactory(name="Messe Lillestrøm høst"),
        "office": ProjectFactory(name="Nytt kontor"),
        "old": ProjectFactory(name="Messe gammel", active=False),
    }


def test_it_serves_any_associate(login, reader, projects):
    """Project names are no secret, and the follow-up page's combobox asks too, so the
    task right is not needed here."""
    response = login(reader).get(URL, {"q": "Nytt"}, headers=HTMX)

    assert response.status_code == 200
    assert options(response) == ["Nytt kontor"]


def test_it_answers_the_options_only(login, salesperson, projects):
    response = login(salesperson).get(URL, {"q": "Messe"}, headers=HTMX)

    html = response.content.decode().strip()
    assert html.startswith('<li role="option"')
    assert not elements(html, "html")
    fair = element(html, "li", role="option", data_value=projects["fair"].pk)
    assert fair["data-label"] == projects["fair"].name


@pytest.mark.parametrize("q", ["messe", "MESSE L", "  Messe  "])
def test_it_suggests_active_projects_by_the_start_case_insensitive(login, salesperson, projects, q):
    response = login(salesperson).get(URL, {"q": q}, headers=HTMX)

    assert options(response) == ["Messe Lillestrøm", "Messe Lillestrøm høst"]


def test_a_leading_percent_means_contains(login, salesperson, projects):
    client = login(salesperson)

    assert options(client.get(URL, {"q": "%høst"})) == ["Messe Lillestrøm høst"]
    assert options(client.get(URL, {"q": "%KONTOR"})) == ["Nytt kontor"]
    assert options(client.get(URL, {"q": "kontor"})) == []


def test_it_reads_the_comboboxs_own_field(login, salesperson, projects):
    response = login(salesperson).get(URL, {"project_text": "vår"}, headers=HTMX)

    assert options(response) == ["Vårkampanje 2026"]


def test_it_never_suggests_an_inactive_project(login, salesperson, projects):
    client = login(salesperson)

    assert "Messe gammel" not in options(client.get(URL, {"q": "Messe"}))
    assert options(client.get(URL, {"q": "%gammel"})) == []


def test_it_lists_every_active_project_for_an_empty_text(login, salesperson, projects):
    response = login(salesperson).get(URL, headers=HTMX)

    assert options(response) == [
        "Messe Lillestrøm",
        "Messe Lillestrøm høst",
        "Nytt kontor",
        "Vårkampanje 2026",
    ]


def test_it_says_when_nothing_matches(login, salesperson, projects):
    response = login(salesperson).get(URL, {"q": "Sommer"}, headers=HTMX)

    assert options(response) == []
    assert text(response) == "No active project matches “Sommer”."
    assert element(response, "li", role="option", aria_disabled="true", class_="empty")


def test_it_says_when_there_are_no_projects(login, salesperson):
    Project.objects.update(active=False)

    response = login(salesperson).get(URL, headers=HTMX)

    assert text(response) == "No active projects."


def test_it_shows_twenty_and_offers_the_next_ones(login, salesperson):
    for i in range(21):
        ProjectFactory(name=f"Kampanje {i:02}")

    response = login(salesperson).get(URL, {"q": "kamp"}, headers=HTMX)

    assert options(response) == [f"Kampanje {i:02}" for i in range(20)]
    assert "More projects match: show more, or keep typing." in text(response)
    assert element(response, "li", role="option", class_="more", hx_get=f"{URL}?q=kamp&offset=20")


def test_it_escapes_what_was_typed(login, salesperson):
    response = login(salesperson).get(URL, {"q": "<script>"}, headers=HTMX)

    assert "<script>" not in response.content.decode()
    assert not elements(response, "script")
    assert "No active project matches “<script>”." in text(response)


def test_it_accepts_only_get(login, salesperson):
    assert login(salesperson).post(URL).status_code == 405

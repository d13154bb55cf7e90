"""Type-ahead search for companies and persons to add to a selection."""

import pytest

from demo.factories import AssociateFactory, CompanyFactory, PersonFactory, SelectionFactory
from selections import views
from selections.models import Visibility
from tests.helpers import HTMX, element, elements

pytestmark = pytest.mark.django_db


def url(selection, q: str) -> str:
    return f"/selections/{selection.pk}/members/search/?q={q}"


def found(response, kind: str) -> list[int]:
    """The ids offered with an Add button, "company" or "person", in order."""
    return [int(button["value"]) for button in elements(response, name=kind, value=True)]


@pytest.fixture
def selection(salesperson):
    return SelectionFactory(owner=salesperson, name="Kunder Oslo")


@pytest.fixture
def directory(db):
    fjord = CompanyFactory(name="Fjordlys Energi AS", city="Bergen")
    return {
        "fjord": fjord,
        "fjell": CompanyFactory(name="Fjellheim AS", city="Oslo"),
        "dovre": CompanyFactory(name="Dovre Data AS"),
        "ola": PersonFactory(first_name="Ola", last_name="Fjeld", company=fjord),
        "kari": PersonFactory(first_name="Kari", last_name="Hansen", company=None),
    }


def test_it_answers_htmx_with_the_results_fragment_only(login, salesperson, selection, directory):
    response = login(salesperson).get(url(selection, "fj"), headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert not elements(html, "html")
    assert not elements(html, "h1")
    assert element(html, "ul", class_="search-results")
    assert directory["fjord"].pk in found(response, "company")
    assert found(response, "person") == [directory["ola"].pk]


def test_it_answers_without_htmx_with_the_whole_page(login, salesperson, selection, directory):
    response = login(salesperson).get(url(selection, "fj"))

    assert response.status_code == 200
    html = response.content.decode()
    assert elements(html, "html")
    assert element(html, "h1").text == "Kunder Oslo"
    assert element(html, "div", id="members")
    # The results under the search field, which keeps what was typed.
    search = element(html, "form", action=f"/selections/{selection.pk}/members/search/")
    assert element(search.html, "input", name="q")["value"] == "fj"
    assert directory["fjord"].pk in found(response, "company")


def test_it_finds_names_by_their_start_case_insensitively(login, salesperson, selection, directory):
    response = login(salesperson).get(url(selection, "FJ"), headers=HTMX)

    assert found(response, "company") == [directory["fjell"].pk, directory["fjord"].pk]
    # A person by first or last name; a person's company is shown with the name.
    assert found(response, "person") == [directory["ola"].pk]
    assert "Ola Fjeld (Fjordlys Energi AS)" in response.content.decode()

    response = login(salesperson).get(url(selection, "kari"), headers=HTMX)
    assert found(response, "company") == []
    assert found(response, "person") == [directory["kari"].pk]

    # The start of a name, not the middle of one.
    response = login(salesperson).get(url(selection, "energi"), headers=HTMX)
    assert "Nothing starts with “energi”." in response.content.decode()


def test_it_shows_at_most_ten_of_each(login, salesperson, selection):
    for i in range(views.SEARCH_LIMIT + 2):
        CompanyFactory(name=f"Aker {i:02}")
    response = login(salesperson).get(url(selection, "aker"), headers=HTMX)
    companies = found(response, "company")
    assert len(companies) == views.SEARCH_LIMIT
    assert "Aker 00" in response.content.decode()
    assert "Aker 11" not in response.content.decode()


def test_it_shows_nothing_for_an_empty_or_too_long_query(login, salesperson, selection, directory):
    client = login(salesperson)
    for q in ["", "%20%20", "f" * 101]:
        response = client.get(url(selection, q), headers=HTMX)
        assert response.status_code == 200
        assert response.content.decode().strip() == ""


def test_it_checks_ownership(login, salesperson, group, outsider):
    visible = SelectionFactory(owner=salesperson, visibility=Visibility.GROUP)
    hidden = SelectionFactory(owner=salesperson, visibility=Visibility.OWNER)
    colleague = AssociateFactory(primary_group=group, roles=["Salesperson"])

    # A colleague may see the group selection but not change it; the private one is
    # not there at all. Neither is anything in another group's view.
    assert login(colleague).get(url(visible, "a"), headers=HTMX).status_code == 403
    assert login(colleague).get(url(hidden, "a"), headers=HTMX).status_code == 404
    assert login(outsider).get(url(visible, "a"), headers=HTMX).status_code == 404
    assert login(salesperson).get(url(hidden, "a"), headers=HTMX).status_code == 200


def test_it_requires_login(client, selection):
    response = client.get(url(selection, "fj"))
    assert response.status_code == 302
    assert response.url.startswith("/login/?next=")

"""Who may use the app pages: logged-in users with an active associate only."""

import pytest

from demo.factories import AssociateFactory, SelectionFactory
from tests.helpers import HTMX, element, elements

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(db):
    selection = SelectionFactory()
    return ["/selections/", f"/selections/{selection.pk}/"]


def test_it_refuses_an_inactive_associate(client, pages):
    client.force_login(AssociateFactory(active=False).user)
    for page in pages:
        assert client.get(page).status_code == 403


def test_it_sends_anonymous_users_to_the_login_page(client, pages):
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302
        assert response.url == f"/login/?next={page}"


def test_it_treats_a_deactivated_login_as_anonymous(client, pages):
    associate = AssociateFactory()
    client.force_login(associate.user)
    associate.user.is_active = False
    associate.user.save()
    response = client.get(pages[0])
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_it_answers_a_request_from_a_page_after_the_session_ended_with_401(client, db):
    """An htmx request (the dialog's preview, its Save) from a page shown before a logout
    elsewhere: the page stays, a message says what happened and links to the login,
    which then comes back to that page."""
    page = "http://testserver/selections/7/?page=2"
    response = client.post(
        "/selections/7/followups/",
        {"description": "typed"},
        headers={**HTMX, "HX-Current-URL": page},
    )

    assert response.status_code == 401
    html = response.content.decode()
    assert "Your session has ended." in html
    assert element(html, "a", href="/login/?next=%2Fselections%2F7%2F%3Fpage%3D2")
    assert not elements(html, "html")  # a message for the page, not the login page inside it


def test_it_sends_a_plain_post_after_the_session_ended_back_to_its_page(client, db):
    response = client.post(
        "/selections/7/followups/", {}, headers={"Referer": "http://testserver/selections/7/"}
    )

    assert response.status_code == 302
    assert response.url == "/login/?next=/selections/7/"


def test_it_never_sends_a_login_back_to_another_site(client, db):
    response = client.post(
        "/selections/7/followups/",
        {},
        headers={**HTMX, "HX-Current-URL": "https://evil.example/selections/7/"},
    )

    assert response.status_code == 401
    assert element(response, "a", href="/login/?next=%2Fselections%2F")

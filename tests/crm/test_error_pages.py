"""The error pages are pages of the app: 403 with the server's reason, 404, and the
standalone 400 and 500 pages that need neither the database nor the user."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.test import RequestFactory
from django.urls import path
from django.views import defaults

from config.urls import urlpatterns as app_urlpatterns
from demo.factories import UserFactory
from tests.helpers import elements

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def refuse(request):
    raise PermissionDenied("Only sales managers may undo this generation.")


def refuse_silently(request):
    raise PermissionDenied


def missing(request):
    raise Http404("No Selection matches the given query.")


def fail(request):
    raise RuntimeError("the database went away")


def suspicious(request):
    raise SuspiciousOperation("a forged header")


urlpatterns = [
    path("test-errors/403/", refuse),
    path("test-errors/403-silent/", refuse_silently),
    path("test-errors/404/", missing),
    path("test-errors/500/", fail),
    path("test-errors/400/", suspicious),
    *app_urlpatterns,
]


def app_layout(html: str) -> bool:
    return bool(
        elements(html, class_="topbar")
        and elements(html, "link", rel="stylesheet", href=re.compile(r".*/static/css/app\.css.*"))
        and elements(html, id="main")
    )


def back_to_start(html: str) -> bool:
    return bool(elements(html, "a", href="/", text="Back to the start page"))


# 403 ------------------------------------------------------------------------------------


def test_it_shows_the_reason_of_a_403(client):
    response = client.get("/test-errors/403/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only sales managers may undo this generation." in html
    assert app_layout(html)
    assert back_to_start(html)


def test_it_shows_a_403_to_a_logged_in_associate_with_the_top_bar(login, salesperson):
    html = login(salesperson).get("/test-errors/403/").content.decode()
    assert "Only sales managers may undo this generation." in html
    assert "Log out" in html  # the whole top bar


def test_it_says_something_when_a_403_has_no_reason(client):
    html = client.get("/test-errors/403-silent/").content.decode()
    assert "You do not have the right to do this." in html


def test_it_shows_the_reason_the_app_gives(client):
    """A login without an associate (an administrator-only account) on an app page."""
    client.force_login(UserFactory(username="admin-only"))
    response = client.get("/activities/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Your login is not linked to an associate." in html
    assert app_layout(html)


def test_it_shows_the_403_in_norwegian(client):
    client.cookies["django_language"] = "nb"
    html = client.get("/test-errors/403/").content.decode()
    assert "Ikke tillatt" in html
    assert "Tilbake til startsiden" in html


# 404 ------------------------------------------------------------------------------------


def test_it_shows_a_404_page_of_the_app(login, salesperson):
    response = login(salesperson).get("/crm/companies/987654/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert app_layout(html)
    assert "Log out" in html
    assert back_to_start(html)


def test_it_does_not_show_the_model_behind_a_404(client):
    html = client.get("/test-errors/404/").content.decode()
    assert "Page not found" in html
    assert "No Selection matches" not in html


# 500 and 400 ----------------------------------------------------------------------------


def test_it_shows_a_500_page(client):
    client.raise_request_exception = False
    response = client.get("/test-errors/500/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert elements(html, class_="topbar")
    assert back_to_start(html)
    assert "the database went away" not in html


def test_the_500_page_needs_neither_the_database_nor_the_user(django_assert_num_queries):
    request = RequestFactory().get("/")  # no session, no user
    with django_assert_num_queries(0):
        response = defaults.server_error(request)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_the_500_page_needs_no_static_files(client):
    """The page has its few styles inline: nothing it links to can fail in turn."""
    client.raise_request_exception = False
    html = client.get("/test-errors/500/").content.decode()
    assert elements(html, "style")
    assert "/static/" not in html


def test_it_shows_a_400_page(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/test-errors/400/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Bad request" in html
    assert elements(html, class_="topbar")
    assert "a forged header" not in html

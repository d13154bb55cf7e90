"""HTTP hardening: forms in another charset are refused (crm.middleware), logged-in pages
are not cached (crm.middleware), the language cookie's attributes (settings)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from demo.factories import DEMO_PASSWORD, CompanyFactory
from tests.helpers import HTMX

ROOT = Path(__file__).resolve().parents[2]
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=BOUNDARY"


def encoded(data: dict, content_type: str, charset: str) -> bytes:
    """The form's body as a client that means `charset` would send it."""
    encoding = charset if charset in {"utf-16", "latin-1"} else "utf-8"
    if content_type == FORM:
        return urlencode(data).encode(encoding)
    parts = [
        f'--BOUNDARY\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in data.items()
    ]
    return ("".join(parts) + "--BOUNDARY--\r\n").encode(encoding)


def post_raw(client: Client, path: str, body: bytes, content_type: str, **headers):
    return client.generic("POST", path, body, content_type=content_type, **headers)


def tracebacks(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


# Forms in another charset ---------------------------------------------------------------

ODD_CHARSETS = ["latin-1", "utf-16", "nonsense", "ISO-8859-1", "utf-8-sig", ""]


@pytest.mark.parametrize("content_type", [FORM, MULTIPART])
@pytest.mark.parametrize("charset", ODD_CHARSETS)
def test_it_refuses_a_login_in_another_charset(db, manager, caplog, content_type, charset):
    body = encoded({"username": "anna", "password": DEMO_PASSWORD}, content_type, charset)

    response = post_raw(Client(), "/login/", body, f"{content_type}; charset={charset}")

    assert response.status_code == 415
    assert response.content == b"Form data must be sent as UTF-8.\n"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert not tracebacks(caplog)
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Unsupported Media Type: /login/"


@pytest.mark.parametrize("content_type", [FORM, MULTIPART])
@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "nonsense"])
def test_it_refuses_a_preview_in_another_charset(
    login, salesperson, selection, members, dialog_data, caplog, content_type, charset
):
    client = login(salesperson)
    path = reverse("followups:generate_preview", args=[selection.pk])
    body = encoded(dialog_data(description="Ærlig talt"), content_type, charset)

    response = post_raw(client, path, body, f"{content_type}; charset={charset}", headers=HTMX)

    assert response.status_code == 415
    assert not tracebacks(caplog)


def test_it_refuses_before_the_csrf_check_and_with_debug_on(db, settings, caplog):
    # With DEBUG on, Django's error page read the body again and answered 500.
    settings.DEBUG = True
    client = Client(enforce_csrf_checks=True)
    body = "username=anna&password=x".encode("utf-16")

    response = post_raw(client, "/login/", body, f"{FORM}; charset=utf-16")

    assert response.status_code == 415
    assert not tracebacks(caplog)


@pytest.mark.parametrize("charset", [None, "utf-8", "UTF8", "utf_8", "us-ascii", '"utf-8"'])
def test_it_reads_a_login_in_utf8_or_ascii(db, manager, charset):
    client = Client()
    content_type = FORM if charset is None else f"{FORM}; charset={charset}"
    body = urlencode({"username": "anna", "password": DEMO_PASSWORD}).encode()

    response = post_raw(client, "/login/", body, content_type)

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize("content_type", [FORM, MULTIPART])
def test_it_reads_a_preview_in_utf8(
    login, salesperson, selection, members, dialog_data, content_type
):
    client = login(salesperson)
    path = reverse("followups:generate_preview", args=[selection.pk])
    body = encoded(dialog_data(description="Ærlig talt"), content_type, "utf-8")

    response = post_raw(client, path, body, f"{content_type}; charset=utf-8", headers=HTMX)

    assert response.status_code == 200
    assert "10" in response.content.decode()


def test_it_leaves_other_bodies_alone(login, salesperson):
    # Not a form: no view here reads it, and Django parses no POST from it.
    response = post_raw(login(salesperson), "/login/", b"{}", "application/json; charset=latin-1")

    assert response.status_code != 415


# No cache for logged-in users ----------------------------------------------------------


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


@pytest.mark.parametrize(
    "path", ["selections:list", "followups:activity_list", "followups:history"]
)
def test_it_sends_no_store_to_a_logged_in_user(login, salesperson, path):
    client = login(salesperson)

    page = client.get(reverse(path))
    fragment = client.get(reverse(path), headers=HTMX)

    for response in (page, fragment):
        assert response.status_code == 200
        assert {"no-store", "private"} <= cache_control(response)


def test_it_sends_no_store_with_a_card_an_error_and_a_redirect(login, salesperson):
    client = login(salesperson)
    company = CompanyFactory()

    card = client.get(reverse("crm:company", args=[company.pk]))
    missing = client.get(reverse("crm:company", args=[company.pk + 1000]))
    redirect = client.get("/")

    assert [card.status_code, missing.status_code, redirect.status_code] == [200, 404, 302]
    for response in (card, missing, redirect):
        assert "no-store" in cache_control(response)


def test_it_leaves_an_anonymous_redirect_alone(db):
    response = Client().get(reverse("selections:list"))

    assert response.status_code == 302
    assert "no-store" not in cache_control(response)


# The language cookie ------------------------------------------------------------------


def settings_with(**env) -> dict:
    """The language cookie settings config/settings.py derives from this environment."""
    code = (
        "import json; from django.conf import settings as s;"
        "print(json.dumps([s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_HTTPONLY,"
        " s.LANGUAGE_COOKIE_SAMESITE]))"
    )
    environ = {k: v for k, v in os.environ.items() if k != "BEHIND_TLS_PROXY"}
    environ |= {"DJANGO_SETTINGS_MODULE": "config.settings", **env}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return dict(zip(["secure", "httponly", "samesite"], json.loads(out.stdout), strict=True))


def test_it_makes_the_language_cookie_secure_behind_tls():
    assert settings_with(BEHIND_TLS_PROXY="true") == {
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
    }
    assert settings_with() == {"secure": False, "httponly": True, "samesite": "Lax"}


def test_it_sets_the_language_cookie_secure_and_httponly_on_a_switch(login, salesperson, settings):
    settings.LANGUAGE_COOKIE_SECURE = True  # as behind the TLS proxy
    client = login(salesperson)

    response = client.post(reverse("set_language"), {"language": "nb", "next": "/activities/"})

    assert response.status_code == 302
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "nb"
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_it_sets_the_same_cookie_at_login(manager, settings):
    settings.LANGUAGE_COOKIE_SECURE = True
    manager.language = "nb"
    manager.save(update_fields=["language"])

    response = Client().post(reverse("login"), {"username": "anna", "password": DEMO_PASSWORD})

    assert response.status_code == 302
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "nb"
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"


def test_it_needs_no_script_to_read_the_language_cookie(settings):
    scripts = [p.read_text() for p in (ROOT / "static" / "js").rglob("*.js")]

    assert scripts
    # Scripts read the CSRF token's cookie, never the language's (it is HttpOnly).
    assert not [s for s in scripts if settings.LANGUAGE_COOKIE_NAME in s]

"""A refused request (4xx) is logged as one line; a server error (5xx) with its
traceback (crm.logging, LOGGING in config/settings.py)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from crm.logging import REQUEST_LOGGERS
from demo.factories import CompanyFactory
from tests.helpers import HTMX


def records(caplog, name_start: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(name_start)]


def formatted(record: logging.LogRecord) -> str:
    return logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_it_logs_a_403_as_one_line(login, reader, selection, caplog, headers):
    client = login(reader)  # a role without the right to run tasks

    response = client.get(
        reverse("followups:generate_dialog", args=[selection.pk]), headers=headers
    )

    assert response.status_code == 403
    (record,) = records(caplog, "django.request")
    assert record.levelno == logging.WARNING
    assert record.status_code == 403
    assert record.exc_info is None
    assert formatted(record) == (
        f"WARNING django.request Forbidden (Permission denied): /selections/{selection.pk}"
        "/followups/new/"
    )


def test_it_logs_a_bad_host_as_one_line(db, caplog):
    response = Client().get(reverse("login"), HTTP_HOST="crm.evil.example")

    assert response.status_code == 400
    (record,) = records(caplog, "django.security")
    assert record.name == "django.security.DisallowedHost"
    assert record.status_code == 400
    assert record.exc_info is None
    assert "\n" not in formatted(record)


def test_it_logs_too_many_fields_as_one_line(login, salesperson, selection, settings, caplog):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = login(salesperson)
    data = {f"field{i}": "x" for i in range(20)}

    response = client.post(reverse("followups:generate_preview", args=[selection.pk]), data)

    assert response.status_code == 400
    (record,) = records(caplog, "django.security")
    assert record.name == "django.security.TooManyFieldsSent"
    assert record.exc_info is None


def test_it_keeps_the_traceback_of_a_500(login, salesperson, caplog, monkeypatch):
    company = CompanyFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("the template engine broke")

    monkeypatch.setattr("crm.views.render", broken)
    client = login(salesperson)
    client.raise_request_exception = False

    response = client.get(reverse("crm:company", args=[company.pk]))

    assert response.status_code == 500
    (record,) = records(caplog, "django.request")
    assert record.levelno == logging.ERROR
    assert record.status_code == 500
    assert record.exc_info[0] is RuntimeError
    assert "Traceback (most recent call last)" in formatted(record)


def test_it_filters_every_logger_django_logs_refused_requests_to():
    for name in REQUEST_LOGGERS:
        filters = logging.getLogger(name).filters
        assert [type(f).__name__ for f in filters] == ["NoTracebackFor4xx"], name

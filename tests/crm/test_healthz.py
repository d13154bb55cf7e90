"""/healthz: both databases answer (200) or not (503); no login."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

pytestmark = pytest.mark.django_db(databases="__all__")


def test_it_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_it_answers_503_when_a_database_fails(client, monkeypatch):
    from django.db import connections

    def broken(*args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(connections["default"], "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert b"default" in response.content

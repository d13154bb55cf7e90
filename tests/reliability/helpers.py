"""Helpers shared by the reliability tests (fixtures are in conftest.py)."""

from __future__ import annotations

from django.db import connection

from followups.models import FollowUp, Generation

ON_POSTGRESQL = connection.vendor == "postgresql"
POSTGRESQL_ONLY = "needs PostgreSQL (set DATABASE_URL=postgres://…)"

SAVE_FAILED = "The follow-ups could not be saved, and nothing was saved. Please try again"
SAVE_UNREACHABLE = "The database cannot be reached just now, so the follow-ups could not be saved."


def nothing_saved() -> bool:
    return not FollowUp.objects.exists() and not Generation.objects.exists()


def counts() -> tuple[int, int]:
    return FollowUp.objects.count(), Generation.objects.count()

"""Helpers shared by the reliability tests (fixtures are in conftest.py)."""

from __future__ import annotations

import re

from django.db import connection

from followups.models import FollowUp, Generation
from tests.helpers import text

ON_POSTGRESQL = connection.vendor == "postgresql"
POSTGRESQL_ONLY = "needs PostgreSQL (set DATABASE_URL=postgres://…)"

SAVE_FAILED = "The follow-ups could not be saved, and nothing was saved. Please try again"
SAVE_UNREACHABLE = "The database cannot be reached just now, so the follow-ups could not be saved."


def form_errors(response) -> str:
    """The errors on top of the dialog's form ("" if there are none)."""
    html = response.content.decode()
    found = re.search(r'<div class="form-errors"[^>]*>(.*?)</div>', html, re.S)
    return text(found.group(1)) if found else ""


def nothing_saved() -> bool:
    return not FollowUp.objects.exists() and not Generation.objects.exists()


def counts() -> tuple[int, int]:
    return FollowUp.objects.count(), Generation.objects.count()

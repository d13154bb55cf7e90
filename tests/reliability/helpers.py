"""Helpers shared by the reliability tests (fixtures are in conftest.py)."""

from __future__ import annotations

import re
from html import unescape

from django.db import connection

from crm.models import Company
from followups.models import FollowUp, Generation
from selections.models import SelectionMember

HTMX = {"HX-Request": "true"}
ON_POSTGRESQL = connection.vendor == "postgresql"
POSTGRESQL_ONLY = "needs PostgreSQL (set DATABASE_URL=postgres://…)"

SAVE_FAILED = "The follow-ups could not be saved, and nothing was saved. Please try again"
SAVE_UNREACHABLE = "The database cannot be reached just now, so the follow-ups could not be saved."


def text(html: str) -> str:
    """The HTML as a user reads it: tags removed, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def form_errors(response) -> str:
    """The errors on top of the dialog's form ("" if there are none)."""
    html = response.content.decode()
    found = re.search(r'<div class="form-errors"[^>]*>(.*?)</div>', html, re.S)
    return text(found.group(1)) if found else ""


def nothing_saved() -> bool:
    return not FollowUp.objects.exists() and not Generation.objects.exists()


def counts() -> tuple[int, int]:
    return FollowUp.objects.count(), Generation.objects.count()


def bulk_members(selection, n: int, *, our_contact=None, prefix: str = "Bulk") -> int:
    """Add n company-only members to the selection (n new companies) in one or two
    statements; on PostgreSQL one INSERT … SELECT from generate_series, so 20,000 take
    a fraction of a second."""
    if ON_POSTGRESQL:
        company = connection.ops.quote_name(Company._meta.db_table)
        member = connection.ops.quote_name(SelectionMember._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH c AS (INSERT INTO {company} (name, city, category, active, our_contact_id)"
                "  SELECT %s || ' ' || LPAD(g::text, 6, '0'), '', '', TRUE, %s"
                "  FROM generate_series(1, %s) g RETURNING id)"
                f" INSERT INTO {member} (selection_id, company_id, person_id, added_at)"
                " SELECT %s, c.id, NULL, NOW() FROM c ORDER BY c.id",
                [prefix, our_contact.pk if our_contact else None, n, selection.pk],
            )
            return cursor.rowcount
    companies = Company.objects.bulk_create(
        Company(name=f"{prefix} {i:06}", our_contact=our_contact) for i in range(1, n + 1)
    )
    SelectionMember.objects.bulk_create(
        SelectionMember(selection=selection, company=company) for company in companies
    )
    return n

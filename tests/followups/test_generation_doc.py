"""docs/generation.md shows the statement a generation runs, as followups/rows.py
assembles it. These tests build the same statements for the page's case (a static
selection, every member, owner "our contact", one per company off) and check that the
clauses the page explains are still in them, and still on the page: when rows.py
changes shape, they fail until the page says what it does now."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.db import connection

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    PersonFactory,
    SelectionMemberFactory,
)
from followups import rows
from followups.models import Generation, OwnerMode

DOC = Path(__file__).resolve().parents[2] / "docs" / "generation.md"


def squeezed(sql: str) -> str:
    """The text without whitespace: the page's SQL is reformatted (sqlparse), the
    code's is one line."""
    return re.sub(r"\s+", "", sql)


# The clauses the page explains, in the order they appear in the INSERT.
INSERT_HEAD = (
    'INSERT INTO "followups_followup" (type_id, start_date, start_at, duration, description,'
    " project_id, priority_id, completed, completed_at, created_by_id, created_at, updated_at,"
    " generation_id, owner_id, company_id, person_id)"
    " SELECT %s, %s, %s, {duration}, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " r.owner_id, r.company_id, r.person_id"
)


def insert_head() -> str:
    """The head of the INSERT as the page shows it on this database: the duration is cast
    to an interval on PostgreSQL."""
    typed = "CAST(%s AS INTERVAL)" if connection.vendor == "postgresql" else "%s"
    return INSERT_HEAD.format(duration=typed)


# The owner, then why it fell back: no our contact (1) before one who may not receive
# follow-ups (2), else none (0).
OWNER_RULE = (
    "COALESCE(a.id, %s) AS owner_id,"
    " CASE WHEN COALESCE(c.our_contact_id, p.our_contact_id) IS NULL THEN 1"
    " WHEN a.id IS NULL THEN 2 ELSE 0 END AS fallback"
)
SOURCE = (
    "SELECT m.company_id, m.person_id, m.id AS ord1, 0 AS ord2"
    ' FROM "selections_selectionmember" m WHERE m.selection_id = %s'
)
ONE_PER_COMPANY_OFF = "SELECT src.company_id, src.person_id FROM ("
JOINS = (
    'LEFT JOIN "crm_company" c ON c.id = mm.company_id'
    ' LEFT JOIN "crm_person" p ON mm.company_id IS NULL AND p.id = mm.person_id'
)
CONTACT_JOIN = ") a ON a.id = COALESCE(c.our_contact_id, p.our_contact_id)"
INSERT_TAIL = ") r ORDER BY r.company_id"
INSERT_CLAUSES = (OWNER_RULE, ONE_PER_COMPANY_OFF, SOURCE, JOINS, CONTACT_JOIN)

PREVIEW_HEAD = "SELECT k.owner_id, k.fallback, SUM(k.n), COUNT(*) FROM ("
PREVIEW_CLAUSES = (
    PREVIEW_HEAD,
    "CASE WHEN g.contact_id IS NULL THEN 1 WHEN a.id IS NULL THEN 2 ELSE 0 END AS fallback",
    "SELECT src.company_id, COUNT(*) AS n FROM (",
    "WHERE src.company_id IS NOT NULL GROUP BY src.company_id",
    "UNION ALL SELECT p.our_contact_id, 1 FROM (",
    ") a ON a.id = g.contact_id) k GROUP BY k.owner_id, k.fallback",
)

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
START = date(2026, 12, 7)
DESCRIPTION = "Call about the spring campaign"


@pytest.fixture
def case(selection, manager, call_type):
    """The page's case: the statements for a static selection, our contact, every member."""
    state = rows.selection_state(selection)
    assert not state.is_dynamic
    scope = rows.Scope(owner_mode=OwnerMode.OUR_CONTACT)
    settings = rows.Settings(type=call_type, start_date=START, description=DESCRIPTION)
    generation = Generation(pk=42)
    planned = rows.plan_rows(selection=selection, state=state, creator=manager, scope=scope)
    insert, insert_params, _ = rows.insert_sql(
        planned, settings, creator=manager, generation=generation, now=NOW
    )
    preview, preview_params = rows.preview_sql(
        selection=selection, state=state, creator=manager, scope=scope
    )
    return {
        "selection": selection,
        "creator": manager,
        "type": call_type,
        "rows": planned,
        "insert": insert,
        "insert_params": insert_params,
        "preview": preview,
        "preview_params": preview_params,
    }


def test_it_builds_the_insert_the_page_shows(case):
    sql = squeezed(case["insert"])

    assert sql.startswith(squeezed(insert_head() + " FROM ("))
    assert sql.endswith(squeezed(INSERT_TAIL))
    assert not [c for c in INSERT_CLAUSES if squeezed(c) not in sql]
    positions = [sql.find(squeezed(clause)) for clause in (insert_head(), *INSERT_CLAUSES)]
    assert positions == sorted(positions)
    assert "ROW_NUMBER()" not in sql  # one per company is off
    assert rows.INSERT_COLUMNS in case["insert"]


def test_it_passes_the_parameters_in_the_pages_order(case):
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(NOW)

    assert case["insert_params"] == [
        case["type"].pk,
        ops.adapt_datefield_value(START),
        None,  # start_at: no time
        None,  # duration
        DESCRIPTION,
        None,  # project
        None,  # priority
        False,  # completed
        None,  # completed_at
        case["creator"].pk,
        stamp,  # created_at
        stamp,  # updated_at
        42,  # the generation
        case["creator"].pk,  # the fallback owner
        case["selection"].pk,
    ]
    assert case["preview_params"] == [
        case["creator"].pk,
        case["selection"].pk,
        case["selection"].pk,
    ]


def test_it_builds_the_preview_count_the_page_shows(case):
    sql = squeezed(case["preview"])

    assert sql.startswith(squeezed(PREVIEW_HEAD))
    assert not [c for c in PREVIEW_CLAUSES if squeezed(c) not in sql]


def test_the_page_still_shows_those_clauses():
    page = squeezed(DOC.read_text(encoding="utf-8"))

    missing = [
        clause
        for clause in (
            INSERT_HEAD.format(duration="%s"),  # SQLite
            INSERT_HEAD.format(duration="CAST(%s AS INTERVAL)"),  # PostgreSQL
            *INSERT_CLAUSES,
            INSERT_TAIL,
            *PREVIEW_CLAUSES,
        )
        if squeezed(clause) not in page
    ]
    assert not missing


def test_the_rows_fall_back_as_the_page_says(selection, manager, call_type):
    """The rows the page's statement reads, run: each company's our contact, or the
    associate saving with the reason (1: none, 2: may not receive follow-ups)."""
    eva = AssociateFactory()
    with_contact = CompanyFactory(our_contact=eva)
    without = CompanyFactory(our_contact=None)
    inactive = CompanyFactory(our_contact=AssociateFactory(active=False))
    loner = PersonFactory(company=None, our_contact=eva)
    for company in (with_contact, without, inactive):
        SelectionMemberFactory(selection=selection, company=company, person=None)
    SelectionMemberFactory(selection=selection, person=loner)
    planned = rows.plan_rows(
        selection=selection,
        state=rows.selection_state(selection),
        creator=manager,
        scope=rows.Scope(owner_mode=OwnerMode.OUR_CONTACT),
    )

    with connection.cursor() as cursor:
        cursor.execute(planned.sql, planned.params)
        found = set(cursor.fetchall())

    assert found == {
        (eva.pk, rows.FALLBACK_NONE, with_contact.pk, None),
        (manager.pk, rows.FALLBACK_NO_CONTACT, without.pk, None),
        (manager.pk, rows.FALLBACK_INACTIVE, inactive.pk, None),
        (eva.pk, rows.FALLBACK_NONE, None, loner.pk),
    }

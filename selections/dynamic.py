"""Dynamic selections: saved criteria, turned into queries each time they are used.

The result of a dynamic selection is a set of rows like a static selection's members:
each matching person (at their company), plus, when no criterion is about persons, each
matching company that has no persons at all. "Me" in "Our contact is me" is whoever uses
the selection.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from django.db import connection
from django.db.models import BigIntegerField, Q, QuerySet, Value
from django.db.models import F as Col
from django.db.models.functions import Coalesce

from crm.models import Associate, Company, Person, followed_by, our_contact_of

from .models import Criterion, Selection

F = Criterion.Field


def _contact(value: str, viewer: Associate) -> int | None:
    if value == "me":
        return viewer.pk
    if value == "none":
        return None
    return int(value)


def _company_q(criterion: Criterion, viewer: Associate, prefix: str) -> Q:
    field, value = criterion.field, criterion.value
    if field == F.COMPANY_NAME_STARTS:
        return Q(**{f"{prefix}name__unicode_istartswith": value})
    if field == F.COMPANY_NAME_CONTAINS:
        return Q(**{f"{prefix}name__unicode_icontains": value})
    if field == F.CITY:
        return Q(**{f"{prefix}city__unicode_iexact": value})
    if field == F.CATEGORY:
        return Q(**{f"{prefix}category__unicode_iexact": value})
    if field == F.COMPANY_ACTIVE:
        return Q(**{f"{prefix}active": value == "yes"})
    raise ValueError(field)


def _person_q(criteria: list[Criterion], viewer: Associate) -> Q:
    q = Q()
    for criterion in criteria:
        if criterion.field == F.OUR_CONTACT:
            q &= followed_by(_contact(criterion.value, viewer))
        elif criterion.field == F.PERSON_HAS_EMAIL:
            q &= ~Q(email="") if criterion.value == "yes" else Q(email="")
        elif criterion.field == F.PERSON_RANK_AT_MOST:
            q &= Q(rank__lte=int(criterion.value))
        else:
            q &= _company_q(criterion, viewer, "company__")
    return q


def _company_only_q(criteria: list[Criterion], viewer: Associate) -> Q | None:
    """Companies with no persons count as rows of their own, unless a criterion is about
    persons (then only persons can match)."""
    if any(c.field in Criterion.PERSON_FIELDS for c in criteria):
        return None
    q = Q(persons__isnull=True)
    for criterion in criteria:
        if criterion.field == F.OUR_CONTACT:
            q &= Q(our_contact_id=_contact(criterion.value, viewer))
        else:
            q &= _company_q(criterion, viewer, "")
    return q


@dataclass(frozen=True)
class State:
    """What a task runs on, read at one moment: the selection's kind and, for a dynamic
    selection, its criteria. A freeze turns a dynamic selection with criteria into a
    static one with members in one transaction; reading kind and criteria in one
    statement never sees half of that (a dynamic selection whose criteria are gone)."""

    kind: str
    criteria: tuple[Criterion, ...] = ()

    @property
    def is_dynamic(self) -> bool:
        return self.kind == Selection.Kind.DYNAMIC

    @property
    def matches_everything(self) -> bool:
        """A dynamic selection with no criteria matches every company and person."""
        return self.is_dynamic and not self.criteria


def read_state(selection: Selection, *, lock: bool = False) -> State | None:
    """The selection's kind and criteria in one statement; None if it was deleted.

    With `lock` (inside a transaction) the selection row is share-locked on PostgreSQL
    until the transaction ends: a freeze, a change of criteria or a deletion, which lock
    it for update, wait until then, and concurrent tasks do not wait for each other. On
    SQLite a write transaction holds the database's only write lock from its start.
    """
    selections = connection.ops.quote_name(Selection._meta.db_table)
    criteria = connection.ops.quote_name(Criterion._meta.db_table)
    sql = (
        f"SELECT s.kind, c.id, c.field, c.value FROM {selections} s"
        f" LEFT JOIN {criteria} c ON c.selection_id = s.id WHERE s.id = %s ORDER BY c.id"
    )
    if lock and connection.vendor == "postgresql":
        sql += " FOR SHARE OF s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [selection.pk])
        rows = cursor.fetchall()
    if not rows:
        return None
    return State(
        kind=rows[0][0],
        criteria=tuple(
            Criterion(pk=pk, selection_id=selection.pk, field=field, value=value)
            for _, pk, field, value in rows
            if pk is not None
        ),
    )


def _querysets(selection: Selection, viewer: Associate, criteria=None):
    if criteria is None:
        criteria = list(selection.criteria.all())
    persons = Person.objects.filter(_person_q(criteria, viewer)).order_by()
    company_q = _company_only_q(criteria, viewer)
    companies = Company.objects.filter(company_q).order_by() if company_q is not None else None
    return persons, companies


def rows_sql(
    selection: Selection, viewer: Associate, criteria: tuple[Criterion, ...] | None = None
) -> tuple[str, list]:
    """SELECT company_id, person_id, ord1, ord2 over the current result (of `criteria`,
    when given as read by read_state). For one follow-up per company, (ord1, ord2) ranks
    a company's rows: the person with the best rank at the company first, then the
    lowest id."""
    persons, companies = _querysets(selection, viewer, criteria)
    sql, params = persons.values("company_id", "id", "rank").query.sql_with_params()
    sql = f"SELECT d.company_id, d.id AS person_id, d.rank AS ord1, d.id AS ord2 FROM ({sql}) d"
    params = list(params)
    if companies is not None:
        csql, cparams = companies.values("id").query.sql_with_params()
        sql += f" UNION ALL SELECT dc.id, NULL, 0, 0 FROM ({csql}) dc"
        params += list(cparams)
    return sql, params


def result_rows(selection: Selection, viewer: Associate) -> QuerySet:
    """The current result as rows of (row_company, row_person), sorted for display by
    company name (a person with no company by their last name), then rank. Sliceable
    and countable, so the Company/person tab pages through it like members."""
    persons, companies = _querysets(selection, viewer)
    columns = ("row_company", "row_person", "sort_name", "sort_rank")
    rows = persons.annotate(
        row_company=Col("company_id"),
        row_person=Col("id"),
        sort_name=Coalesce(Col("company__name"), Col("last_name")),
        sort_rank=Col("rank"),
    ).values(*columns)
    if companies is not None:
        rows = rows.union(
            companies.annotate(
                row_company=Col("id"),
                row_person=Value(None, output_field=BigIntegerField()),
                sort_name=Col("name"),
                sort_rank=Value(0),
            ).values(*columns),
            all=True,
        )
    return rows.order_by("sort_name", "row_company", "sort_rank", "row_person")


def display_rows(rows: list[dict]) -> list[SimpleNamespace]:
    """Company and person objects for one page of result rows (two queries)."""
    companies = Company.objects.select_related("our_contact__user").in_bulk(
        {r["row_company"] for r in rows if r["row_company"]}
    )
    persons = Person.objects.select_related("our_contact__user").in_bulk(
        {r["row_person"] for r in rows if r["row_person"]}
    )
    return [
        SimpleNamespace(
            pk=None, company=company, person=person, our_contact=our_contact_of(company, person)
        )
        for r in rows
        for company, person in [(companies.get(r["row_company"]), persons.get(r["row_person"]))]
    ]


def row_count(selection: Selection, viewer: Associate) -> int:
    """How many rows a task on the selection runs on: members, or the current result."""
    if selection.is_dynamic:
        return result_rows(selection, viewer).count()
    return selection.members.count()


def has_rows(selection: Selection, viewer: Associate) -> bool:
    if selection.is_dynamic:
        return result_rows(selection, viewer).exists()
    return selection.members.exists()

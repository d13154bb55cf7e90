"""Dynamic selections: saved criteria, turned into queries each time they are used.

The result of a dynamic selection is a set of rows like a static selection's members:
each matching person (at their company), plus, when no criterion is about persons, each
matching company that has no persons at all. "Me" in "Our contact is me" is whoever uses
the selection.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.db.models import BigIntegerField, Q, QuerySet, Value
from django.db.models import F as Col
from django.db.models.functions import Coalesce

from crm.models import Associate, Company, Person

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
        return Q(**{f"{prefix}name__istartswith": value})
    if field == F.COMPANY_NAME_CONTAINS:
        return Q(**{f"{prefix}name__icontains": value})
    if field == F.CITY:
        return Q(**{f"{prefix}city__iexact": value})
    if field == F.CATEGORY:
        return Q(**{f"{prefix}category__iexact": value})
    if field == F.COMPANY_ACTIVE:
        return Q(**{f"{prefix}active": value == "yes"})
    raise ValueError(field)


def _person_q(criteria: list[Criterion], viewer: Associate) -> Q:
    q = Q()
    for criterion in criteria:
        if criterion.field == F.OUR_CONTACT:
            # A person at a company follows the company's our contact; a person with no
            # company has their own.
            contact = _contact(criterion.value, viewer)
            q &= Q(company__isnull=False, company__our_contact_id=contact) | Q(
                company__isnull=True, our_contact_id=contact
            )
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


def _querysets(selection: Selection, viewer: Associate):
    criteria = list(selection.criteria.all())
    persons = Person.objects.filter(_person_q(criteria, viewer)).order_by()
    company_q = _company_only_q(criteria, viewer)
    companies = Company.objects.filter(company_q).order_by() if company_q is not None else None
    return persons, companies


def rows_sql(selection: Selection, viewer: Associate) -> tuple[str, list]:
    """SELECT company_id, person_id, ord1, ord2 over the current result. For one
    follow-up per company, (ord1, ord2) ranks a company's rows: the person with the best
    rank at the company first, then the lowest id."""
    persons, companies = _querysets(selection, viewer)
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
            pk=None, company=companies.get(r["row_company"]), person=persons.get(r["row_person"])
        )
        for r in rows
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

"""Writes on selections. Each is one transaction; views call these after validation."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Company, Person

from . import dynamic
from .models import Criterion, Selection, SelectionMember


class SelectionChanged(Exception):
    """The selection is no longer what the change was made for; the message says why."""


def _locked_dynamic(selection: Selection) -> Selection:
    """The selection row, locked for update until the transaction ends (tasks running
    on it hold a share lock, see dynamic.read_state), still dynamic."""
    locked = Selection.objects.select_for_update().filter(pk=selection.pk).first()
    if locked is None:
        raise SelectionChanged(_("This selection was deleted meanwhile."))
    if not locked.is_dynamic:
        raise SelectionChanged(_("This selection was frozen meanwhile: it has members now."))
    return locked


@transaction.atomic
def selection_criterion_add(*, selection: Selection, field: str, value: str) -> Criterion:
    locked = _locked_dynamic(selection)
    return Criterion.objects.create(selection=locked, field=field, value=value)


@transaction.atomic
def selection_criterion_remove(*, selection: Selection, criterion_id: int) -> bool:
    locked = _locked_dynamic(selection)
    deleted, _ = Criterion.objects.filter(selection=locked, pk=criterion_id).delete()
    return deleted > 0


@transaction.atomic
def selection_member_add_person(*, selection: Selection, person: Person) -> bool:
    """Add `person` (at their current company, if any). Returns False if already there.

    A person at a company replaces that company's company-only row: the company is then
    represented by the person.
    """
    if SelectionMember.objects.filter(selection=selection, person=person).exists():
        return False
    if person.company_id is not None:
        SelectionMember.objects.filter(
            selection=selection, company_id=person.company_id, person__isnull=True
        ).delete()
    try:
        with transaction.atomic():
            SelectionMember.objects.create(
                selection=selection, person=person, company_id=person.company_id
            )
    except IntegrityError:  # added at the same moment by another request
        return False
    return True


@transaction.atomic
def selection_member_add_company(*, selection: Selection, company: Company) -> bool:
    """Add `company` as a company-only member. Returns False if the company is already
    in the selection, as itself or through one of its persons."""
    if SelectionMember.objects.filter(selection=selection, company=company).exists():
        return False
    try:
        with transaction.atomic():
            SelectionMember.objects.create(selection=selection, company=company)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def selection_member_remove(*, selection: Selection, member_id: int) -> bool:
    deleted, _ = SelectionMember.objects.filter(selection=selection, pk=member_id).delete()
    return deleted > 0


@transaction.atomic
def selection_freeze(*, selection: Selection, viewer) -> int:
    """Turn a dynamic selection into a static one whose members are its current result,
    with one INSERT … SELECT. Within a company, rows are added best rank first, so "the
    member added first" of the frozen copy is the person a dynamic selection would pick
    for one follow-up per company. There is no way back, as in SuperOffice.

    Locks the selection row for update: a task running on the selection (share lock)
    finishes first, and one started meanwhile waits and then sees the static selection.
    Raises SelectionChanged for a deleted selection or one with no criteria."""
    locked = Selection.objects.select_for_update().filter(pk=selection.pk).first()
    if locked is None:
        raise SelectionChanged(_("This selection was deleted meanwhile."))
    if not locked.is_dynamic:
        return locked.members.count()
    criteria = tuple(locked.criteria.all())
    if not criteria:
        raise SelectionChanged(
            _(
                "This dynamic selection has no criteria, so it would match every company and"
                " person. Add a criterion before freezing it."
            )
        )
    rows, params = dynamic.rows_sql(locked, viewer, criteria)
    table = connection.ops.quote_name(SelectionMember._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (selection_id, company_id, person_id, added_at)"
            f" SELECT %s, r.company_id, r.person_id, %s FROM ({rows}) r"
            " ORDER BY COALESCE(r.company_id, -r.person_id), r.ord1, r.ord2",
            [locked.pk, connection.ops.adapt_datetimefield_value(timezone.now()), *params],
        )
        count = cursor.rowcount
    locked.criteria.all().delete()
    Selection.objects.filter(pk=locked.pk).update(kind=Selection.Kind.STATIC)
    selection.kind = Selection.Kind.STATIC
    return count

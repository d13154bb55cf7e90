"""Writes on selections. Each is one transaction; views call these after validation."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from crm.models import Company, Person

from .models import Selection, SelectionMember


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

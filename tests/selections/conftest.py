"""Fixtures for the selection tests."""

from __future__ import annotations

import pytest

from crm.models import Company, Person
from demo.factories import AssociateFactory
from selections.models import SelectionMember


@pytest.fixture
def add_members(db):
    """add_members(selection, n) bulk-creates n members, cycling through the three kinds:
    a company only, a person at a company, a person with no company. Every company and
    every person with no company has an our contact, so each row shows one."""

    def _add_members(selection, n: int) -> list[SelectionMember]:
        our_contact = AssociateFactory(user__first_name="Eva", user__last_name="Owner")
        companies = Company.objects.bulk_create(
            Company(name=f"Company {i:04}", city=f"City {i:04}", our_contact=our_contact)
            for i in range(n)
        )
        persons = Person.objects.bulk_create(
            Person(
                first_name="Person",
                last_name=f"{i:04}",
                company=companies[i] if i % 3 == 1 else None,
                our_contact=our_contact if i % 3 == 2 else None,
            )
            for i in range(n)
        )
        return SelectionMember.objects.bulk_create(
            SelectionMember(
                selection=selection,
                company=companies[i] if i % 3 != 2 else None,
                person=persons[i] if i % 3 != 0 else None,
            )
            for i in range(n)
        )

    return _add_members

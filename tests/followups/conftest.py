"""Fixtures for the Generate follow-ups tests."""

from __future__ import annotations

import uuid

import pytest

from crm.models import Company, Person
from demo.factories import AssociateFactory, FollowUpTypeFactory, SelectionFactory
from selections.models import SelectionMember


@pytest.fixture
def call_type(db):
    return FollowUpTypeFactory(name="Follow-up call")


@pytest.fixture
def selection(salesperson):
    return SelectionFactory(owner=salesperson, name="Kunder Oslo")


@pytest.fixture
def add_members(db):
    """add_members(selection, n) bulk-creates n members, cycling through the three kinds:
    a company only, a person at a company, a person with no company. Every company and
    every person with no company has the same active our contact."""

    def _add_members(selection, n: int, our_contact=None) -> list[SelectionMember]:
        our_contact = our_contact or AssociateFactory(user__first_name="Eva")
        companies = Company.objects.bulk_create(
            Company(name=f"Company {i:05}", our_contact=our_contact) for i in range(n)
        )
        persons = Person.objects.bulk_create(
            Person(
                first_name="Person",
                last_name=f"{i:05}",
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


@pytest.fixture
def dialog_data(call_type):
    """dialog_data(**changes): a valid POST of the dialog (My activity list, every
    member), with the changes applied; a change to None leaves that field out."""

    def _dialog_data(**changes) -> dict:
        data = {
            "key": str(uuid.uuid4()),
            "type": str(call_type.pk),
            "start_date": "2026-03-02",
            "description": "Call about the spring offer",
            "project_text": "",
            "project": "",
            "priority": "",
            "owner_mode": "mine",
            "owner_associate": "",
            "selected_only": "",
        }
        data.update(changes)
        return {name: value for name, value in data.items() if value is not None}

    return _dialog_data

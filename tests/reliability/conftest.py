"""Fixtures for the reliability tests: faults, concurrency, hostile input, access."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from demo.factories import FollowUpTypeFactory, SelectionFactory, UserFactory
from followups import services
from selections.models import Visibility
from tests.helpers import generation_choices

from .helpers import bulk_members


@pytest.fixture
def call_type(db):
    return FollowUpTypeFactory(name="Follow-up call")


@pytest.fixture
def selection(salesperson):
    """Kunder Oslo: owned by the salesperson, visible to the owner's user group."""
    return SelectionFactory(owner=salesperson, name="Kunder Oslo", visibility=Visibility.GROUP)


@pytest.fixture
def members(selection):
    """Ten company-only members."""
    bulk_members(selection, 10)
    return selection.members.order_by("id")


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


@pytest.fixture
def staff_admin(db):
    """An administrator: staff and superuser, with no associate (admin only)."""
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def generated(salesperson, selection, members, call_type):
    """Ten follow-ups of one generation, in the salesperson's list."""
    choices = generation_choices(
        type=call_type, start_date=timezone.localdate(), description="Ring", owner_mode="mine"
    )
    generation, _ = services.followups_generate(
        selection=selection, creator=salesperson, **choices, key=uuid.uuid4()
    )
    return generation

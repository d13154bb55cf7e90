"""Fixtures for the reliability tests: faults, concurrency, hostile input, access
(dialog_data is in tests/conftest.py)."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from demo.factories import FollowUpTypeFactory, SelectionFactory, UserFactory
from followups import services
from selections.models import Visibility
from tests.helpers import bulk_members, generation_choices


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

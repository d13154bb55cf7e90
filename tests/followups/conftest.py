"""Fixtures for the Generate follow-ups tests (add_members and dialog_data are in
tests/conftest.py)."""

from __future__ import annotations

import pytest

from demo.factories import FollowUpTypeFactory, SelectionFactory


@pytest.fixture
def call_type(db):
    return FollowUpTypeFactory(name="Follow-up call")


@pytest.fixture
def selection(salesperson):
    return SelectionFactory(owner=salesperson, name="Kunder Oslo")

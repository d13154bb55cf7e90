"""Fixtures shared by every test. Factories live in crm/factories.py."""

from __future__ import annotations

import pytest

from crm.factories import AssociateFactory, UserGroupFactory


@pytest.fixture
def group(db):
    return UserGroupFactory(name="Salg Oslo")


@pytest.fixture
def other_group(db):
    return UserGroupFactory(name="Salg Bergen")


@pytest.fixture
def salesperson(group):
    """An associate with the Salesperson role (may run tasks, assigns within own group)."""
    return AssociateFactory(user__username="olav", primary_group=group, roles=["Salesperson"])


@pytest.fixture
def manager(group):
    """An associate with every right (Sales manager)."""
    return AssociateFactory(user__username="anna", primary_group=group, roles=["Sales manager"])


@pytest.fixture
def reader(group):
    """An associate whose role grants no rights (Read only)."""
    return AssociateFactory(user__username="lise", primary_group=group, roles=["Read only"])


@pytest.fixture
def outsider(other_group):
    """A salesperson in another user group."""
    return AssociateFactory(user__username="kari", primary_group=other_group, roles=["Salesperson"])


@pytest.fixture
def login(client):
    """login(associate) logs the test client in as that associate and returns the client."""

    def _login(associate):
        client.force_login(associate.user)
        return client

    return _login

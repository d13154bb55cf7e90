"""Fixtures shared by every test. Factories live in demo/factories.py."""

from __future__ import annotations

import pytest

from demo.factories import AssociateFactory, UserGroupFactory
from tests import helpers

DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


def pytest_collection_modifyitems(items):
    """Every database test may use the "jobs" database too (background generations'
    progress, config/routers.py): the generations page and Save read it."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None and not DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            continue
        kwargs = dict(marker.kwargs) if marker else {}
        if "databases" in kwargs:
            continue
        kwargs["databases"] = "__all__"
        # What the fixtures asked for, which a marker would otherwise override.
        names = set(item.fixturenames)
        if names & {"transactional_db", "live_server"}:
            kwargs.setdefault("transaction", True)
        if "django_db_serialized_rollback" in names:
            kwargs.setdefault("serialized_rollback", True)
        item.add_marker(
            pytest.mark.django_db(*(marker.args if marker else ()), **kwargs), append=False
        )


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


@pytest.fixture
def add_members(db):
    """add_members(selection, n, our_contact=None): helpers.add_members, with a new
    associate "Eva Owner" as every member's our contact unless one is given."""

    def _add_members(selection, n: int, our_contact=None) -> list:
        if our_contact is None:
            our_contact = AssociateFactory(user__first_name="Eva", user__last_name="Owner")
        return helpers.add_members(selection, n, our_contact=our_contact)

    return _add_members


@pytest.fixture
def dialog_data(call_type):
    """dialog_data(**changes): helpers.dialog_data for the test's `call_type` (a fixture
    of the test's own package): a valid POST of the dialog with the changes applied."""

    def _dialog_data(**changes) -> dict:
        return helpers.dialog_data(call_type, **changes)

    return _dialog_data


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """On PostgreSQL "jobs" is a second connection to the test database: closed before
    the database is dropped."""
    yield
    from django.db import connections

    connections["jobs"].close()

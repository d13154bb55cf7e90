"""`manage.py seed_demo`: demo data for `make run`, safe to run again."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.http import HttpRequest

from crm.models import Associate, Company, Person, Project
from demo.factories import DEMO_PASSWORD
from demo.management.commands.seed_demo import ASSOCIATES
from followups.models import FollowUp, Generation
from selections.models import Selection, SelectionMember

pytestmark = pytest.mark.django_db

LOGINS = [row[0] for row in ASSOCIATES]
ACTIVE_LOGINS = [row[0] for row in ASSOCIATES if row[5]]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_it_creates_the_demo_data_once():
    first = seed()
    after_first = row_counts()
    second = seed()

    assert "Demo data created." in first
    assert "nothing changed" in second
    assert row_counts() == after_first
    assert Associate.objects.count() == len(ASSOCIATES)
    assert Company.objects.count() == 200
    assert Person.objects.count() == 1000
    assert Project.objects.count() == 50
    assert Selection.objects.filter(kind=Selection.Kind.STATIC).count() == 3
    assert Selection.objects.filter(kind=Selection.Kind.DYNAMIC).count() == 1
    assert SelectionMember.objects.count() > 0
    # Follow-ups in the activity lists, some completed, made by generations.
    assert (
        FollowUp.objects.filter(completed=False).count()
        > FollowUp.objects.filter(completed=True).count()
        > 0
    )
    assert Generation.objects.count() == 3


def test_it_prints_the_logins_every_time():
    for output in (seed(), seed()):
        assert DEMO_PASSWORD in output
        for login in LOGINS:
            assert f"\n  {login} " in output


def test_its_demo_users_can_log_in(client):
    seed()
    for login in LOGINS:
        # django-axes wants the request authenticate() is called for.
        assert client.login(request=HttpRequest(), username=login, password=DEMO_PASSWORD), login
        client.logout()

    for login in ACTIVE_LOGINS:
        response = client.post(
            "/login/", {"username": login, "password": DEMO_PASSWORD}, follow=True
        )
        assert response.redirect_chain[-1] == ("/selections/", 302)
        assert response.status_code == 200
        assert "Kunder – produktlansering" in response.content.decode()
        client.logout()

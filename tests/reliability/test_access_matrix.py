"""Who may do what: every URL for every role, ids from the browser checked against the
user, CSRF on every POST, login throttling, the production settings (check --deploy),
the Content-Security-Policy header, and the log line of every generation."""

from __future__ import annotations

import logging
import os
import re
import secrets
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from demo.factories import (
    DEMO_PASSWORD,
    AssociateFactory,
    CompanyFactory,
    PersonFactory,
    PriorityFactory,
    ProjectFactory,
    SelectionFactory,
    SelectionMemberFactory,
)
from followups import services
from followups.models import FollowUp, FollowUpType, Generation
from selections.models import Criterion, Selection, SelectionMember, Visibility
from tests.helpers import HTMX, bulk_members, form_errors, rolled_back, text

from .helpers import counts

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("anonymous", "reader", "salesperson", "manager", "outsider", "staff_admin")
LOGIN = "login"  # expected: a redirect to /login/?next=…
ADMIN_LOGIN = "admin login"  # expected: a redirect to /admin/login/?next=…


# The world every row runs in ---------------------------------------------------------


@pytest.fixture
def world(salesperson, manager, reader, outsider, staff_admin, call_type):
    """Olav's (salesperson) selection, visible to his group, with three members and a
    generation of three follow-ups, and his dynamic selection with a criterion; Lise
    (reader, the same group) owns a static and a dynamic selection of her own, made
    before her role lost "Can manage selections"; Kari (outsider, another group) has
    her own group-visible selection and generation."""
    selection = SelectionFactory(owner=salesperson, name="Kunder Oslo", visibility=Visibility.GROUP)
    bulk_members(selection, 3)
    generation = generate(selection, salesperson, call_type)
    dynamic = SelectionFactory(
        owner=salesperson, kind=Selection.Kind.DYNAMIC, visibility=Visibility.GROUP
    )
    lises = SelectionFactory(owner=reader, name="Lises kunder", visibility=Visibility.GROUP)
    bulk_members(lises, 2, prefix="Lise")
    lises_dynamic = SelectionFactory(
        owner=reader, kind=Selection.Kind.DYNAMIC, visibility=Visibility.GROUP
    )
    theirs = SelectionFactory(owner=outsider, name="Kunder Bergen", visibility=Visibility.GROUP)
    bulk_members(theirs, 2, prefix="Bergen")
    their_generation = generate(theirs, outsider, call_type)
    their_private = SelectionFactory(owner=outsider, name="Karis", visibility=Visibility.OWNER)
    bulk_members(their_private, 2, prefix="Kari")
    company = CompanyFactory(name="Fjord AS")
    return {
        "roles": {
            "anonymous": None,
            "reader": reader.user,
            "salesperson": salesperson.user,
            "manager": manager.user,
            "outsider": outsider.user,
            "staff_admin": staff_admin,
        },
        "selection": selection,
        "member": selection.members.order_by("id").first(),
        "dynamic": dynamic,
        "criterion": dynamic.criteria.create(field=Criterion.Field.CITY, value="Oslo"),
        "lises": lises,
        "lises_member": lises.members.order_by("id").first(),
        "lises_dynamic": lises_dynamic,
        "lises_criterion": lises_dynamic.criteria.create(field=Criterion.Field.CITY, value="Oslo"),
        "generation": generation,
        "followup": FollowUp.objects.filter(generation=generation).order_by("id").first(),
        "their_selection": theirs,
        "their_generation": their_generation,
        "their_private": their_private,
        "company": company,
        "person": PersonFactory(company=company),
        "new_company": CompanyFactory(name="Ny Kunde AS"),
        "call_type": call_type,
    }


def generate(selection, creator, type_) -> Generation:
    generation, _ = services.followups_generate(
        selection=selection,
        creator=creator,
        scope=services.Scope(),
        settings=services.Settings(type=type_, start_date=date(2026, 3, 2), description="Ring"),
        key=uuid.uuid4(),
    )
    return generation


def dialog(w) -> dict:
    return {
        "key": "6f1c2d7e-3b4a-4c5d-8e9f-0a1b2c3d4e5f",
        "type": w["call_type"].pk,
        "start_date": "2026-03-02",
        "description": "Call about the spring offer",
        "owner_mode": "mine",
    }


def new_selection(w) -> dict:
    return {"name": "Ny", "kind": "static", "visibility": "owner"}


def criterion(w) -> dict:
    return {"field": Criterion.Field.CITY, "value": "Bergen"}


def edit(w) -> dict:
    followup = w["followup"]
    return {
        "type": followup.type_id,
        "start_date": "2026-04-01",
        "description": "Changed",
        "owner": followup.owner_id,
    }


def state(w) -> tuple:
    """Everything a refused request must leave as it was."""
    followup = FollowUp.objects.get(pk=w["followup"].pk)
    generation = Generation.objects.get(pk=w["generation"].pk)
    return (
        *counts(),
        Selection.objects.count(),
        Selection.objects.filter(kind=Selection.Kind.DYNAMIC).count(),
        SelectionMember.objects.count(),
        Criterion.objects.count(),
        followup.completed,
        followup.description,
        generation.undone_at,
    )


# The matrix --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    args: tuple = ()  # keys of the world, or literal values
    method: str = "get"
    data: object = None  # a function of the world
    expect: tuple = ()  # one per role, in ROLES order
    headers: dict = field(default_factory=dict)

    def url(self, w) -> str:
        return reverse(self.name, args=[w[a].pk if isinstance(a, str) else a for a in self.args])


#            anonymous  reader  salesperson  manager  outsider  staff_admin (no associate)
EVERY_ASSOCIATE = (LOGIN, 200, 200, 200, 200, 403)
OWNER_ONLY_READ = (LOGIN, 403, 200, 403, 404, 403)
OWNER_ONLY_WRITE = (LOGIN, 403, 302, 403, 404, 403)
# Lise's own selection: she owns it but has no "Can manage selections"; her colleagues
# see it but do not own it; Kari does not see it.
LISES_OWN = (LOGIN, 403, 403, 403, 404, 403)
MANAGE_READ = (LOGIN, 403, 200, 200, 200, 403)
MANAGE_WRITE = (LOGIN, 403, 302, 302, 302, 403)
TASKS_READ = (LOGIN, 403, 200, 200, 404, 403)
TASKS_WRITE = (LOGIN, 403, 302, 302, 404, 403)
TASKS_WRITE_HTMX = (LOGIN, 403, 200, 200, 404, 403)  # saved: 200 with an HX-Trigger
# Kari's selection visible to her alone: nobody else sees it, whatever their rights.
KARIS_ALONE_READ = (LOGIN, 404, 404, 404, 200, 403)
KARIS_ALONE_WRITE = (LOGIN, 404, 404, 404, 302, 403)
MY_GENERATION = (LOGIN, 404, 200, 200, 404, 403)
MY_GENERATION_WRITE = (LOGIN, 404, 302, 302, 404, 403)
ADMIN_ONLY = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200)

MATRIX = [
    Row("selections:list", expect=EVERY_ASSOCIATE),
    Row("selections:detail", ("selection",), expect=(LOGIN, 200, 200, 200, 404, 403)),
    Row("selections:member_search", ("selection",), expect=OWNER_ONLY_READ),
    Row(
        "selections:member_add",
        ("selection",),
        "post",
        lambda w: {"company": w["new_company"].pk},
        OWNER_ONLY_WRITE,
    ),
    Row("selections:member_remove", ("selection", "member"), "post", None, OWNER_ONLY_WRITE),
    Row("selections:new", expect=MANAGE_READ),
    Row("selections:new", (), "post", new_selection, MANAGE_WRITE),
    Row("selections:criterion_form", ("dynamic",), expect=OWNER_ONLY_READ),
    Row("selections:criterion_add", ("dynamic",), "post", criterion, OWNER_ONLY_WRITE),
    Row("selections:criterion_remove", ("dynamic", "criterion"), "post", None, OWNER_ONLY_WRITE),
    Row("selections:freeze", ("dynamic",), "post", None, OWNER_ONLY_WRITE),
    Row("selections:detail", ("lises",), expect=(LOGIN, 200, 200, 200, 404, 403)),
    Row("selections:member_search", ("lises",), expect=LISES_OWN),
    Row(
        "selections:member_add",
        ("lises",),
        "post",
        lambda w: {"company": w["new_company"].pk},
        LISES_OWN,
    ),
    Row("selections:member_remove", ("lises", "lises_member"), "post", None, LISES_OWN),
    Row("selections:criterion_form", ("lises_dynamic",), expect=LISES_OWN),
    Row("selections:criterion_add", ("lises_dynamic",), "post", criterion, LISES_OWN),
    Row(
        "selections:criterion_remove",
        ("lises_dynamic", "lises_criterion"),
        "post",
        None,
        LISES_OWN,
    ),
    Row("selections:freeze", ("lises_dynamic",), "post", None, LISES_OWN),
    Row("followups:generate_dialog", ("selection",), expect=TASKS_READ),
    Row("followups:generate_dialog", ("selection",), expect=TASKS_READ, headers=HTMX),
    Row("followups:generate_preview", ("selection",), "post", dialog, TASKS_READ, HTMX),
    Row("followups:generate_save", ("selection",), "post", dialog, TASKS_WRITE),
    Row("followups:generate_save", ("selection",), "post", dialog, TASKS_WRITE_HTMX, HTMX),
    Row("followups:project_options", expect=EVERY_ASSOCIATE),
    Row("followups:generate_help", expect=EVERY_ASSOCIATE),
    # A single follow-up: every role that may create tasks (outsider is a salesperson).
    Row("followups:new", expect=MANAGE_READ),
    Row("followups:activity_list", expect=EVERY_ASSOCIATE),
    Row("followups:history", expect=EVERY_ASSOCIATE),
    Row("followups:counters", expect=EVERY_ASSOCIATE),
    Row("followups:quick_search", expect=EVERY_ASSOCIATE),
    # The reader shares Olav's group, so sees his follow-ups, but may not change them.
    Row("followups:detail", ("followup",), expect=(LOGIN, 200, 200, 200, 404, 403)),
    Row("followups:detail", ("followup",), "post", edit, TASKS_WRITE),
    Row("followups:toggle_completed", ("followup",), "post", None, TASKS_WRITE),
    Row("followups:generation_list", expect=EVERY_ASSOCIATE),
    Row("followups:generation_detail", ("generation",), expect=MY_GENERATION),
    Row("followups:generation_undo", ("generation",), expect=MY_GENERATION),
    Row("followups:generation_undo", ("generation",), "post", None, MY_GENERATION_WRITE),
    Row(
        "followups:generation_detail",
        ("their_generation",),
        expect=(LOGIN, 404, 404, 200, 200, 403),
    ),
    # Kari's selection is visible to her group only: the manager's "see everyone" is
    # about associates and follow-ups, not selections.
    Row("selections:detail", ("their_selection",), expect=(LOGIN, 404, 404, 404, 200, 403)),
    Row("followups:generate_dialog", ("their_selection",), expect=(LOGIN, 404, 404, 404, 200, 403)),
    Row("selections:detail", ("their_private",), expect=KARIS_ALONE_READ),
    Row("followups:generate_dialog", ("their_private",), expect=KARIS_ALONE_READ),
    Row("followups:generate_dialog", ("their_private",), expect=KARIS_ALONE_READ, headers=HTMX),
    Row("followups:generate_preview", ("their_private",), "post", dialog, KARIS_ALONE_READ, HTMX),
    Row("followups:generate_save", ("their_private",), "post", dialog, KARIS_ALONE_WRITE),
    Row("crm:company", ("company",), expect=EVERY_ASSOCIATE),
    Row("crm:person", ("person",), expect=EVERY_ASSOCIATE),
    Row(
        "set_language",
        (),
        "post",
        lambda w: {"language": "nb", "next": "/selections/"},
        (302,) * 6,
    ),
    Row("login", expect=(200, 302, 302, 302, 302, 302)),
    Row("logout", (), "post", None, (302,) * 6),
    Row("admin:index", expect=ADMIN_ONLY),
    Row("admin:followups_followup_changelist", expect=ADMIN_ONLY),
    Row("admin:followups_generation_changelist", expect=ADMIN_ONLY),
    Row("admin:crm_company_changelist", expect=ADMIN_ONLY),
    Row("admin:crm_associate_changelist", expect=ADMIN_ONLY),
    Row("admin:followups_followup_change", ("followup",), expect=ADMIN_ONLY),
]


def csp_script_sources(response) -> list[str]:
    policy = response.get("Content-Security-Policy", "")
    for directive in policy.split(";"):
        name, *sources = directive.split()
        if name == "script-src":
            return sources
    return []


def outcome(response) -> int | str:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
        if location.startswith(reverse("login") + "?next="):
            return LOGIN
    if response.status_code == 401 and b"data-session-ended" in response.content:
        return LOGIN  # an htmx request: the page stays, a message links to the login
    return response.status_code


@pytest.mark.parametrize(
    "row", MATRIX, ids=[f"{r.method}-{r.name}{'-htmx' if r.headers else ''}" for r in MATRIX]
)
def test_every_url_answers_every_role_as_expected(world, row):
    wrong = []
    for role, expected in zip(ROLES, row.expect, strict=True):
        with rolled_back():
            client = Client()
            user = world["roles"][role]
            if user is not None:
                client.force_login(user)
            before = state(world)
            data = row.data(world) if row.data else {}
            response = getattr(client, row.method)(row.url(world), data, headers=row.headers)

            got = outcome(response)
            if got != expected:
                wrong.append(f"{role}: expected {expected}, got {got}")
            if got == LOGIN or (isinstance(got, int) and got >= 400):
                assert state(world) == before, f"{role} was refused but something changed"
            # Every answer carries the policy: only our own scripts run.
            assert csp_script_sources(response) == ["'self'"], (role, response.headers)
    assert not wrong, f"{row.method.upper()} {row.name}: " + "; ".join(wrong)


def test_anonymous_is_sent_to_the_login_page_and_back(world):
    url = reverse("followups:generation_detail", args=[world["generation"].pk])
    response = Client().get(url)
    assert response["Location"] == f"{reverse('login')}?next={url}"


# Ids from the browser: every one checked against the user ------------------------------


def dialog_error(client, w, **changes) -> str:
    """Save the dialog with the changes as Olav; the errors the dialog shows."""
    data = {**dialog(w), **changes}
    response = client.post(
        reverse("followups:generate_save", args=[w["selection"].pk]), data, headers=HTMX
    )
    assert response.status_code == 200
    assert "HX-Trigger" not in response, "saved with an id the user may not use"
    return text(response.content.decode())


@pytest.fixture
def olav(world, salesperson):
    client = Client()
    client.force_login(salesperson.user)
    return client


@pytest.mark.parametrize(
    "field_name, make_value, message",
    [
        (
            "type",
            lambda w: FollowUpType.objects.create(name="Old", active=False).pk,
            "That follow-up type is no longer available",
        ),
        (
            "priority",
            lambda w: PriorityFactory(active=False).pk,
            "That priority is no longer available",
        ),
        (
            "owner_associate",
            lambda w: w["roles"]["outsider"].associate.pk,
            "You cannot assign follow-ups to that associate.",
        ),
        (
            "owner_associate",
            lambda w: (
                AssociateFactory(
                    primary_group=w["roles"]["salesperson"].associate.primary_group, active=False
                ).pk
            ),
            "You cannot assign follow-ups to that associate.",
        ),
        (
            "members",
            lambda w: SelectionMemberFactory(selection=SelectionFactory()).pk,
            "1 ticked member is no longer in this selection",
        ),
        ("type", lambda w: 10**30, "That follow-up type is no longer available"),
        ("owner_associate", lambda w: -5, "You cannot assign follow-ups to that associate."),
    ],
    ids=[
        "inactive-type",
        "inactive-priority",
        "associate-of-another-group",
        "inactive-associate",
        "member-of-another-selection",
        "huge-type-id",
        "negative-associate-id",
    ],
)
def test_the_dialog_refuses_an_id_the_user_may_not_use(
    world, olav, field_name, make_value, message
):
    before = counts()
    changes = {field_name: make_value(world)}
    if field_name == "owner_associate":
        changes["owner_mode"] = "other"
    if field_name == "members":
        changes["selected_only"] = "on"

    assert message in dialog_error(olav, world, **changes)
    assert counts() == before


def test_the_dialog_refuses_an_inactive_project_picked_by_id(world, olav):
    old = ProjectFactory(name="Messe 2019", active=False)
    before = counts()

    errors = dialog_error(olav, world, project_text="Messe 2019", project=old.pk)

    assert "No active project matches “Messe 2019”." in errors
    assert counts() == before


def test_the_manager_may_assign_to_anyone(world, manager):
    client = Client()
    client.force_login(manager.user)
    outsider = world["roles"]["outsider"].associate

    response = client.post(
        reverse("followups:generate_save", args=[world["selection"].pk]),
        {**dialog(world), "owner_mode": "other", "owner_associate": outsider.pk},
        headers=HTMX,
    )

    assert "HX-Trigger" in response
    assert FollowUp.objects.filter(owner=outsider, created_by=manager).count() == 3


@pytest.mark.parametrize("endpoint", ["generate_save", "generate_preview"])
def test_our_contact_mode_is_refused_without_the_right(world, olav, endpoint):
    before = counts()

    response = olav.post(
        reverse(f"followups:{endpoint}", args=[world["selection"].pk]),
        {**dialog(world), "owner_mode": "our_contact"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert counts() == before
    if endpoint == "generate_save":
        assert (
            "Your role does not allow assigning follow-ups to the companies' our contacts."
            in text(response.content.decode())
        )
    else:  # no preview until the owner choice is one the user may make
        assert "The preview appears when the owner choice is complete." in text(
            response.content.decode()
        )


def test_our_contact_mode_is_allowed_with_the_right(world, manager):
    client = Client()
    client.force_login(manager.user)

    response = client.post(
        reverse("followups:generate_save", args=[world["selection"].pk]),
        {**dialog(world), "owner_mode": "our_contact"},
        headers=HTMX,
    )

    assert "HX-Trigger" in response, form_errors(response)


@pytest.mark.parametrize(
    "field_name, make_value, message",
    [
        (
            "owner",
            lambda w: w["roles"]["outsider"].associate.pk,
            "You cannot assign follow-ups to that associate.",
        ),
        (
            "type",
            lambda w: FollowUpType.objects.create(name="Old", active=False).pk,
            "That follow-up type is no longer available",
        ),
        (
            "priority",
            lambda w: PriorityFactory(active=False).pk,
            "That priority is no longer available",
        ),
    ],
    ids=["owner-of-another-group", "inactive-type", "inactive-priority"],
)
def test_the_follow_up_edit_refuses_an_id_the_user_may_not_use(
    world, olav, field_name, make_value, message
):
    followup = world["followup"]
    before = state(world)

    response = olav.post(
        reverse("followups:detail", args=[followup.pk]),
        {**edit(world), field_name: make_value(world)},
    )

    assert response.status_code == 200
    assert message in text(response.content.decode())
    assert state(world) == before


def test_removing_a_member_of_another_selection_through_mine_removes_nothing(world, olav):
    theirs = SelectionMember.objects.exclude(selection=world["selection"]).first()

    response = olav.post(
        reverse("selections:member_remove", args=[world["selection"].pk, theirs.pk]),
        follow=True,
    )

    assert response.status_code == 200
    assert "That member was already removed." in text(response.content.decode())
    assert SelectionMember.objects.filter(pk=theirs.pk).exists()


def test_adding_an_unknown_company_is_refused_with_a_message(world, olav):
    before = SelectionMember.objects.count()

    response = olav.post(
        reverse("selections:member_add", args=[world["selection"].pk]),
        {"company": 10**6},
        follow=True,
    )

    assert "That company or person no longer exists." in text(response.content.decode())
    assert SelectionMember.objects.count() == before


# CSRF ----------------------------------------------------------------------------------

POSTS = [row for row in MATRIX if row.method == "post"]


@pytest.mark.parametrize("row", POSTS, ids=[r.name for r in POSTS])
def test_every_post_needs_the_csrf_token(world, row):
    client = Client(enforce_csrf_checks=True)
    # Olav owns the selection (member changes); Anna may do everything else.
    client.force_login(world["roles"]["salesperson" if "member" in row.name else "manager"])
    before = state(world)

    response = client.post(row.url(world), row.data(world) if row.data else {}, headers=HTMX)

    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert state(world) == before


def test_the_login_and_admin_forms_need_the_csrf_token(world, staff_admin):
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post(reverse("login"), {"username": "olav", "password": DEMO_PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in anonymous.session

    admin = Client(enforce_csrf_checks=True)
    admin.force_login(staff_admin)
    response = admin.post(reverse("admin:crm_company_add"), {"name": "Sneaky AS"})
    assert response.status_code == 403


def test_a_post_with_the_token_in_the_htmx_header_goes_through(world, salesperson):
    client = Client(enforce_csrf_checks=True)
    client.force_login(salesperson.user)
    page = client.get(reverse("followups:activity_list"))
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.content.decode()).group(1)

    response = client.post(
        reverse("followups:toggle_completed", args=[world["followup"].pk]),
        headers={**HTMX, "X-CSRFToken": token},
    )

    assert response.status_code == 200
    assert FollowUp.objects.get(pk=world["followup"].pk).completed


# Login throttling ----------------------------------------------------------------------


def test_login_is_locked_after_five_wrong_passwords(world, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    for _ in range(4):
        response = client.post(reverse("login"), {"username": "olav", "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in text(response.content.decode())
    fifth = client.post(reverse("login"), {"username": "olav", "password": "wrong"})

    sixth = client.post(reverse("login"), {"username": "olav", "password": DEMO_PASSWORD})

    for response in (fifth, sixth):  # the fifth failure locks; the right password is no key
        assert response.status_code == 429
        assert "Too many attempts" in text(response.content.decode())
        assert csp_script_sources(response) == ["'self'"]
    assert "_auth_user_id" not in client.session
    # Another login from the same address is not locked.
    other = Client()
    response = other.post(reverse("login"), {"username": "anna", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in other.session


def test_four_wrong_passwords_then_the_right_one_logs_in(world):
    client = Client()
    for _ in range(4):
        client.post(reverse("login"), {"username": "olav", "password": "wrong"})

    response = client.post(reverse("login"), {"username": "olav", "password": DEMO_PASSWORD})

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


# Production settings -------------------------------------------------------------------


def manage_check_deploy(**env_changes) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "BEHIND_TLS_PROXY"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="crm.example.com",
        BEHIND_TLS_PROXY="true",
        DATABASE_URL="postgres://crm@db.example.com:5432/crm",
    )
    env.update(env_changes)
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_the_production_variables():
    result = manage_check_deploy()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_the_tls_proxy_setting():
    """The check above is meaningful: without BEHIND_TLS_PROXY it does warn."""
    result = manage_check_deploy(BEHIND_TLS_PROXY=None)

    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = manage_check_deploy(SECRET_KEY=None)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr + result.stdout


def test_the_app_server_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", ALLOWED_HOSTS="crm.example.com")
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY setting must not be empty" in result.stderr


def test_the_policy_allows_only_our_own_scripts(world, salesperson):
    client = Client()
    client.force_login(salesperson.user)
    response = client.get(world["selection"].get_absolute_url())

    policy = response["Content-Security-Policy"]
    assert csp_script_sources(response) == ["'self'"]
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "'unsafe-eval'" not in policy
    # And the page has no inline script for the policy to block.
    for tag in re.findall(r"<script[^>]*>", response.content.decode()):
        assert 'src="/static/' in tag, tag


# The log of every generation -----------------------------------------------------------


def test_a_generation_is_logged_with_who_what_how_many_and_how_long(world, olav, caplog):
    selection = world["selection"]

    with caplog.at_level(logging.INFO, logger="followups.services"):
        response = olav.post(
            reverse("followups:generate_save", args=[selection.pk]), dialog(world), headers=HTMX
        )

    assert "HX-Trigger" in response
    generation = Generation.objects.latest("id")
    (record,) = [r for r in caplog.records if r.name == "followups.services"]
    assert record.levelno == logging.INFO
    assert re.fullmatch(
        rf"generation {generation.pk}: olav created 3 follow-ups from selection "
        rf"{selection.pk} \('Kunder Oslo'\) in \d+\.\d{{3}} s",
        record.getMessage(),
    ), record.getMessage()


def test_a_repeated_key_is_not_logged_as_a_new_generation(world, olav, caplog):
    url = reverse("followups:generate_save", args=[world["selection"].pk])
    olav.post(url, dialog(world), headers=HTMX)
    caplog.clear()

    with caplog.at_level(logging.INFO, logger="followups.services"):
        response = olav.post(url, dialog(world), headers=HTMX)

    assert response.status_code == 200

    assert not [r for r in caplog.records if r.name == "followups.services"]

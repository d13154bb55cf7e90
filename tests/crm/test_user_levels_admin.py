"""The admin pages for setting up the CRM: User levels (the CRM rights of each role) and
New associate with login (login, user level and user groups in one form)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from crm import forms as crm_forms
from crm.models import Associate
from demo.factories import AssociateFactory, UserFactory, UserGroupFactory
from tests.helpers import element, elements

pytestmark = pytest.mark.django_db

LEVELS = "/admin/auth/group/user-levels/"
NEW = "/admin/crm/associate/new/"
RIGHTS = [
    "create_selection_tasks",
    "assign_to_our_contact",
    "see_all_associates",
    "manage_selections",
]


def staff(*perms: str, username: str = "admin"):
    user = UserFactory(username=username, is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def level(name: str) -> Group:
    return Group.objects.get(name=name)


def rights_of(name: str) -> set[str]:
    return set(
        level(name).permissions.filter(codename__in=RIGHTS).values_list("codename", flat=True)
    )


def levels_post(**rights: list[str]) -> dict:
    """The User levels form as the page posts it, every level as shown, with the given
    levels' rights ticked instead (by name)."""
    data = {}
    for group in Group.objects.all():
        had = sorted(rights_of(group.name))
        data[f"shown_{group.pk}"] = had
        data[f"rights_{group.pk}"] = rights.get(group.name, had)
    return data


# Who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LEVELS, NEW])
def test_it_sends_anonymous_users_to_the_admin_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("url", [LEVELS, NEW])
def test_it_sends_non_staff_to_the_admin_login(client, salesperson, url):
    client.force_login(salesperson.user)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    ("url", "perms", "reason"),
    [
        (
            LEVELS,
            ["auth.view_group"],
            "Changing user levels needs the permission to change groups.",
        ),
        (
            NEW,
            ["auth.add_user", "crm.add_associate"],
            "Adding an associate needs the permissions to add and change users and to add associates.",
        ),
    ],
)
def test_it_refuses_staff_without_the_permission(client, url, perms, reason):
    client.force_login(staff(*perms))
    for response in (client.get(url), client.post(url, {})):
        assert response.status_code == 403
        html = response.content.decode()
        assert reason in html
        assert elements(html, "header", class_="topbar")  # the app's own 403 page
    assert not LogEntry.objects.exists()


def test_it_lets_staff_with_the_permissions_in(client):
    client.force_login(
        staff("auth.change_group", "auth.add_user", "auth.change_user", "crm.add_associate")
    )
    assert client.get(LEVELS).status_code == 200
    assert client.get(NEW).status_code == 200


def test_it_links_both_pages_from_the_admin_index(superuser_client):
    html = superuser_client.get("/admin/").content.decode()
    assert elements(html, "a", href=LEVELS)
    assert elements(html, "a", href=NEW)


def test_it_links_only_the_pages_the_admin_may_use(client):
    client.force_login(staff("auth.change_group", "auth.view_group"))
    html = client.get("/admin/").content.decode()
    assert elements(html, "a", href=LEVELS)
    assert not elements(html, "a", href=NEW)


def test_it_links_the_pages_from_their_lists(superuser_client):
    assert f'href="{LEVELS}"' in superuser_client.get("/admin/auth/group/").content.decode()
    assert f'href="{NEW}"' in superuser_client.get("/admin/crm/associate/").content.decode()


# User levels ----------------------------------------------------------------------------


def test_it_lists_each_role_with_its_rights(superuser_client, salesperson):
    html = superuser_client.get(LEVELS).content.decode()
    for name in ("Read only", "Sales manager", "Salesperson"):
        assert elements(html, "h2", text=name)
    assert "1 user has this user level." in html  # olav, a Salesperson
    boxes = elements(html, "input", name=f"rights_{level('Salesperson').pk}", checked=True)
    ticked = [box["value"] for box in boxes]
    assert sorted(ticked) == ["create_selection_tasks", "manage_selections"]
    assert "Can see all associates" in html
    assert "Can add user" not in html  # Django's own permissions are not here


def test_it_shows_the_rights_in_the_admins_language(superuser_client):
    superuser_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    html = superuser_client.get(LEVELS).content.decode()
    assert "Brukernivåer" in html
    assert "Kan utføre oppgaver på et utvalg" in html
    assert "Can create tasks for a selection" not in html


def test_it_saves_only_the_crm_rights(superuser_client):
    salesperson = level("Salesperson")
    view_user = Permission.objects.get(codename="view_user")
    salesperson.permissions.add(view_user)

    data = levels_post(Salesperson=["see_all_associates", "manage_selections"])
    response = superuser_client.post(LEVELS, data)

    assert response.status_code == 302
    assert response["Location"] == LEVELS
    assert rights_of("Salesperson") == {"see_all_associates", "manage_selections"}
    assert view_user in salesperson.permissions.all()  # untouched
    assert rights_of("Sales manager") == {
        "create_selection_tasks",
        "assign_to_our_contact",
        "see_all_associates",
        "manage_selections",
    }
    page = superuser_client.get(LEVELS).content.decode()
    assert "Saved the rights of: Salesperson." in page


def test_it_keeps_a_change_another_admin_saved_meanwhile(superuser_client):
    data = levels_post(Salesperson=["create_selection_tasks"])  # untick manage_selections
    # Meanwhile someone else gives Read only a right, and Salesperson another.
    see_all = Permission.objects.get(codename="see_all_associates")
    level("Read only").permissions.add(see_all)
    level("Salesperson").permissions.add(see_all)

    superuser_client.post(LEVELS, data)

    assert rights_of("Salesperson") == {"create_selection_tasks", "see_all_associates"}
    assert rights_of("Read only") == {"see_all_associates"}


def test_it_says_so_when_nothing_changed(superuser_client):
    before = {group.name: rights_of(group.name) for group in Group.objects.all()}
    response = superuser_client.post(LEVELS, levels_post(), follow=True)
    assert "No rights were changed." in response.content.decode()
    assert {group.name: rights_of(group.name) for group in Group.objects.all()} == before
    assert not LogEntry.objects.exists()


def test_it_refuses_a_permission_that_is_not_a_crm_right(superuser_client):
    data = levels_post()
    data[f"rights_{level('Read only').pk}"] = ["delete_user"]
    response = superuser_client.post(LEVELS, data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not level("Read only").permissions.exists()


def test_it_records_the_change_in_the_admin_history(superuser_client):
    superuser_client.post(LEVELS, levels_post(**{"Read only": ["manage_selections"]}))
    entry = LogEntry.objects.get()
    assert (entry.action_flag, entry.object_repr) == (CHANGE, "Read only")
    assert entry.get_change_message() == "Changed permissions."


def test_it_leaves_out_a_role_deleted_meanwhile(superuser_client):
    extra = Group.objects.create(name="Temp")
    data = levels_post(Temp=["manage_selections"])
    extra.delete()
    response = superuser_client.post(LEVELS, data)
    assert response.status_code == 302
    assert not Group.objects.filter(name="Temp").exists()


def test_it_shows_the_page_in_the_same_queries_for_any_number_of_roles(
    superuser_client, django_assert_num_queries
):
    for n in range(20):
        Group.objects.create(name=f"Level {n}")
    superuser_client.get(LEVELS)  # the content type of Associate is cached from now on
    # 1 the session, 2 the user, 3 the user levels with their number of users,
    # 4 their CRM rights (one prefetch).
    with django_assert_num_queries(4):
        assert superuser_client.get(LEVELS).status_code == 200


# New associate with login -----------------------------------------------------------------


@pytest.fixture
def groups(db):
    return UserGroupFactory(name="Salg Oslo"), UserGroupFactory(name="Salg Bergen")


def new_associate(groups, **changes) -> dict:
    oslo, bergen = groups
    return {
        "username": "ingrid",
        "first_name": "Ingrid",
        "last_name": "Dahl",
        "email": "ingrid@example.no",
        "password1": "Fjordlys-2026!",
        "password2": "Fjordlys-2026!",
        "role": level("Salesperson").pk,
        "primary_group": oslo.pk,
        "other_groups": [bergen.pk],
        **changes,
    }


def field_errors(html: str) -> dict[str, str]:
    """{field name: its row's error text} on an admin form."""
    found = {}
    for name, row in re.findall(
        r'<div class="form-row[^"]*field-(\w+)[^"]*">(.*?)</div>\s*</div>\s*</div>', html, re.S
    ):
        errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', row, re.S)
        if errors:
            found[name] = re.sub(r"<[^>]+>", " ", " ".join(errors)).split()
            found[name] = " ".join(found[name])
    return found


def test_it_shows_the_form(superuser_client, groups):
    html = superuser_client.get(NEW).content.decode()
    for name in ("username", "first_name", "last_name", "email", "password1", "password2"):
        assert element(html, "input", name=name)
    assert element(html, "select", name="role")
    assert elements(html, "option", text="Salesperson")
    assert elements(html, "option", text="Salg Oslo")
    assert elements(html, "input", type="checkbox", name="other_groups")


def test_it_creates_the_associate_with_login_level_and_groups(superuser_client, groups):
    oslo, bergen = groups
    response = superuser_client.post(NEW, new_associate(groups))

    assert response.status_code == 302
    assert response["Location"] == "/admin/crm/associate/"
    associate = Associate.objects.select_related("user", "primary_group").get(
        user__username="ingrid"
    )
    user = associate.user
    assert (user.first_name, user.last_name, user.email) == ("Ingrid", "Dahl", "ingrid@example.no")
    assert user.check_password("Fjordlys-2026!")
    assert not user.is_staff and user.is_active
    assert list(user.groups.values_list("name", flat=True)) == ["Salesperson"]
    assert associate.primary_group == oslo
    assert list(associate.other_groups.all()) == [bergen]
    assert associate.active
    assert user.has_perm("crm.create_selection_tasks")
    entry = LogEntry.objects.get()
    assert (entry.action_flag, entry.object_repr) == (ADDITION, "Ingrid Dahl")

    page = superuser_client.get(response["Location"]).content.decode()
    assert "Added Ingrid Dahl (login ingrid) as Salesperson." in page


def test_the_new_associate_can_log_in(client, superuser_client, groups):
    superuser_client.post(NEW, new_associate(groups))
    superuser_client.logout()
    response = client.post("/login/", {"username": "ingrid", "password": "Fjordlys-2026!"})
    assert response.status_code == 302
    assert client.get("/selections/").status_code == 200


def test_it_leaves_out_the_primary_group_from_the_others(superuser_client, groups):
    oslo, _bergen = groups
    superuser_client.post(NEW, new_associate(groups, other_groups=[oslo.pk]))
    assert not Associate.objects.get(user__username="ingrid").other_groups.exists()


def test_it_shows_every_error_next_to_its_field(superuser_client, groups):
    response = superuser_client.post(NEW, {"password1": "a", "password2": "b"})
    assert response.status_code == 200
    errors = field_errors(response.content.decode())
    assert errors == {
        "username": "This field is required.",
        "first_name": "This field is required.",
        "last_name": "This field is required.",
        "email": "This field is required.",
        "password2": "The two password fields didn’t match.",
        "role": "Choose a user level.",
        "primary_group": "Choose the primary user group.",
    }
    assert not get_user_model().objects.filter(is_superuser=False).exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("ingrid-dahl", "The password is too similar to the"),
        ("password1", "This password is too common."),
        ("Xy7!", "This password is too short."),
        ("4839201748", "This password is entirely numeric."),
    ],
)
def test_it_applies_the_password_validators(superuser_client, groups, password, message):
    data = new_associate(groups, password1=password, password2=password)
    response = superuser_client.post(NEW, data)
    assert response.status_code == 200
    assert message in field_errors(response.content.decode())["password2"]
    assert not Associate.objects.exists()


def test_it_refuses_a_username_or_email_taken_in_another_case(superuser_client, groups):
    UserFactory(username="Ingrid", email="INGRID@example.no")
    response = superuser_client.post(NEW, new_associate(groups))
    errors = field_errors(response.content.decode())
    assert errors["username"] == "A user with that username already exists."
    assert errors["email"] == "Another login already has this e-mail address."


def test_it_saves_all_or_nothing(superuser_client, groups, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the associate could not be saved")

    monkeypatch.setattr(crm_forms.Associate.objects, "create", fail)
    superuser_client.raise_request_exception = False
    response = superuser_client.post(NEW, new_associate(groups))
    assert response.status_code == 500
    assert not get_user_model().objects.filter(username="ingrid").exists()


def test_it_answers_a_username_taken_a_moment_ago_on_the_field(
    superuser_client, groups, monkeypatch
):
    """Two admins saving the same username: the second gets the field's error, not a 500."""
    real_save = crm_forms.NewAssociateForm.save

    def save_after_the_other(form):
        AssociateFactory(user__username="ingrid")
        return real_save(form)

    monkeypatch.setattr(crm_forms.NewAssociateForm, "save", save_after_the_other)
    response = superuser_client.post(NEW, new_associate(groups))
    assert response.status_code == 200
    assert field_errors(response.content.decode())["username"] == (
        "A user with that username already exists."
    )
    assert get_user_model().objects.filter(username="ingrid").count() == 1

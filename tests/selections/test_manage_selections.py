"""The right "Can manage selections": without it no selection is created or changed,
not even one's own, and the pages offer no control for it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from crm.models import PERM_MANAGE_SELECTIONS
from demo.factories import CompanyFactory, SelectionFactory, SelectionMemberFactory
from selections.models import Criterion, Selection, SelectionMember
from tests.helpers import HTMX

pytestmark = pytest.mark.django_db
Field = Criterion.Field


@pytest.fixture
def own(reader):
    """Lise's (Read only) own selections, made before her role lost the right: a static
    one with a member and a dynamic one with a criterion."""
    static = SelectionFactory(owner=reader, name="Lise statisk")
    member = SelectionMemberFactory(selection=static, company=CompanyFactory(name="Alfa AS"))
    dynamic = SelectionFactory(owner=reader, name="Lise dynamisk", kind=Selection.Kind.DYNAMIC)
    criterion = dynamic.criteria.create(field=Field.CITY, value="Oslo")
    return {"static": static, "member": member, "dynamic": dynamic, "criterion": criterion}


def state() -> tuple:
    return (
        Selection.objects.count(),
        sorted(Selection.objects.values_list("kind", flat=True)),
        SelectionMember.objects.count(),
        Criterion.objects.count(),
    )


def changes(own) -> list[tuple[str, str, dict]]:
    """Every view that creates or changes a selection: (method, url, data)."""
    static, dynamic = own["static"], own["dynamic"]
    return [
        ("get", reverse("selections:new"), {}),
        (
            "post",
            reverse("selections:new"),
            {"name": "Ny", "kind": "static", "visibility": "owner"},
        ),
        ("get", reverse("selections:member_search", args=[static.pk]), {"q": "Alfa"}),
        (
            "post",
            reverse("selections:member_add", args=[static.pk]),
            {"company": CompanyFactory(name="Beta AS").pk},
        ),
        (
            "post",
            reverse("selections:member_remove", args=[static.pk, own["member"].pk]),
            {},
        ),
        ("get", reverse("selections:criterion_form", args=[dynamic.pk]), {"field": "city"}),
        (
            "post",
            reverse("selections:criterion_add", args=[dynamic.pk]),
            {"field": Field.CITY, "value": "Bergen"},
        ),
        (
            "post",
            reverse("selections:criterion_remove", args=[dynamic.pk, own["criterion"].pk]),
            {},
        ),
        ("post", reverse("selections:freeze", args=[dynamic.pk]), {}),
    ]


def test_it_grants_the_right_to_the_sales_roles_only(salesperson, manager, reader):
    assert salesperson.user.has_perm(PERM_MANAGE_SELECTIONS)
    assert manager.user.has_perm(PERM_MANAGE_SELECTIONS)
    assert not reader.user.has_perm(PERM_MANAGE_SELECTIONS)
    holders = Group.objects.filter(
        permissions=Permission.objects.get(codename="manage_selections")
    ).values_list("name", flat=True)
    assert sorted(holders) == ["Sales manager", "Salesperson"]


def test_it_refuses_every_change_without_the_right_even_to_the_owner(own, reader, login):
    client = login(reader)
    before = state()
    for method, url, data in changes(own):
        response = getattr(client, method)(url, data)

        assert response.status_code == 403, (method, url)
    for method, url, data in changes(own):  # and through htmx
        response = getattr(client, method)(url, data, headers=HTMX)

        assert response.status_code == 403, (method, url)
    assert state() == before


def test_it_still_answers_404_for_a_selection_the_user_cannot_see(own, reader, outsider, login):
    """Visibility comes first: a selection one may not see does not exist, right or not."""
    hidden = SelectionFactory(owner=outsider, visibility="owner")
    client = login(reader)

    assert client.get(reverse("selections:member_search", args=[hidden.pk])).status_code == 404
    assert client.post(reverse("selections:freeze", args=[hidden.pk])).status_code == 404


def test_it_lets_the_owner_change_with_the_right(own, reader, login):
    reader.user.user_permissions.add(Permission.objects.get(codename="manage_selections"))
    client = login(reader)
    for method, url, data in changes(own):
        response = getattr(client, method)(url, data)

        assert response.status_code in (200, 302), (method, url)
    assert Selection.objects.filter(name="Ny", owner=reader).exists()
    own["dynamic"].refresh_from_db()
    assert own["dynamic"].kind == Selection.Kind.STATIC


def test_it_hides_the_controls_without_the_right(own, reader, login):
    client = login(reader)

    static = client.get(own["static"].get_absolute_url()).content.decode()
    dynamic = client.get(own["dynamic"].get_absolute_url()).content.decode()
    listing = client.get(reverse("selections:list")).content.decode()

    assert "Alfa AS" in static  # the page is there, to look at
    assert reverse("selections:member_search", args=[own["static"].pk]) not in static
    assert reverse("selections:member_add", args=[own["static"].pk]) not in static
    assert "/members/" not in static.split('id="members"')[1]  # no Remove buttons
    assert "Oslo" in dynamic
    for name in ("criterion_add", "criterion_form", "freeze"):
        assert reverse(f"selections:{name}", args=[own["dynamic"].pk]) not in dynamic
    assert "/criteria/" not in dynamic
    assert reverse("selections:new") not in listing
    assert "Lise statisk" in listing


def test_it_shows_the_controls_to_an_owner_with_the_right(salesperson, login):
    static = SelectionFactory(owner=salesperson)
    SelectionMemberFactory(selection=static, company=CompanyFactory())
    dynamic = SelectionFactory(owner=salesperson, kind=Selection.Kind.DYNAMIC)
    criterion = dynamic.criteria.create(field=Field.CITY, value="Oslo")
    client = login(salesperson)

    static_page = client.get(static.get_absolute_url()).content.decode()
    dynamic_page = client.get(dynamic.get_absolute_url()).content.decode()

    assert reverse("selections:member_search", args=[static.pk]) in static_page
    assert reverse("selections:member_add", args=[static.pk]) not in static_page  # search first
    assert f"/selections/{static.pk}/members/" in static_page.split('id="members"')[1]
    assert reverse("selections:criterion_add", args=[dynamic.pk]) in dynamic_page
    assert reverse("selections:criterion_remove", args=[dynamic.pk, criterion.pk]) in dynamic_page
    assert reverse("selections:freeze", args=[dynamic.pk]) in dynamic_page
    assert reverse("selections:new") in client.get(reverse("selections:list")).content.decode()

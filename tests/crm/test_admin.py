"""Django admin: every page of our models answers, search works, big selections load."""

from functools import reduce

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from crm.models import Company
from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    PersonFactory,
    ProjectFactory,
    SelectionFactory,
    SelectionMemberFactory,
    UserFactory,
)
from selections.models import Selection, SelectionMember

pytestmark = pytest.mark.django_db

MODELS = sorted(
    (
        model
        for model in admin.site._registry
        if model._meta.app_label in {"crm", "selections", "auth"}
    ),
    key=lambda model: model._meta.label,
)


def admin_url(model, page: str, *args) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{page.format(*args)}"


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def one_of_each(db):
    """At least one row of every registered model (roles come with the migrations)."""
    owner = AssociateFactory(user__username="olav")
    member = SelectionMemberFactory(
        selection=SelectionFactory(name="Kunder Oslo", owner=owner),
        person=PersonFactory(
            last_name="Nordmann", company=CompanyFactory(name="Fjordlys AS", our_contact=owner)
        ),
    )
    ProjectFactory(name="Messe Bergen")
    assert Group.objects.exists()
    return member


def test_it_covers_our_models():
    labels = {model._meta.label for model in MODELS}
    assert {
        "auth.Group",
        "auth.User",
        "crm.Associate",
        "crm.Company",
        "crm.Person",
        "crm.Project",
        "crm.UserGroup",
        "selections.Selection",
        "selections.SelectionMember",
    } <= labels


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_it_shows_the_changelist_add_and_change_pages(superuser_client, one_of_each, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None

    for url in (
        admin_url(model, ""),
        admin_url(model, "add/"),
        admin_url(model, "{}/change/", obj.pk),
    ):
        response = superuser_client.get(url)
        assert response.status_code == 200, url


def search_term(obj, field: str) -> str:
    """The value of `obj` that search field `field` ("^name", "user__username") looks at."""
    path = field.lstrip("^=@").split("__")
    return str(reduce(getattr, path, obj))


SEARCHABLE = [model for model in MODELS if admin.site._registry[model].search_fields]


@pytest.mark.parametrize("model", SEARCHABLE, ids=lambda model: model._meta.label)
def test_it_searches_the_changelist(superuser_client, one_of_each, model):
    model_admin = admin.site._registry[model]
    obj = model._default_manager.order_by("pk").first()
    term = search_term(obj, model_admin.search_fields[0])
    assert term

    found = superuser_client.get(admin_url(model, ""), {"q": term})
    nothing = superuser_client.get(admin_url(model, ""), {"q": "no-such-thing-xq7"})

    assert found.status_code == nothing.status_code == 200
    assert obj in found.context["cl"].result_list
    assert nothing.context["cl"].result_count == 0


def change_page(client, selection):
    return client.get(f"/admin/selections/selection/{selection.pk}/change/")


def test_it_loads_a_big_selection_without_the_members_inline(superuser_client, rf):
    big, limit, small = SelectionFactory(), SelectionFactory(), SelectionFactory()
    companies = Company.objects.bulk_create(Company(name=f"Company {i}") for i in range(301))
    SelectionMember.objects.bulk_create(
        [SelectionMember(selection=big, company=c) for c in companies]
        + [SelectionMember(selection=limit, company=c) for c in companies[:300]]
        + [SelectionMember(selection=small, company=c) for c in companies[:3]]
    )

    big_page = change_page(superuser_client, big)
    small_page = change_page(superuser_client, small)

    assert big_page.status_code == small_page.status_code == 200
    assert big_page.context["inline_admin_formsets"] == []
    assert "Company 300" not in big_page.content.decode()
    [inline] = small_page.context["inline_admin_formsets"]
    assert inline.formset.queryset.count() == 3
    # Up to 300 members, they are edited inline.
    request = rf.get("/")
    request.user = UserFactory(username="root")
    assert admin.site._registry[Selection].get_inline_instances(request, limit)

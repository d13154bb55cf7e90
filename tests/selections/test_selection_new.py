"""A new selection: owned by whoever creates it, its description at most 2,000
characters."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from demo.factories import SelectionFactory
from selections.models import DESCRIPTION_MAX_LENGTH, Selection
from tests.helpers import element, elements

pytestmark = pytest.mark.django_db
URL = reverse("selections:new")


def data(**changes) -> dict:
    return {"name": "Kunder Oslo", "kind": "static", "visibility": "group", **changes}


def description_error(response) -> str:
    """The error shown next to the description field ("" if none)."""
    found = elements(response, "div", class_="errorlist", id="id_description_error")
    return found[0].text if found else ""


def test_it_creates_a_selection_owned_by_the_user(salesperson, login):
    response = login(salesperson).post(URL, data(description="Customers in Oslo"))

    selection = Selection.objects.get()
    assert response.status_code == 302 and response["Location"] == selection.get_absolute_url()
    assert (selection.owner, selection.description) == (salesperson, "Customers in Oslo")


def test_it_takes_a_description_of_exactly_the_limit(salesperson, login):
    login(salesperson).post(URL, data(description="x" * DESCRIPTION_MAX_LENGTH))

    assert len(Selection.objects.get().description) == DESCRIPTION_MAX_LENGTH == 2000


def test_it_refuses_a_longer_description_next_to_the_field(salesperson, login):
    response = login(salesperson).post(URL, data(description="x" * (DESCRIPTION_MAX_LENGTH + 1)))

    assert response.status_code == 200
    assert description_error(response) == ("Keep the description to 2000 characters (it has 2001).")
    assert not Selection.objects.exists()


def test_it_limits_the_field_in_the_browser_too(salesperson, login):
    html = login(salesperson).get(URL).content.decode()

    assert element(html, "textarea", name="description")["maxlength"] == "2000"


def test_the_model_refuses_a_longer_description(salesperson):
    """Admin and any other ModelForm apply the same limit."""
    selection = SelectionFactory.build(
        owner=salesperson, description="x" * (DESCRIPTION_MAX_LENGTH + 1)
    )

    with pytest.raises(ValidationError) as error:
        selection.full_clean()

    assert list(error.value.message_dict) == ["description"]

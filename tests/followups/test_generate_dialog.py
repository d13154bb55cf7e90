"""GET the Generate follow-ups dialog (followups.views.generate_dialog)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    SelectionFactory,
    SelectionMemberFactory,
)
from followups.models import FollowUpType
from selections.models import Visibility
from tests.helpers import HTMX, element, elements, text

pytestmark = pytest.mark.django_db


def url(selection, query: str = "") -> str:
    return reverse("followups:generate_dialog", args=[selection.pk]) + query


@pytest.fixture
def members(selection):
    return [
        SelectionMemberFactory(selection=selection, person=None, company=CompanyFactory())
        for _ in range(3)
    ]


def test_it_opens_on_a_selection_of_my_user_group(login, salesperson):
    colleague = AssociateFactory(primary_group=salesperson.primary_group)
    ours = SelectionFactory(owner=colleague, visibility=Visibility.GROUP)

    assert login(salesperson).get(url(ours)).status_code == 200


def test_it_answers_htmx_with_the_dialog_only(login, salesperson, selection, members):
    response = login(salesperson).get(url(selection), headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith('<dialog id="generate-dialog"')
    assert html.endswith("</dialog>")
    assert "data-modal" in html
    assert not elements(html, "html")
    assert "breadcrumbs" not in html
    assert element(html, "button", data_close_dialog=True, aria_label="Close").text == "×"


def test_it_is_a_page_without_htmx(login, salesperson, selection, members):
    response = login(salesperson).get(url(selection))

    assert response.status_code == 200
    html = response.content.decode()
    assert elements(html, "html")
    assert element(html, "dialog", id="generate-dialog", open=True)
    cancel = element(html, "a", href=selection.get_absolute_url(), text="Cancel")
    assert cancel["class"] == "button"
    assert element(html, "form", action=reverse("followups:generate_save", args=[selection.pk]))


def test_it_says_how_many_members_it_is_for(login, salesperson, selection, members):
    client = login(salesperson)

    everyone = client.get(url(selection), headers=HTMX)
    ticked = client.get(
        url(selection, f"?selected_only=on&members={members[0].pk}&members={members[2].pk}"),
        headers=HTMX,
    )

    assert "For all 3 members of “Kunder Oslo”" in text(everyone)
    assert "For the 2 ticked members of “Kunder Oslo”" in text(ticked)
    html = ticked.content.decode()
    assertInHTML('<input type="hidden" name="selected_only" value="on">', html)
    ids = f"{members[0].pk},{members[2].pk}"  # one hidden input, the ids as ranges
    assertInHTML(f'<input type="hidden" name="members" value="{ids}" id="id_members">', html)
    assert len(elements(html, name="members")) == 1


def test_it_shows_the_fields_in_the_help_pages_order(login, salesperson, selection, members):
    html = login(salesperson).get(url(selection), headers=HTMX).content.decode()

    names = [
        "type",
        "start_date",
        "description",
        "project_text",
        "priority",
        "completed",
        "one_per_company",
        "owner_mode",
        "owner_associate",
    ]
    positions = [html.find(f'name="{name}"') for name in names]
    assert -1 not in positions
    assert positions == sorted(positions)
    assert html.find('type="submit"') > positions[-1]


def test_it_fills_in_the_defaults(login, salesperson, selection, members):
    html = login(salesperson).get(url(selection), headers=HTMX).content.decode()

    today = f"{timezone.localdate():%d.%m.%Y}"  # the associate's style: day first
    start = element(html, "input", name="start_date")
    assert (start["type"], start["value"]) == ("text", today)
    assert start["placeholder"] == "dd.mm.yyyy"
    assert start["data-date-picker"] == "%d.%m.%Y"
    assert elements(html, "option", selected=True, value="", text="")  # priority blank
    assert element(html, "input", name="owner_mode", value="mine", checked=True)
    assert element(html, "input", name="completed", checked=False)
    assert element(html, "input", name="one_per_company", checked=False)


def test_it_offers_active_types_by_rank(login, salesperson, selection, members, call_type):
    FollowUpType.objects.filter(name="Presentation").update(active=False)

    html = login(salesperson).get(url(selection), headers=HTMX).content.decode()

    select = element(html, "select", name="type")
    assert [option.text for option in elements(select.html, "option") if option.text] == [
        "Meeting",
        "Phone call",
        "To-do",
        "Send offer",
        "Follow-up call",
    ]


def test_it_disables_our_contact_mode_without_the_right(
    login, salesperson, manager, selection, members
):
    as_salesperson = login(salesperson).get(url(selection), headers=HTMX).content.decode()
    as_manager = login(manager).get(url(selection), headers=HTMX).content.decode()

    radio = r'<input type="radio" name="owner_mode" value="our_contact"[^>]*>'
    assert " disabled " in re.search(radio, as_salesperson).group(0)
    assert "Your role does not allow this." in as_salesperson
    assert " disabled" not in re.search(radio, as_manager).group(0)
    assert "Your role does not allow this." not in as_manager


def test_it_offers_only_the_associates_i_may_assign_to(
    login, salesperson, outsider, selection, members
):
    colleague = AssociateFactory(
        primary_group=salesperson.primary_group,
        user__first_name="Ingrid",
        user__last_name="Kollega",
    )
    AssociateFactory(primary_group=salesperson.primary_group, active=False)

    html = login(salesperson).get(url(selection), headers=HTMX).content.decode()

    select = element(html, "select", name="owner_associate")
    options = elements(select.html, "option", value=re.compile(r"\d+"))
    assert {option["value"] for option in options} == {str(salesperson.pk), str(colleague.pk)}
    assert "Ingrid Kollega" in [option.text for option in options]


def test_it_carries_a_new_one_time_key_each_time(login, salesperson, selection, members):
    client = login(salesperson)

    keys = [
        re.search(
            r'name="key" value="([0-9a-f-]{36})"', client.get(url(selection)).content.decode()
        ).group(1)
        for _ in range(2)
    ]

    assert keys[0] != keys[1]


def test_it_accepts_only_get_and_post(login, salesperson, selection):
    client = login(salesperson)

    assert client.put(url(selection)).status_code == 405
    assert client.patch(url(selection)).status_code == 405
    assert client.delete(url(selection)).status_code == 405

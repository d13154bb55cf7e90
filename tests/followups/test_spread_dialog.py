"""The dialog's "Spread across a user group" and "Spread the start over": the right,
the groups offered, validation next to the fields, the preview and the save."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    PersonFactory,
    SelectionFactory,
    SelectionMemberFactory,
    UserGroupFactory,
)
from followups.models import FollowUp, Generation, OwnerMode, SpreadMethod
from selections.models import Visibility
from tests.helpers import HTMX, element, elements, error_next_to, text

pytestmark = pytest.mark.django_db


def owner_rows(source) -> list[tuple[str, list[str]]]:
    """The preview's table: (owner, the texts of the row's cells) for each owner's row."""
    found = []
    for row in elements(source, "tr"):
        head = elements(row.html, "th", scope="row", class_="owner-name")
        if head:
            found.append((head[0].text, [cell.text for cell in elements(row.html, "td")]))
    return found


def save(selection) -> str:
    return reverse("followups:generate_save", args=[selection.pk])


def preview(selection) -> str:
    return reverse("followups:generate_preview", args=[selection.pk])


def grant_spread(associate) -> None:
    associate.user.user_permissions.add(Permission.objects.get(codename="spread_across_group"))


@pytest.fixture
def team(group):
    """The user group Salg Oslo (the fixtures' own), with two more who may receive
    follow-ups and one who may not."""
    AssociateFactory(primary_group=group, user__first_name="Ida", user__last_name="Aas")
    AssociateFactory(primary_group=group, user__first_name="Jon", user__last_name="Bø")
    AssociateFactory(primary_group=group, active=False, user__first_name="Gone")
    return group


@pytest.fixture
def members(selection):
    """Three companies of 1, 2 and 3 persons, and one person with no company: 7 rows."""
    for size in (1, 2, 3):
        company = CompanyFactory()
        for _ in range(size):
            SelectionMemberFactory(selection=selection, person=PersonFactory(company=company))
    SelectionMemberFactory(selection=selection, person=PersonFactory(company=None))


def spread(dialog_data, group, **changes):
    return dialog_data(owner_mode="group", owner_group=str(group.pk), **changes)


def test_the_roles_that_assign_to_our_contacts_have_the_right(manager, salesperson, reader):
    assert manager.user.has_perm("crm.spread_across_group")
    assert not salesperson.user.has_perm("crm.spread_across_group")
    assert not reader.user.has_perm("crm.spread_across_group")


def test_it_shows_the_choice_disabled_without_the_right(login, salesperson, selection, members):
    html = (
        login(salesperson)
        .get(reverse("followups:generate_dialog", args=[selection.pk]), headers=HTMX)
        .content.decode()
    )
    radio = element(html, "input", type="radio", name="owner_mode", value="group")
    assert "disabled" in radio.attrs
    assert element(html, id="group-denied")
    assert not elements(html, name="owner_group")


def test_it_refuses_the_choice_without_the_right(
    login, salesperson, selection, members, team, dialog_data
):
    response = login(salesperson).post(save(selection), spread(dialog_data, team), headers=HTMX)
    assert error_next_to(response, "owner_mode") == (
        "Your role does not allow spreading follow-ups across a user group."
    )
    assert not Generation.objects.exists()


def test_it_offers_the_groups_other_associate_allows(
    login, salesperson, manager, selection, team, other_group
):
    grant_spread(salesperson)
    UserGroupFactory(name="Kundeservice")
    dialog = reverse("followups:generate_dialog", args=[selection.pk])

    def offered(associate) -> list[str]:
        html = login(associate).get(dialog, headers=HTMX).content.decode()
        select = element(html, "select", name="owner_group")
        return [option.text for option in elements(select.html, "option", value=re.compile(r"\d+"))]

    assert offered(salesperson) == ["Salg Oslo"]  # their own groups only
    assert offered(manager) == ["Kundeservice", "Salg Bergen", "Salg Oslo"]  # may see all


def test_it_asks_for_the_group(login, manager, selection, members, dialog_data):
    response = login(manager).post(
        save(selection), dialog_data(owner_mode="group", owner_group=""), headers=HTMX
    )
    assert error_next_to(response, "owner_group") == "Choose the user group to spread them across."
    assert not Generation.objects.exists()


def test_it_says_when_no_one_in_the_group_can_receive_them(
    login, manager, selection, members, dialog_data
):
    gone = UserGroupFactory(name="Sluttet")
    AssociateFactory(primary_group=gone, active=False)
    AssociateFactory(primary_group=gone, user__is_active=False)
    client = login(manager)

    response = client.post(save(selection), spread(dialog_data, gone), headers=HTMX)
    assert error_next_to(response, "owner_group") == (
        "No one in this user group can receive follow-ups."
    )
    response = client.post(preview(selection), spread(dialog_data, gone), headers=HTMX)
    assert "will be created" not in response.content.decode()
    assert not Generation.objects.exists()


def test_it_checks_ownership_of_the_group(
    login, salesperson, selection, members, other_group, dialog_data
):
    grant_spread(salesperson)
    AssociateFactory(primary_group=other_group)
    client = login(salesperson)

    for value in (str(other_group.pk), "999999", "abc", "1; DROP TABLE x", "1.5"):
        response = client.post(
            save(selection),
            dialog_data(owner_mode="group", owner_group=value),
            headers=HTMX,
        )
        assert response.status_code == 200
        assert error_next_to(response, "owner_group") == (
            "You cannot spread follow-ups across that user group."
        )
        assert (
            client.post(
                preview(selection), dialog_data(owner_mode="group", owner_group=value), headers=HTMX
            ).status_code
            == 200
        )
    assert not Generation.objects.exists()


def test_it_checks_ownership_of_the_selection(login, manager, team, dialog_data, outsider):
    hidden = SelectionFactory(owner=outsider, visibility=Visibility.OWNER)
    SelectionMemberFactory(selection=hidden)

    response = login(manager).post(save(hidden), spread(dialog_data, team), headers=HTMX)

    # A sales manager sees every associate, not every selection: one visible to its
    # owner only is not found.
    assert response.status_code == 404
    assert not Generation.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("spread_method", "round_robin", "Choose evenly or by open load."),
        ("spread_days", "0", "Spread the start over 1 working day or more."),
        ("spread_days", "61", "Spread the start over at most 60 working days."),
        ("spread_days", "fem", "Enter a whole number of working days, such as 5."),
    ],
)
def test_it_refuses_tampered_spread_values(
    login, manager, selection, members, team, dialog_data, field, value, message
):
    response = login(manager).post(
        save(selection), spread(dialog_data, team, **{field: value}), headers=HTMX
    )
    assert response.status_code == 200
    assert error_next_to(response, field) == message
    assert not Generation.objects.exists()


def test_the_preview_shows_each_associates_share(
    login, manager, salesperson, selection, members, team, dialog_data
):
    response = login(manager).post(preview(selection), spread(dialog_data, team), headers=HTMX)

    shown = text(response.content.decode())
    assert "7 follow-ups will be created, for 4 companies." in shown
    assert "Shared evenly" in shown
    # 7 rows over the 4 of Salg Oslo, by id: the units of 1, 2, 3 persons and the loner.
    rows = owner_rows(response)
    assert [name for name, _ in rows] == ["You", salesperson.name, "Ida Aas", "Jon Bø"]
    assert [int(cells[0]) for _, cells in rows] == [1, 2, 3, 1]  # each unit whole, in order


def test_the_preview_shows_open_followups_before_and_after_by_load(
    login, manager, selection, members, team, dialog_data, call_type
):
    ida = team.primary_associates.get(user__first_name="Ida")
    FollowUp.objects.create(
        type=call_type, start_date="2026-01-05", description="x", owner=ida, created_by=ida
    )

    response = login(manager).post(
        preview(selection), spread(dialog_data, team, spread_method="by_load"), headers=HTMX
    )

    html = response.content.decode()
    assert "Shared by open load" in text(html)
    ida_row = dict(owner_rows(html))["Ida Aas"]
    assert re.fullmatch(r"\d+", ida_row[0]) and re.fullmatch(r"1 → \d+", ida_row[1])
    assert element(html, "th", scope="row", class_="owner-name", text="Ida Aas")


def test_the_preview_says_the_range_of_spread_starts(
    login, manager, selection, members, team, dialog_data
):
    response = login(manager).post(
        preview(selection),
        spread(dialog_data, team, start_date="2026-03-27", spread_days="3"),
        headers=HTMX,
    )
    # Friday 27 March, then Monday 30 and Tuesday 31 March 2026.
    assert "Starts spread over 3 working days, 27.03.2026 to 31.03.2026." in text(
        response.content.decode()
    )


def test_it_saves_the_split_the_preview_showed(
    login, manager, selection, members, team, dialog_data
):
    client = login(manager)
    data = spread(dialog_data, team, spread_days="2")
    shown = client.post(preview(selection), data, headers=HTMX).content.decode()
    announced = {name: int(cells[0]) for name, cells in owner_rows(shown)}

    response = client.post(save(selection), data, headers=HTMX)

    assert response.status_code == 200 and "HX-Trigger" in response
    generation = Generation.objects.get()
    assert generation.owner_mode == OwnerMode.GROUP
    assert generation.owner_group == team
    assert generation.spread_method == SpreadMethod.EVENLY
    assert generation.spread_days == 2
    saved = FollowUp.objects.filter(generation=generation).select_related("owner__user")
    # Each owner by full name: two associates may share a first name.
    assert FollowUp.objects.count() == saved.count()
    assert Counter("You" if f.owner == manager else f.owner.name for f in saved) == announced
    message = text(response.content.decode())
    assert "Created 7 follow-ups across the user group Salg Oslo:" in message


def test_the_generation_page_names_the_group(login, manager, selection, members, team, dialog_data):
    client = login(manager)
    client.post(save(selection), spread(dialog_data, team, spread_method="by_load"), headers=HTMX)
    generation = Generation.objects.get()

    page = text(
        client.get(reverse("followups:generation_detail", args=[generation.pk])).content.decode()
    )

    assert "Spread across the user group Salg Oslo: By open load" in page

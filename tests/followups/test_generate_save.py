"""POST the dialog to save (followups.views.generate_save)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date

import pytest
from django.urls import reverse

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    FollowUpTypeFactory,
    PersonFactory,
    PriorityFactory,
    ProjectFactory,
    SelectionFactory,
    SelectionMemberFactory,
)
from followups.models import FollowUp, Generation, OwnerMode
from selections.models import Visibility
from tests.helpers import HTMX, element, elements, error_next_to, form_errors, text

pytestmark = pytest.mark.django_db


def url(selection) -> str:
    return reverse("followups:generate_save", args=[selection.pk])


def message(response) -> str:
    """The message the page shows after saving (first sentence: an action may follow)."""
    return re.match(r"[^.]*\.", text(response.content.decode())).group(0)


def nothing_written() -> bool:
    return not FollowUp.objects.exists() and not Generation.objects.exists()


@pytest.fixture
def eva():
    return AssociateFactory(user__first_name="Eva", user__last_name="Eier")


@pytest.fixture
def members(selection, eva):
    """Fjord AS (our contact Eva) with two persons, and Fjell AS with no our contact."""
    fjord = CompanyFactory(name="Fjord AS", our_contact=eva)
    return [
        SelectionMemberFactory(selection=selection, person=PersonFactory(company=fjord)),
        SelectionMemberFactory(selection=selection, person=PersonFactory(company=fjord)),
        SelectionMemberFactory(
            selection=selection, person=None, company=CompanyFactory(name="Fjell AS")
        ),
    ]


# Who may save --------------------------------------------------------------------------


def test_it_accepts_only_post(login, salesperson, selection):
    assert login(salesperson).get(url(selection)).status_code == 405


# Saving --------------------------------------------------------------------------------


def test_it_saves_and_tells_the_page_with_htmx(
    login, salesperson, selection, members, dialog_data, call_type
):
    response = login(salesperson).post(url(selection), dialog_data(), headers=HTMX)

    assert response.status_code == 200
    generation = Generation.objects.get()
    assert json.loads(response["HX-Trigger"]) == {
        "followupsCreated": {"generation": generation.pk, "count": 3, "new": True}
    }
    assert response["HX-Reswap"] == "none"
    html = response.content.decode().strip()
    assert elements(html)[0] == element(html, "div", id="messages", hx_swap_oob="true")
    assert message(response) == "Created 3 follow-ups in your activity list."
    assert not elements(html, "form")
    assert (
        FollowUp.objects.filter(
            generation=generation, owner=salesperson, created_by=salesperson, type=call_type
        ).count()
        == 3
    )


def test_it_redirects_to_the_selection_without_htmx(
    login, salesperson, selection, members, dialog_data
):
    client = login(salesperson)

    response = client.post(url(selection), dialog_data())

    assert response.status_code == 302
    assert response["Location"] == selection.get_absolute_url()
    assert FollowUp.objects.count() == 3
    page = client.get(response["Location"])
    assert "Created 3 follow-ups in your activity list." in page.content.decode()


def test_it_saves_every_field(login, salesperson, selection, members, dialog_data):
    project = ProjectFactory(name="Vårkampanje 2026")
    priority = PriorityFactory(name="Urgent")

    login(salesperson).post(
        url(selection),
        dialog_data(
            start_date="2026-05-04",
            description="Ring om tilbudet\nSe notatene",
            project_text="vårkamp",
            priority=str(priority.pk),
            completed="on",
            one_per_company="on",
        ),
        headers=HTMX,
    )

    generation = Generation.objects.get()
    assert (generation.project, generation.priority) == (project, priority)
    assert (generation.completed, generation.one_per_company) == (True, True)
    followups = list(FollowUp.objects.all())
    assert len(followups) == 2  # one per company
    for followup in followups:
        assert followup.start_date == date(2026, 5, 4)
        assert followup.description == "Ring om tilbudet\nSe notatene"
        assert (followup.project, followup.priority) == (project, priority)
        assert followup.completed is True
        assert followup.completed_at is not None


def test_it_saves_the_project_picked_from_the_list(
    login, salesperson, selection, members, dialog_data
):
    ProjectFactory(name="Messe")
    picked = ProjectFactory(name="Messe")

    response = login(salesperson).post(
        url(selection), dialog_data(project_text="Messe", project=str(picked.pk)), headers=HTMX
    )

    assert "HX-Trigger" in response
    assert set(FollowUp.objects.values_list("project", flat=True)) == {picked.pk}


def test_it_saves_for_the_ticked_members_only(login, salesperson, selection, members, dialog_data):
    ticked = [members[0], members[2]]

    login(salesperson).post(
        url(selection),
        dialog_data(selected_only="on", members=[str(m.pk) for m in ticked]),
        headers=HTMX,
    )

    assert set(FollowUp.objects.values_list("company", "person")) == {
        (m.company_id, m.person_id) for m in ticked
    }
    assert Generation.objects.get().selected_count == 2


def test_it_gives_them_to_the_our_contacts_with_the_right(
    login, manager, selection, members, dialog_data, eva
):
    response = login(manager).post(
        url(selection), dialog_data(owner_mode="our_contact"), headers=HTMX
    )

    assert message(response) == (
        "Created 3 follow-ups in the our contacts' activity lists: Eva Eier 2, you 1."
    )
    assert set(FollowUp.objects.values_list("person", "owner")) == {
        (members[0].person_id, eva.pk),
        (members[1].person_id, eva.pk),
        (None, manager.pk),  # Fjell AS has no our contact
    }


def test_it_gives_them_to_the_other_associate(login, salesperson, selection, members, dialog_data):
    colleague = AssociateFactory(
        primary_group=salesperson.primary_group,
        user__first_name="Ingrid",
        user__last_name="Kollega",
    )

    response = login(salesperson).post(
        url(selection),
        dialog_data(owner_mode="other", owner_associate=str(colleague.pk)),
        headers=HTMX,
    )

    assert message(response) == "Created 3 follow-ups in Ingrid Kollega's activity list."
    assert set(FollowUp.objects.values_list("owner", flat=True)) == {colleague.pk}
    assert Generation.objects.get().owner_mode == OwnerMode.OTHER


# Invalid input -------------------------------------------------------------------------


def test_it_shows_the_form_again_with_the_values_kept(
    login, salesperson, selection, members, dialog_data
):
    priority = PriorityFactory(name="Urgent")
    data = dialog_data(
        description="",
        start_date="2026-06-15",
        project_text="Ingen slikt",
        priority=str(priority.pk),
        completed="on",
        one_per_company="on",
    )

    response = login(salesperson).post(url(selection), data, headers=HTMX)

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    html = response.content.decode().strip()
    assert html.startswith('<form id="generate-form"')
    assert not elements(html, "dialog")
    assert error_next_to(response, "description") == "Describe the follow-up."
    assert "No active project matches “Ingen slikt”." in html
    assert element(html, "input", name="project_text", id="id_project_text", value="Ingen slikt")
    assert element(html, "input", name="start_date")["value"] == "2026-06-15"
    assert element(html, "option", value=priority.pk, selected=True).text == priority.name
    assert element(html, "input", name="completed", checked=True)
    assert element(html, "input", name="one_per_company", checked=True)
    assert element(html, "input", name="key")["value"] == data["key"]  # the same one-time key
    assert "For all 3 members of “Kunder Oslo”" in text(html)
    assert nothing_written()


def test_it_keeps_the_description_and_the_other_associate(
    login, salesperson, selection, members, dialog_data
):
    colleague = AssociateFactory(primary_group=salesperson.primary_group)

    response = login(salesperson).post(
        url(selection),
        dialog_data(
            type="",
            description="Ring & avtal <møte>",
            owner_mode="other",
            owner_associate=str(colleague.pk),
        ),
        headers=HTMX,
    )

    html = response.content.decode()
    assert error_next_to(response, "type") == "Choose a follow-up type."
    assert "Ring &amp; avtal &lt;møte&gt;</textarea>" in html  # escaped
    assert element(html, "textarea", name="description").text == "Ring & avtal <møte>"
    assert element(html, "option", value=colleague.pk, selected=True).text == colleague.name
    assert element(html, "input", name="owner_mode", value="other", checked=True)
    assert nothing_written()


def test_it_shows_the_page_again_without_htmx(login, salesperson, selection, members, dialog_data):
    response = login(salesperson).post(url(selection), dialog_data(description=""))

    assert response.status_code == 200
    html = response.content.decode()
    assert elements(html, "html")
    assert element(html, "dialog", id="generate-dialog", open=True)
    assert error_next_to(response, "description") == "Describe the follow-up."
    assert nothing_written()


def test_it_refuses_an_empty_selection(login, salesperson, selection, dialog_data):
    response = login(salesperson).post(url(selection), dialog_data(), headers=HTMX)

    assert form_errors(response) == "This selection has no members, so there is nothing to create."
    assert nothing_written()


def test_it_refuses_our_contact_mode_without_the_right(
    login, salesperson, selection, members, dialog_data
):
    response = login(salesperson).post(
        url(selection), dialog_data(owner_mode="our_contact"), headers=HTMX
    )

    assert error_next_to(response, "owner_mode") == (
        "Your role does not allow assigning follow-ups to the companies' our contacts."
    )
    assert nothing_written()


# Ids from the browser ------------------------------------------------------------------


def test_it_checks_ownership_of_the_type(login, salesperson, selection, members, dialog_data):
    client = login(salesperson)
    retired = FollowUpTypeFactory(active=False)

    for value in (str(retired.pk), "999999", "1; DROP TABLE x"):
        response = client.post(url(selection), dialog_data(type=value), headers=HTMX)
        assert error_next_to(response, "type") == (
            "That follow-up type is no longer available; choose another."
        )
    assert nothing_written()


def test_it_checks_ownership_of_the_priority(login, salesperson, selection, members, dialog_data):
    client = login(salesperson)
    retired = PriorityFactory(active=False)

    for value in (str(retired.pk), "999999"):
        response = client.post(url(selection), dialog_data(priority=value), headers=HTMX)
        assert error_next_to(response, "priority") == (
            "That priority is no longer available; choose another."
        )
    assert nothing_written()


def test_it_checks_ownership_of_the_project(login, salesperson, selection, members, dialog_data):
    retired = ProjectFactory(name="Gammel avtale", active=False)

    response = login(salesperson).post(
        url(selection),
        dialog_data(project_text="Gammel avtale", project=str(retired.pk)),
        headers=HTMX,
    )

    assert error_next_to(response, "project_text") == "No active project matches “Gammel avtale”."
    assert nothing_written()


def test_it_checks_ownership_of_the_associate(
    login, salesperson, outsider, selection, members, dialog_data
):
    client = login(salesperson)
    gone = AssociateFactory(primary_group=salesperson.primary_group, active=False)

    for associate in (outsider, gone):
        response = client.post(
            url(selection),
            dialog_data(owner_mode="other", owner_associate=str(associate.pk)),
            headers=HTMX,
        )
        assert error_next_to(response, "owner_associate") == (
            "You cannot assign follow-ups to that associate."
        )
    assert nothing_written()


def test_it_checks_ownership_of_the_members(
    login, salesperson, outsider, selection, members, dialog_data
):
    theirs = SelectionMemberFactory(
        selection=SelectionFactory(owner=outsider, visibility=Visibility.OWNER)
    )

    response = login(salesperson).post(
        url(selection),
        dialog_data(selected_only="on", members=[str(members[0].pk), str(theirs.pk)]),
        headers=HTMX,
    )

    assert form_errors(response) == (
        "1 ticked member is no longer in this selection; reload the page."
    )
    assert nothing_written()


# The one-time key ----------------------------------------------------------------------


def test_a_double_submit_creates_once(login, salesperson, selection, members, dialog_data):
    client = login(salesperson)
    data = dialog_data()

    first = client.post(url(selection), data, headers=HTMX)
    second = client.post(url(selection), data, headers=HTMX)

    generation = Generation.objects.get()
    assert FollowUp.objects.count() == 3
    assert json.loads(first["HX-Trigger"])["followupsCreated"]["new"] is True
    assert json.loads(second["HX-Trigger"]) == {
        "followupsCreated": {"generation": generation.pk, "count": 3, "new": False}
    }
    assert message(second) == "Created 3 follow-ups in your activity list."


def test_it_refuses_a_key_used_by_someone_else(
    login, salesperson, manager, selection, members, dialog_data
):
    data = dialog_data()
    login(manager).post(url(selection), data, headers=HTMX)

    response = login(salesperson).post(url(selection), data, headers=HTMX)

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert form_errors(response) == "This dialog was already used by someone else; open it again."
    assert FollowUp.objects.count() == 3
    assert not FollowUp.objects.filter(created_by=salesperson).exists()


def test_a_new_key_creates_again(login, salesperson, selection, members, dialog_data):
    client = login(salesperson)

    client.post(url(selection), dialog_data(), headers=HTMX)
    client.post(url(selection), dialog_data(key=str(uuid.uuid4())), headers=HTMX)

    assert Generation.objects.count() == 2
    assert FollowUp.objects.count() == 6


# Queries -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [10, 1000])
def test_it_takes_the_same_queries_for_10_and_1000_members(
    login, manager, selection, add_members, dialog_data, django_assert_num_queries, size
):
    add_members(selection, size)
    client = login(manager)

    # 1. the session, 2. the login
    # 3. the associate, 4. their other user groups
    # 5. the selection, if this associate may see it
    # 6. the login's own permissions, 7. its roles' permissions (the task right)
    # 8. the follow-up type
    # 9. does the selection have members?
    # 10. the selection's kind and criteria, 11. how many follow-ups (the preview's
    # count: above BACKGROUND_GENERATION_ABOVE the save would run in the background)
    # 12. a generation with this key already?
    # 13. SAVEPOINT, 14. the selection's kind and criteria (row share-locked on
    # PostgreSQL), 15. INSERT the generation,
    # 16. INSERT INTO follow-ups … SELECT from the members, 17. UPDATE its count,
    # 18. RELEASE SAVEPOINT
    # 19. the message: follow-ups per our contact, 20. their names
    with django_assert_num_queries(20):
        response = client.post(url(selection), dialog_data(owner_mode="our_contact"), headers=HTMX)

    assert json.loads(response["HX-Trigger"])["followupsCreated"]["count"] == size
    assert FollowUp.objects.count() == size

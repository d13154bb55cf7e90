"""What the Generate follow-ups dialog and the pages around it give the script to work
with, and what the server answers: the Task menu's two choices, the description's
counter and limit, the Project list in pages, the preview's fallbacks, a save's status
address, the discard question and the activity list's tick that keeps the focus."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
from django.urls import reverse

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    FollowUpFactory,
    PersonFactory,
    ProjectFactory,
    SelectionFactory,
    SelectionMemberFactory,
)
from followups.models import DESCRIPTION_MAX_LENGTH, FollowUp, Generation
from followups.views import PROJECT_SUGGESTIONS
from tests.helpers import HTMX, element, elements, text

pytestmark = pytest.mark.django_db

PROJECTS = reverse("followups:project_options")


def dialog_url(selection) -> str:
    return reverse("followups:generate_dialog", args=[selection.pk])


def save_url(selection) -> str:
    return reverse("followups:generate_save", args=[selection.pk])


def preview_url(selection) -> str:
    return reverse("followups:generate_preview", args=[selection.pk])


@pytest.fixture
def members(selection):
    return [
        SelectionMemberFactory(selection=selection, person=None, company=CompanyFactory())
        for _ in range(3)
    ]


# The Task menu: the ticked members, or all of them ------------------------------------


def test_the_task_menu_offers_the_ticked_members_and_all_members(
    login, salesperson, selection, members
):
    html = login(salesperson).get(selection.get_absolute_url()).content.decode()

    ticked = element(html, "button", data_ticked_choice=True)
    assert (ticked["name"], ticked["value"]) == ("selected_only", "on")  # without JavaScript too
    assert ticked["data-label-one"] == "Create follow-ups for the {n} ticked member"
    assert ticked["data-label-other"] == "Create follow-ups for the {n} ticked members"
    assert ticked.text == "Create follow-ups for the ticked members"
    everyone = element(html, "button", data_all_choice=True)
    assert "name" not in everyone.attrs
    assert everyone.text == "Create follow-ups for all members (3)"
    assert element(html, **{"data-member-count": "3"})  # what the script counts "all" from
    assert "Perform task on selected members only" not in html
    # The row checkboxes belong to the menu's form, whose ids travel as ranges.
    assert "data-member-ranges" in element(html, "form", id="task-form").attrs
    assert len(elements(html, "input", name="members", value=re.compile(r"\d+"))) == 3


def test_the_task_menu_of_a_one_member_selection(login, salesperson, selection):
    SelectionMemberFactory(selection=selection)

    html = login(salesperson).get(selection.get_absolute_url()).content.decode()

    assert (
        element(html, "button", data_all_choice=True).text == "Create follow-ups for its one member"
    )


def test_the_dialog_heading_says_which_choice_was_made(login, salesperson, selection, members):
    client = login(salesperson)

    ticked = client.post(
        dialog_url(selection),
        {"selected_only": "on", "members": f"{members[0].pk},{members[2].pk}"},
        headers=HTMX,
    )
    everyone = client.post(dialog_url(selection), {"members": str(members[0].pk)}, headers=HTMX)

    assert "For the 2 ticked members of “Kunder Oslo”" in text(ticked)
    assert "For all 3 members of “Kunder Oslo”" in text(everyone)


def test_none_ticked_with_the_ticked_choice_says_what_to_do(
    login, salesperson, selection, members, dialog_data
):
    """What a browser without JavaScript sends when the ticked choice is taken with no
    row ticked."""
    response = login(salesperson).post(
        save_url(selection), dialog_data(selected_only="on"), headers=HTMX
    )

    assert "Tick at least one member in the list, or create follow-ups for all members." in (
        text(response)
    )
    assert Generation.objects.count() == 0


# Description: a counter, no silent cut, the server's limit ------------------------------


def test_the_description_has_a_counter_and_no_maxlength(login, salesperson, selection, members):
    html = login(salesperson).get(dialog_url(selection), headers=HTMX).content.decode()

    textarea = element(html, "textarea", name="description")
    assert "maxlength" not in textarea.attrs
    assert textarea["aria-describedby"] == "id_description_helptext"
    helptext = re.search(r'<div id="id_description_helptext">(.*?)</div>', html, re.S).group(1)
    counter = element(helptext, "p", id="id_description-count")  # read with the field
    assert "At most 2,048 characters. Lists show the first line." in text(helptext)
    assert counter["data-count-for"] == "id_description"
    assert counter["data-limit"] == "2048"
    assert counter["data-over-text"] == "{n} too many"
    assert counter.text == "0 / 2,048"


def test_a_description_over_the_limit_is_an_error_next_to_it_and_kept_whole(
    login, salesperson, selection, members, dialog_data
):
    long = "x" * (DESCRIPTION_MAX_LENGTH + 52)

    response = login(salesperson).post(
        save_url(selection), dialog_data(description=long), headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(
        r'id="id_description_error"[^>]*>\s*(<p>)?Keep the description to 2048 characters '
        r"\(it has 2100\)\.",
        html,
    )
    textarea = element(html, "textarea", name="description")
    assert textarea.text == long  # as typed, not cut
    assert element(html, "p", class_="hint char-count over").text == "2,100 / 2,048"
    assert textarea["aria-describedby"] == "id_description_helptext id_description_error"
    assert FollowUp.objects.count() == 0


def test_a_line_break_counts_as_one_character(login, salesperson, selection, members, dialog_data):
    """A browser sends each line break as CR LF; the counter, and the person, count one."""
    lines = "x" * 1023 + "\r\n" + "y" * 1024  # 2,048 characters as seen

    response = login(salesperson).post(
        save_url(selection), dialog_data(description=lines), headers=HTMX
    )

    assert response.status_code == 200 and response["HX-Trigger"]
    assert set(FollowUp.objects.values_list("description", flat=True)) == {
        "x" * 1023 + "\n" + "y" * 1024
    }


# The Project list in pages of twenty -------------------------------------------------


@pytest.fixture
def campaigns(db):
    return [ProjectFactory(name=f"Kampanje {i:03}") for i in range(45)]


def names(response) -> list[str]:
    return [
        unescape(name) for name in re.findall(r'data-label="([^"]*)"', response.content.decode())
    ]


def more_url(response) -> str | None:
    found = re.search(
        r'<li role="option" class="more"[^>]*hx-get="([^"]+)"', response.content.decode()
    )
    return unescape(found.group(1)) if found else None


def test_it_pages_through_every_matching_project(login, salesperson, campaigns):
    client = login(salesperson)
    seen = []
    url = f"{PROJECTS}?q=kamp"
    pages = 0
    while url:
        response = client.get(url, headers=HTMX)
        seen += names(response)
        url = more_url(response)
        pages += 1

    assert pages == 3
    assert seen == [f"Kampanje {i:03}" for i in range(45)]


def test_the_next_page_keeps_the_typed_text(login, salesperson, campaigns):
    ProjectFactory(name="Høstkampanje")
    client = login(salesperson)

    first = client.get(PROJECTS, {"q": "%kampanje 0"}, headers=HTMX)

    assert more_url(first) == f"{PROJECTS}?q=%25kampanje%200&offset=20"
    second = client.get(more_url(first), headers=HTMX)
    assert names(second) == [f"Kampanje {i:03}" for i in range(20, 40)]
    assert more_url(second) == f"{PROJECTS}?q=%25kampanje%200&offset=40"
    third = client.get(more_url(second), headers=HTMX)
    assert names(third) == [f"Kampanje {i:03}" for i in range(40, 45)]  # not Høstkampanje
    assert more_url(third) is None


def test_a_later_page_that_is_empty_says_nothing(login, salesperson, campaigns):
    response = login(salesperson).get(PROJECTS, {"q": "kamp", "offset": "400"}, headers=HTMX)

    assert response.status_code == 200
    assert text(response) == ""


@pytest.mark.parametrize("offset", ["", "-20", "abc", "1e3", "99999999999999999999", "２０"])
def test_an_offset_that_is_not_a_small_whole_number_starts_at_the_top(
    login, salesperson, campaigns, offset
):
    response = login(salesperson).get(PROJECTS, {"q": "kamp", "offset": offset}, headers=HTMX)

    assert names(response)[0] == "Kampanje 000"


def test_a_page_is_one_query_off_the_index(
    login, salesperson, campaigns, django_assert_num_queries
):
    client = login(salesperson)

    # 1: the session
    # 2: the user
    # 3: the associate, with its user and primary group
    # 4: the associate's other user groups
    # 5: one page of matching projects (and whether there are more), in name order
    with django_assert_num_queries(5):
        response = client.get(PROJECTS, {"q": "kamp", "offset": "20"}, headers=HTMX)

    assert len(names(response)) == PROJECT_SUGGESTIONS


# The preview: "You", with how many of them are fallbacks ------------------------------


@pytest.fixture
def split(selection, manager):
    """Two companies of the manager's own, one with no our contact, one whose our contact
    is inactive, one of another associate."""
    for _ in range(2):
        SelectionMemberFactory(
            selection=selection, person=None, company=CompanyFactory(our_contact=manager)
        )
    SelectionMemberFactory(
        selection=selection, person=None, company=CompanyFactory(our_contact=None)
    )
    gone = AssociateFactory(active=False)
    SelectionMemberFactory(
        selection=selection, person=None, company=CompanyFactory(our_contact=gone)
    )
    eva = AssociateFactory(user__first_name="Eva", user__last_name="Eier")
    SelectionMemberFactory(
        selection=selection, person=None, company=CompanyFactory(our_contact=eva)
    )
    return gone


def test_the_preview_says_how_many_of_yours_are_fallbacks(
    login, manager, selection, split, dialog_data
):
    response = login(manager).post(
        preview_url(selection), dialog_data(owner_mode="our_contact"), headers=HTMX
    )

    assert (
        "You 4 (of which 2 because their company has no or an inactive our contact) Eva Eier 1"
        in text(response)
    )


def test_the_preview_of_only_companies_with_no_our_contact(login, manager, dialog_data):
    selection = SelectionFactory(owner=manager)
    SelectionMemberFactory(
        selection=selection, person=None, company=CompanyFactory(our_contact=manager)
    )
    SelectionMemberFactory(
        selection=selection, person=None, company=CompanyFactory(our_contact=None)
    )
    SelectionMemberFactory(
        selection=selection, person=PersonFactory(company=None, our_contact=None)
    )

    response = login(manager).post(
        preview_url(selection), dialog_data(owner_mode="our_contact"), headers=HTMX
    )

    assert "You 3 (of which 2 because their company has no our contact)" in text(response)


def test_the_preview_of_my_own_list_has_no_fallbacks(login, manager, selection, split, dialog_data):
    response = login(manager).post(preview_url(selection), dialog_data(), headers=HTMX)

    assert "of which" not in text(response)
    assert elements(response, **{"data-saving": "Saving 5 follow-ups…"})


def test_the_preview_of_only_inactive_our_contacts(login, manager, dialog_data):
    selection = SelectionFactory(owner=manager)
    gone = AssociateFactory(active=False)
    SelectionMemberFactory(
        selection=selection, person=None, company=CompanyFactory(our_contact=gone)
    )

    response = login(manager).post(
        preview_url(selection), dialog_data(owner_mode="our_contact"), headers=HTMX
    )

    assert "You 1 (of which 1 because their company has an inactive our contact)" in (
        text(response)
    )
    assert elements(response, **{"data-saving": "Saving 1 follow-up…"})


# A lost answer: where the dialog asks, and how long it waits --------------------------


def test_the_form_says_where_to_ask_whether_its_save_committed(
    login, salesperson, selection, members
):
    html = login(salesperson).get(dialog_url(selection), headers=HTMX).content.decode()

    key = element(html, "input", name="key", value=re.compile(r"[0-9a-f-]{36}"))["value"]
    form = element(html, "form", id="generate-form")
    status = reverse("followups:generate_status", args=[key])
    assert form["data-save-status"] == status
    assert form["hx-request"] == '{"timeout": 180000}'
    assert "hx-disabled-elt" not in form.attrs  # the script holds Save, Cancel and Close
    assert "data-request-status" in element(html, "div", id="generate-status").attrs
    for name in ["saving", "server-failed", "timed-out", "connection-lost", "checking"]:
        assert element(html, "template", data_message=name)
    nothing_saved = element(html, "template", data_message="nothing-saved")
    assert nothing_saved.text == "Nothing was saved. Press Save to try again."
    assert element(html, "p", class_="save-progress", role="status", aria_live="polite")


def test_an_invalid_save_keeps_the_same_status_address(
    login, salesperson, selection, members, dialog_data
):
    key = str(uuid.uuid4())

    response = login(salesperson).post(
        save_url(selection), dialog_data(key=key, description=""), headers=HTMX
    )

    status = reverse("followups:generate_status", args=[key])
    assert element(response, "form", id="generate-form")["data-save-status"] == status


def test_a_form_with_an_unreadable_key_has_no_status_address(
    login, salesperson, selection, members, dialog_data
):
    response = login(salesperson).post(
        save_url(selection), dialog_data(key="not-a-key"), headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "This dialog is out of date: close it and open it again." in html
    assert not elements(html, data_save_status=True)


# Other associate, discarding, the activity list's tick ------------------------------------


def test_choosing_an_associate_chooses_the_other_associate_radio(
    login, salesperson, selection, members
):
    html = login(salesperson).get(dialog_url(selection), headers=HTMX).content.decode()

    radio = element(html, "input", type="radio", name="owner_mode", value="other")
    assert radio["data-checked-by"] == "id_owner_associate"
    assert element(html, "select", id="id_owner_associate")


def test_the_dialog_asks_before_discarding_and_the_page_does_not(
    login, salesperson, selection, members
):
    client = login(salesperson)

    modal = client.get(dialog_url(selection), headers=HTMX).content.decode()
    page = client.get(dialog_url(selection)).content.decode()

    confirm = element(modal, "dialog", id="discard-dialog")
    assert "data-discard-confirm" in confirm.attrs
    assert confirm["aria-labelledby"] == "discard-dialog-title"
    assert element(modal, "button", data_keep_editing=True, autofocus=True).text == "Keep editing"
    assert element(modal, "button", data_discard=True).text == "Discard"
    assert not elements(page, data_discard_confirm=True)  # its Cancel is a link back


def test_the_activity_lists_tick_keeps_the_focus(login, salesperson):
    followup = FollowUpFactory(owner=salesperson)

    client = login(salesperson)
    listed = client.get(reverse("followups:activity_list")).content.decode()
    row = client.post(
        reverse("followups:toggle_completed", args=[followup.pk]), headers=HTMX
    ).content.decode()

    for html in (listed, row):
        tick = element(html, "button", type="submit", class_="tick")
        assert tick["id"] == f"tick-{followup.pk}" and "data-keep-focus" in tick.attrs


# Help and the date field ------------------------------------------------------------------


def test_the_dialog_links_to_its_help_in_a_new_tab(login, salesperson, selection, members):
    html = login(salesperson).get(dialog_url(selection), headers=HTMX).content.decode()

    link = element(html, "a", class_="help-link")
    assert link["href"] == reverse("followups:generate_help")
    assert (link["target"], link["rel"]) == ("_blank", "noopener")


@pytest.mark.parametrize(
    ("language", "heading", "step"),
    [
        ("en", "Create follow-ups", "Tick Create only one follow-up per company"),
        ("nb", "Lag oppfølginger", "Merk av for Opprett bare én oppfølging på hvert firma"),
    ],
)
def test_the_help_page_has_the_twelve_steps_in_the_users_language(
    login, salesperson, language, heading, step
):
    client = login(salesperson)
    client.cookies["django_language"] = language

    response = client.get(reverse("followups:generate_help"))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{heading}</h1>" in page
    assert len(re.findall(r"<li>", page.split("<ol>")[1].split("</ol>")[0])) >= 12
    assert step in text(response)


def test_a_date_typed_day_first_or_iso_is_the_same_day(
    login, salesperson, selection, members, dialog_data
):
    client = login(salesperson)

    day_first = client.post(
        preview_url(selection), dialog_data(start_date="24.12.2026"), headers=HTMX
    )
    iso = client.post(preview_url(selection), dialog_data(start_date="2026-12-24"), headers=HTMX)
    american = client.post(save_url(selection), dialog_data(start_date="12/24/2026"), headers=HTMX)

    assert day_first.status_code == iso.status_code == 200
    assert text(day_first) == text(iso)
    assert "Enter a real date" not in text(day_first)
    assert "Enter a real date, such as" in text(american)  # 24 December or a typo: not guessed
    assert not FollowUp.objects.exists()

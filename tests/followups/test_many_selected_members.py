"""Thousands of ticked members through the Generate follow-ups dialog: opening it, the
live preview and the save. The ticked ids travel as one field of id ranges
("12-511,530"), so the request stays small, and far from the server's limits on the
URL and on the number of fields, however many are ticked."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from demo.factories import SelectionFactory, SelectionMemberFactory
from followups.forms import MAX_SELECTED_MEMBERS, MemberIdsField, format_ids
from followups.models import FollowUp, Generation
from selections.models import Visibility
from tests.helpers import HTMX, element, elements, text

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
UNREADABLE = "The ticked members could not be read; reload the page."
TOO_MANY = "Tick at most 5,000 members, or run the task on the whole selection."


def url(selection, endpoint: str) -> str:
    return reverse(f"followups:generate_{endpoint}", args=[selection.pk])


def post(client, path: str, data: dict):
    """POST as a browser sends a form (urlencoded); returns the response and the body."""
    body = urlencode(data, doseq=True)
    return client.post(path, body, content_type=FORM, headers=HTMX), body


@pytest.fixture
def many(selection, add_members):
    """A selection of 5,000 members, made in one go."""
    return add_members(selection, MAX_SELECTED_MEMBERS)


@pytest.fixture
def few(selection, add_members):
    return add_members(selection, 5)


def ids_of(members) -> list[int]:
    return [m.pk for m in members]


# The ids as ranges ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ids", "ranges"),
    [
        ([], ""),
        ([7], "7"),
        ([3, 4, 5, 9, 11, 12], "3-5,9,11-12"),
        ([12, 3, 4, 3], "3-4,12"),
        (range(1, 5001), "1-5000"),
    ],
)
def test_it_writes_ids_as_ranges_and_reads_them_back(ids, ranges):
    assert format_ids(ids) == ranges
    assert MemberIdsField(required=False).clean(ranges) == sorted(set(ids))


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        (["3", "1", "2"], [1, 2, 3]),  # one checkbox each, as a browser without JavaScript
        (["1-3", "2-5,9"], [1, 2, 3, 4, 5, 9]),  # overlaps and repeats count once
        (" 4 - 6 , 8 ", [4, 5, 6, 8]),
        (["", "5"], [5]),
        ([""], []),
    ],
)
def test_it_reads_ids_however_they_come(value, ids):
    assert MemberIdsField(required=False).clean(value) == ids


@pytest.mark.parametrize(
    "value",
    ["1-", "-5", "5-2", "abc", "-4", "0", "0-3", "1,,2", "1-2-3", ",", "٣", "1.5", "1e3",
     str(2**63), f"1-{2**63}", "9" * 5000],
)  # fmt: skip
def test_it_refuses_ids_it_cannot_read(value):
    with pytest.raises(ValidationError) as error:
        MemberIdsField(required=False).clean(value)

    assert error.value.messages == [UNREADABLE]


@pytest.mark.parametrize(
    "value",
    [
        "1-5001",
        "1-10000000",
        "1-5000,6000",
        ",".join(str(i) for i in range(1, 10_000_001)),  # ten million ids, one by one
        [str(i) for i in range(1, 5002)],
    ],
    ids=["5001", "range of 10^7", "5000 and one", "10^7 one by one", "5001 fields"],
)
def test_it_refuses_more_than_5000_ids(value):
    with pytest.raises(ValidationError) as error:
        MemberIdsField(required=False).clean(value)

    assert error.value.messages == [TOO_MANY]


def test_it_takes_5000_ids_one_by_one():
    every_other = ",".join(str(i) for i in range(2, 10_001, 2))

    assert len(MemberIdsField(required=False).clean(every_other)) == 5000


# The dialog, the preview and the save, at 5,000 ticked members ---------------------------


def test_it_opens_the_dialog_for_5000_ticked_members(login, manager, selection, many):
    ranges = format_ids(ids_of(many))

    response, body = post(
        login(manager),
        url(selection, "dialog"),
        {"selected_only": "on", "members": ranges},
    )

    assert response.status_code == 200
    assert "For the 5,000 ticked members of “Kunder Oslo”" in text(response)
    html = response.content.decode()
    assert len(elements(html, name="members")) == 1
    assertInHTML(f'<input type="hidden" name="members" value="{ranges}" id="id_members">', html)
    assert "-" in ranges and len(body) < 100  # contiguous ids: one range


def test_it_previews_5000_ticked_members(login, manager, selection, many, dialog_data):
    data = dialog_data(selected_only="on", members=format_ids(ids_of(many)))

    response, body = post(login(manager), url(selection, "preview"), data)

    assert "5,000 follow-ups will be created" in text(response)
    assert len(body) < 500


def test_it_saves_5000_ticked_members(login, manager, selection, many, dialog_data):
    data = dialog_data(
        selected_only="on", owner_mode="our_contact", members=format_ids(ids_of(many))
    )

    response, body = post(login(manager), url(selection, "save"), data)

    assert json.loads(response["HX-Trigger"])["followupsCreated"]["count"] == 5000
    assert FollowUp.objects.filter(generation__isnull=False).count() == 5000
    generation = Generation.objects.get()
    assert (generation.selected_only, generation.selected_count) == (True, 5000)
    assert "Created 5,000 follow-ups" in text(response)
    assert len(body) < 500


def test_it_saves_the_ticked_members_only(login, salesperson, selection, many, dialog_data):
    ticked = many[10:2010] + many[3000:3001]
    data = dialog_data(selected_only="on", members=format_ids(ids_of(ticked)))

    post(login(salesperson), url(selection, "save"), data)

    created = FollowUp.objects.filter(generation__isnull=False)
    assert created.count() == 2001
    rows = {(m.company_id, m.person_id) for m in ticked}
    assert set(created.values_list("company_id", "person_id")) == rows


def test_it_saves_5000_ids_that_are_no_range(
    login, salesperson, selection, add_members, dialog_data
):
    """Every other member of 10,000: no two ids run on, and it still is one field."""
    ticked = add_members(selection, 2 * MAX_SELECTED_MEMBERS)[::2]
    members = format_ids(ids_of(ticked))
    assert "-" not in members

    response, body = post(
        login(salesperson),
        url(selection, "save"),
        dialog_data(selected_only="on", members=members),
    )

    assert json.loads(response["HX-Trigger"])["followupsCreated"]["count"] == 5000
    assert FollowUp.objects.count() == 5000
    assert body.count("members=") == 1


@pytest.mark.parametrize("size", [10, MAX_SELECTED_MEMBERS])
def test_the_preview_takes_the_same_queries_for_10_and_5000_ticked(
    login, manager, selection, add_members, dialog_data, django_assert_num_queries, size
):
    ticked = add_members(selection, size)
    client = login(manager)
    data = dialog_data(
        selected_only="on", owner_mode="our_contact", members=format_ids(ids_of(ticked))
    )

    # 1. the session, 2. the login
    # 3. the associate, 4. their other user groups
    # 5. the selection, if this associate may see it
    # 6. the login's own permissions, 7. its roles' permissions (the task right)
    # 8. the follow-up type (the whole form is validated)
    # 9. how many of the ticked members are in this selection?
    # 10. the selection's kind and criteria, read at one moment
    # 11. the preview's aggregate, 12. the top owners' names
    with django_assert_num_queries(12):
        response, _ = post(client, url(selection, "preview"), data)

    assert f"{size:,} follow-ups will be created" in text(response)


@pytest.mark.parametrize("size", [10, MAX_SELECTED_MEMBERS])
def test_the_save_takes_the_same_queries_for_10_and_5000_ticked(
    login, manager, selection, add_members, dialog_data, django_assert_num_queries, size
):
    ticked = add_members(selection, size)
    client = login(manager)
    data = dialog_data(
        selected_only="on", owner_mode="our_contact", members=format_ids(ids_of(ticked))
    )

    # 1. the session, 2. the login
    # 3. the associate, 4. their other user groups
    # 5. the selection, if this associate may see it
    # 6. the login's own permissions, 7. its roles' permissions (the task right)
    # 8. the follow-up type
    # 9. how many of the ticked members are in this selection?
    # 10. the selection's kind and criteria, 11. how many follow-ups (the preview's
    # count: above BACKGROUND_GENERATION_ABOVE the save would run in the background)
    # 12. a generation with this key already?
    # 13. SAVEPOINT, 14. the selection's kind and criteria (row share-locked on
    # PostgreSQL), 15. INSERT the generation,
    # 16. INSERT INTO follow-ups … SELECT from the ticked members, 17. UPDATE its count,
    # 18. RELEASE SAVEPOINT
    # 19. the message: follow-ups per our contact, 20. their names
    with django_assert_num_queries(20):
        response, _ = post(client, url(selection, "save"), data)

    assert json.loads(response["HX-Trigger"])["followupsCreated"]["count"] == size
    assert FollowUp.objects.count() == size


# Ids that cannot be used: the form's error, never a server error ------------------------

BAD = {
    "1-": UNREADABLE,
    "5-2": UNREADABLE,
    "abc": UNREADABLE,
    "-4": UNREADABLE,
    "3,-4": UNREADABLE,
    "99999999999999999999": UNREADABLE,
    "1-10000000": TOO_MANY,
    "1-5001": TOO_MANY,
}


@pytest.mark.parametrize(("members", "error"), BAD.items())
def test_the_save_answers_the_form_error(
    login, salesperson, selection, few, dialog_data, members, error
):
    response, _ = post(
        login(salesperson), url(selection, "save"), dialog_data(selected_only="on", members=members)
    )

    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert error in text(response)
    assert not FollowUp.objects.exists()
    assert element(response, "input", name="members")["value"] == members  # kept as sent


@pytest.mark.parametrize(("members", "error"), BAD.items())
def test_the_dialog_answers_the_form_error(login, salesperson, selection, few, members, error):
    response, _ = post(
        login(salesperson), url(selection, "dialog"), {"selected_only": "on", "members": members}
    )

    assert response.status_code == 200
    assert error in text(response)
    assert "For the 0 ticked members" in text(response)


@pytest.mark.parametrize("members", BAD)
def test_the_preview_waits_for_ids_it_can_use(
    login, salesperson, selection, few, dialog_data, members
):
    response, _ = post(
        login(salesperson),
        url(selection, "preview"),
        dialog_data(selected_only="on", members=members),
    )

    assert response.status_code == 200
    assert "The preview appears when the owner choice is complete." in text(response)


def test_it_checks_ownership_of_the_ticked_members(login, salesperson, selection, few, dialog_data):
    """A range over ids of another selection's members is refused, as single ids are."""
    theirs = SelectionMemberFactory(selection=SelectionFactory(owner=salesperson))
    assert theirs.pk == few[-1].pk + 1
    members = f"{few[-2].pk}-{theirs.pk}"

    response, _ = post(
        login(salesperson), url(selection, "save"), dialog_data(selected_only="on", members=members)
    )

    assert "1 ticked member is no longer in this selection; reload the page." in text(response)
    assert not FollowUp.objects.exists()


# Opening the dialog by POST ---------------------------------------------------------------


def test_the_task_menu_posts_the_ticked_members(login, salesperson, selection, few):
    html = login(salesperson).get(selection.get_absolute_url()).content.decode()

    menu = element(html, "form", id="task-form")
    assert menu["method"] == "post" and "hx-post" in menu.attrs
    assert menu["action"] == url(selection, "dialog")
    assert element(menu.html, "input", type="hidden", name="csrfmiddlewaretoken")  # no JS too
    assert "data-member-ranges" in menu.attrs


def test_it_reads_one_checkbox_per_member_without_javascript(login, salesperson, selection, few):
    ticked = [few[0].pk, few[2].pk, few[4].pk]
    response = login(salesperson).post(
        url(selection, "dialog"), {"selected_only": "on", "members": [str(i) for i in ticked]}
    )

    assert elements(response, "html")
    assert "For the 3 ticked members of “Kunder Oslo”" in text(response)
    assert element(response, "input", name="members")["value"] == format_ids(ticked)


@pytest.mark.parametrize("visibility", [Visibility.OWNER, Visibility.GROUP])
def test_it_answers_404_by_post_for_a_selection_i_cannot_see(
    login, salesperson, outsider, visibility
):
    theirs = SelectionFactory(owner=outsider, visibility=visibility)

    response = login(salesperson).post(
        url(theirs, "dialog"), {"selected_only": "on", "members": "1-10"}, headers=HTMX
    )

    assert response.status_code == 404


def test_it_is_forbidden_by_post_without_the_task_right(login, reader, selection):
    response = login(reader).post(url(selection, "dialog"), {"members": "1-10"}, headers=HTMX)

    assert response.status_code == 403


def test_it_needs_the_csrf_token_by_post(salesperson, selection):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(salesperson.user)

    response = strict.post(url(selection, "dialog"), {"members": "1-10"}, headers=HTMX)

    assert response.status_code == 403

"""Hostile input: random and malformed values posted to every form endpoint never cause
a server error and never write anything half-way; HTML typed into names and descriptions
is shown as text everywhere, the admin included.

The property tests share one database set-up per test function and roll back each
example, so every example starts from the same rows.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crm.models import Associate, Company, Person
from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    FollowUpFactory,
    PersonFactory,
    PriorityFactory,
    ProjectFactory,
    SelectionFactory,
    SelectionMemberFactory,
)
from followups.models import FollowUp, Generation
from selections.models import SelectionMember, Visibility
from tests.helpers import HTMX, bulk_members, elements, rolled_back

from .helpers import counts

pytestmark = pytest.mark.django_db

# About 25 requests a second on SQLite: the whole module stays well under a minute.
FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FUZZ_FEWER = settings(FUZZ, max_examples=12)

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

# Values ------------------------------------------------------------------------------

ids = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=1, max_value=30).map(str),  # ids of rows that may well exist
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1.5",
            "1e3",
            "0x1F",
            "abc",
            "٣",  # an Arabic-Indic digit: int() reads it
            "²",  # a digit to str.isdigit(), not to int()
            "9223372036854775807",
            "9223372036854775808",
            "99999999999999999999999",
            "NaN",
            "null",
            "None",
            "[]",
            "1 OR 1=1",
            "1; DROP TABLE followups_followup",
        ]
    ),
)
texts = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(
        [
            SCRIPT,
            "\x00",
            "a\x00b",
            "%",
            "%%",
            "_",
            "\\",
            "'; DROP TABLE crm_company; --",
            "\u202eevil",
            "😀" * 30,
            "x" * 2049,
            "y" * 100_000,
            "\r\nSet-Cookie: a=b",
        ]
    ),
)
dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "0001-01-01",
            "99999-01-01",
            "9999-12-31",
            "1999-12-31",
            "2100-01-01",
            "2026-02-30",
            "2026-13-01",
            "0000-00-00",
            "-2026-01-01",
            "2026/03/02",
            "02.03.2026",
            "today",
        ]
    ),
)
urls = st.one_of(
    texts,
    st.sampled_from(
        [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example/",
            "\\\\evil.example",
            "javascript:alert(1)",
            "http:/evil.example",
            "/activities/",
            "/activities/?show=today",
        ]
    ),
)
scalar = st.one_of(ids, texts, dates)
value = st.one_of(scalar, st.lists(scalar, min_size=2, max_size=4))  # a repeated field


def changes_to(fields: list[str]):
    """A few fields each left out (None) or given a hostile value."""
    return st.dictionaries(
        st.sampled_from(fields), st.one_of(st.none(), value), min_size=1, max_size=len(fields)
    )


def apply(data: dict, changes: dict) -> dict:
    data = {**data, **changes}
    return {name: v for name, v in data.items() if v is not None}


def last(v):
    """What request.POST.get() reads from a repeated field: its last value."""
    return v[-1] if isinstance(v, list) else v


def no_server_error(response) -> None:
    assert response.status_code < 500, response.content.decode(errors="replace")[:3000]


def safe_redirect(response) -> None:
    if 300 <= response.status_code < 400:
        assert url_has_allowed_host_and_scheme(response["Location"], {"testserver"}), response[
            "Location"
        ]


def valid_uuid(v) -> bool:
    try:
        uuid.UUID(str(v).strip())
    except ValueError:
        return False
    return True


def shows_an_error(response) -> bool:
    return bool(elements(response, class_="errorlist") or elements(response, class_="form-errors"))


# The data every example works on -----------------------------------------------------


@pytest.fixture
def world(salesperson, outsider, call_type):
    """Olav's selection with a few members, one open follow-up of his, projects and a
    priority; Kari's (another group) selection and company member."""
    selection = SelectionFactory(owner=salesperson, name="Kunder Oslo")
    bulk_members(selection, 5)
    theirs = SelectionFactory(owner=outsider, visibility=Visibility.OWNER)
    SelectionMemberFactory(selection=theirs)
    ProjectFactory(name="Vårkampanje")
    ProjectFactory(name="Messe", active=False)
    PriorityFactory(name="Urgent")
    followup = FollowUpFactory(owner=salesperson, type=call_type, description="Ring Fjord AS")
    return {"selection": selection, "theirs": theirs, "followup": followup}


@pytest.fixture
def olav(salesperson):
    client = Client(raise_request_exception=False)
    client.force_login(salesperson.user)
    return client


DIALOG_FIELDS = [
    "key",
    "type",
    "start_date",
    "description",
    "project_text",
    "project",
    "priority",
    "completed",
    "one_per_company",
    "owner_mode",
    "owner_associate",
    "selected_only",
    "members",
]


# The dialog: save and preview ---------------------------------------------------------


@FUZZ
@given(changes=changes_to(DIALOG_FIELDS), htmx=st.booleans())
@example(changes={"start_date": "0001-01-01"}, htmx=True)
@example(changes={"start_date": "99999-01-01"}, htmx=True)
@example(changes={"description": "y" * 100_000}, htmx=True)
@example(changes={"description": "a\x00b"}, htmx=True)
@example(changes={"type": "-1", "priority": "99999999999999999999999"}, htmx=True)
@example(changes={"type": ["1", "2"], "owner_mode": ["mine", "other"]}, htmx=False)
@example(changes={"key": None, "type": None, "description": None}, htmx=True)
@example(changes={"selected_only": "on", "members": ["-1", "abc"]}, htmx=True)
@example(changes={"owner_mode": "other", "owner_associate": "abc"}, htmx=True)
@example(changes={"project_text": "\x00", "project": "1e3"}, htmx=True)
def test_the_dialog_save_never_fails_and_writes_all_or_nothing(
    olav, world, dialog_data, changes, htmx
):
    selection = world["selection"]
    before = counts()
    with rolled_back():
        response = olav.post(
            reverse("followups:generate_save", args=[selection.pk]),
            apply(dialog_data(), changes),
            headers=HTMX if htmx else {},
        )

        no_server_error(response)
        saved = "HX-Trigger" in response if htmx else response.status_code == 302
        if saved:
            generation = Generation.objects.latest("id")
            assert counts() == (before[0] + generation.created_count, before[1] + 1)
            owned = FollowUp.objects.filter(generation=generation).count()
            assert owned == generation.created_count <= 5
        else:
            assert counts() == before
            assert response.status_code >= 400 or shows_an_error(response)


@FUZZ
@given(changes=changes_to(DIALOG_FIELDS))
@example(changes={"owner_mode": "our_contact"})
@example(changes={"selected_only": "on", "members": ["1"] * 3 + ["99999999999999999999"]})
def test_the_preview_never_fails_nor_writes(olav, world, dialog_data, changes):
    selection = world["selection"]
    before = counts()
    with rolled_back():
        response = olav.post(
            reverse("followups:generate_preview", args=[selection.pk]),
            apply(dialog_data(), changes),
            headers=HTMX,
        )

        no_server_error(response)
        assert counts() == before


@pytest.mark.parametrize("endpoint", ["save", "preview", "edit"])
def test_a_picked_project_id_that_is_no_number_is_refused(
    olav, world, dialog_data, call_type, endpoint
):
    selection, followup = world["selection"], world["followup"]
    data = dialog_data(project_text="Vårkampanje", project="²")
    if endpoint == "edit":
        url = reverse("followups:detail", args=[followup.pk])
        data = {
            "type": call_type.pk,
            "start_date": "2026-03-02",
            "description": "Ring",
            "owner": followup.owner_id,
            "project_text": "Vårkampanje",
            "project": "²",
        }
    else:
        url = reverse(f"followups:generate_{endpoint}", args=[selection.pk])

    response = olav.post(url, data, headers=HTMX)

    no_server_error(response)


def test_too_many_fields_are_refused_with_400(olav, world, dialog_data):
    selection = world["selection"]
    data = dialog_data(selected_only="on", members=[str(i) for i in range(1, 1_200)])

    response = olav.post(
        reverse("followups:generate_save", args=[selection.pk]), data, headers=HTMX
    )

    assert response.status_code == 400
    assert counts() == (1, 0)


def test_a_body_over_the_upload_limit_is_refused_with_400(olav, world, dialog_data, settings):
    selection = world["selection"]
    data = dialog_data(description="z" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))

    response = olav.post(
        reverse("followups:generate_save", args=[selection.pk]), data, headers=HTMX
    )

    assert response.status_code == 400
    assert counts() == (1, 0)


# Type-ahead and search: project suggestions, member search, quick search ---------------


@FUZZ
@given(q=value, project_text=st.one_of(st.none(), value))
@example(q="\x00", project_text=None)
@example(q="%", project_text="%%")
@example(q="y" * 100_000, project_text=None)
def test_project_suggestions_never_fail(olav, world, q, project_text):
    params = apply({"q": q}, {"project_text": project_text})
    before = counts()
    with rolled_back():
        response = olav.get(reverse("followups:project_options"), params, headers=HTMX)

        no_server_error(response)
        assert counts() == before


@FUZZ
@given(q=value, page=st.one_of(st.none(), ids), all_=st.one_of(st.none(), texts))
@example(q="\x00", page=None, all_=None)
@example(q="%_", page="-1", all_="1")
def test_member_search_never_fails(olav, world, q, page, all_):
    selection = world["selection"]
    params = apply({"q": q}, {"page": page, "all": all_})
    with rolled_back():
        for headers in (HTMX, {}):
            response = olav.get(
                reverse("selections:member_search", args=[selection.pk]), params, headers=headers
            )
            no_server_error(response)


@FUZZ
@given(q=value)
@example(q=SCRIPT)
def test_quick_search_never_fails(olav, world, q):
    with rolled_back():
        for headers in (HTMX, {}):
            response = olav.get(reverse("followups:quick_search"), {"q": q}, headers=headers)
            no_server_error(response)


@pytest.mark.parametrize("q", ["a\x00b", "Fjord\x00"])
def test_quick_search_with_a_nul_character_does_not_fail(olav, world, q):
    for headers in (HTMX, {}):
        no_server_error(olav.get(reverse("followups:quick_search"), {"q": q}, headers=headers))


# Members: add ------------------------------------------------------------------------


def is_existing_id(v, existing: set[int]) -> bool:
    v = last(v)
    try:
        return int(v) in existing
    except (TypeError, ValueError):
        return False


@FUZZ
@given(changes=changes_to(["company", "person"]), htmx=st.booleans())
@example(changes={"company": "-1"}, htmx=True)
@example(changes={"company": "99999999999999999999999"}, htmx=True)
@example(changes={"company": ["1", "2"], "person": "1"}, htmx=False)
@example(changes={"company": "abc", "person": None}, htmx=True)
def test_member_add_never_fails_and_adds_only_a_real_row(olav, world, changes, htmx):
    selection = world["selection"]
    existing_companies = set(Company.objects.values_list("pk", flat=True))
    existing_persons = set(Person.objects.values_list("pk", flat=True))
    members_before = set(selection.members.values_list("company_id", "person_id"))
    before = counts()
    with rolled_back():
        response = olav.post(
            reverse("selections:member_add", args=[selection.pk]),
            apply({}, changes),
            headers=HTMX if htmx else {},
        )

        no_server_error(response)
        assert counts() == before
        real = is_existing_id(changes.get("company"), existing_companies) or is_existing_id(
            changes.get("person"), existing_persons
        )
        if not real:
            assert set(selection.members.values_list("company_id", "person_id")) == members_before


# A follow-up: edit and toggle ----------------------------------------------------------

EDIT_FIELDS = ["type", "start_date", "description", "priority", "owner", "project_text", "project"]


def followup_row(pk: int) -> tuple:
    return FollowUp.objects.filter(pk=pk).values_list(
        "type", "start_date", "description", "priority", "owner", "project", "updated_at"
    )[0]


@FUZZ
@given(changes=changes_to(EDIT_FIELDS))
@example(changes={"start_date": "0001-01-01"})
@example(changes={"start_date": "99999-01-01"})
@example(changes={"description": "x" * 2049})
@example(changes={"owner": "-1", "type": "abc"})
@example(changes={"priority": ["1", "2"], "project_text": "\x00"})
def test_follow_up_edit_never_fails_and_saves_all_or_nothing(olav, world, call_type, changes):
    followup = world["followup"]
    url = reverse("followups:detail", args=[followup.pk])
    valid = {
        "type": str(call_type.pk),
        "start_date": "2026-03-02",
        "description": "Ring Fjord AS again",
        "priority": "",
        "owner": str(followup.owner_id),
        "project_text": "",
        "project": "",
    }
    row = followup_row(followup.pk)
    before = counts()
    with rolled_back():
        response = olav.post(url, apply(valid, changes))

        no_server_error(response)
        assert counts() == before
        if response.status_code == 302:
            assert response["Location"] == url
        else:
            assert followup_row(followup.pk) == row
            assert response.status_code >= 400 or shows_an_error(response)


@FUZZ_FEWER
@given(next_=st.one_of(st.none(), urls), show_owner=st.one_of(st.none(), texts), htmx=st.booleans())
@example(next_="https://evil.example/", show_owner=None, htmx=False)
@example(next_="//evil.example/", show_owner=None, htmx=False)
@example(next_="\x00", show_owner="\x00", htmx=False)
def test_toggle_never_fails_and_never_redirects_away(olav, world, next_, show_owner, htmx):
    followup = world["followup"]
    with rolled_back():
        response = olav.post(
            reverse("followups:toggle_completed", args=[followup.pk]),
            apply({}, {"next": next_, "show_owner": show_owner}),
            headers=HTMX if htmx else {},
        )

        no_server_error(response)
        safe_redirect(response)
        assert FollowUp.objects.get(pk=followup.pk).completed is True


def names_a_view(next_) -> bool:
    """A local "next" with no "/" and no ".": redirect() takes it for a view name."""
    return (
        isinstance(next_, str)
        and url_has_allowed_host_and_scheme(next_, {"testserver"})
        and "/" not in next_
        and "." not in next_
    )


@pytest.mark.parametrize("next_", ["0", "abc", "selections"])
def test_toggle_with_a_next_that_is_no_path_does_not_fail(olav, world, next_):
    followup = world["followup"]

    response = olav.post(reverse("followups:toggle_completed", args=[followup.pk]), {"next": next_})

    no_server_error(response)


@FUZZ_FEWER
@given(language=st.one_of(st.none(), value), next_=st.one_of(st.none(), urls))
@example(language="nb", next_="https://evil.example/")
@example(language="../../etc/passwd", next_=None)
@example(language=["en", "nb"], next_="//evil.example/")
def test_set_language_never_fails_and_never_redirects_away(
    olav, world, salesperson, language, next_
):
    with rolled_back():
        response = olav.post(
            reverse("set_language"), apply({}, {"language": language, "next": next_})
        )

        no_server_error(response)
        safe_redirect(response)
        assert Associate.objects.get(pk=salesperson.pk).language in {"", "en", "nb"}


# Ids and query parameters in the address --------------------------------------------


@settings(FUZZ, max_examples=8)
@given(pk=st.integers(min_value=0, max_value=2**70), page=st.one_of(st.none(), ids, texts))
@example(pk=2**63, page="-1")
@example(pk=2**64 + 1, page="99999999999999999999999")
def test_ids_and_pages_in_the_address_never_fail(olav, world, pk, page):
    params = apply({}, {"page": page, "show": page, "all": page})
    names = [
        ("selections:detail", [pk]),
        ("selections:member_search", [pk]),
        ("followups:generate_dialog", [pk]),
        ("followups:detail", [pk]),
        ("followups:generation_detail", [pk]),
        ("followups:generation_undo", [pk]),
        ("crm:company", [pk]),
        ("crm:person", [pk]),
        ("selections:list", []),
        ("followups:activity_list", []),
        ("followups:history", []),
        ("followups:generation_list", []),
    ]
    with rolled_back():
        for name, args in names:
            response = olav.get(reverse(name, args=args), params)
            no_server_error(response)
        for name in ("followups:toggle_completed", "followups:generate_save"):
            no_server_error(olav.post(reverse(name, args=[pk]), {}))


# HTML in names and descriptions is shown as text -------------------------------------


@pytest.fixture
def hostile_world(salesperson, manager, call_type):
    """Every name and description that a page shows holds a script tag; Olav ran a
    generation for a selection of them, with the project, to a hostile-named
    associate."""
    evil_associate = AssociateFactory(
        user__username="evil",
        user__first_name=SCRIPT,
        primary_group=salesperson.primary_group,
        roles=["Salesperson"],
    )
    company = CompanyFactory(name=SCRIPT, our_contact=evil_associate, city=SCRIPT)
    person = PersonFactory(first_name=SCRIPT, last_name=SCRIPT, company=company)
    ProjectFactory(name=f"{SCRIPT} project")
    selection = SelectionFactory(owner=salesperson, name=SCRIPT, description=SCRIPT)
    SelectionMemberFactory(selection=selection, person=person)
    return {
        "company": company,
        "person": person,
        "selection": selection,
        "evil_associate": evil_associate,
    }


def assert_escaped(response, where: str) -> None:
    assert response.status_code == 200, where
    html = response.content.decode()
    assert SCRIPT not in html, f"a raw script tag on {where}"
    assert "<script>alert" not in html, f"a raw script tag on {where}"
    assert ESCAPED in html, f"the escaped text is missing on {where}"


def test_html_in_names_and_descriptions_renders_escaped_everywhere(
    olav, hostile_world, dialog_data, manager, staff_admin
):
    selection = hostile_world["selection"]
    evil = hostile_world["evil_associate"]
    project_text = f"{SCRIPT} project"

    # The dialog: its heading, the preview (owners by name), the project suggestions.
    dialog = olav.get(reverse("followups:generate_dialog", args=[selection.pk]), headers=HTMX)
    assert_escaped(dialog, "the dialog")
    preview = olav.post(
        reverse("followups:generate_preview", args=[selection.pk]),
        dialog_data(owner_mode="other", owner_associate=str(evil.pk)),
        headers=HTMX,
    )
    assert_escaped(preview, "the dialog's preview")
    assert_escaped(
        olav.get(reverse("followups:project_options"), {"q": "<scr"}, headers=HTMX),
        "the project suggestions",
    )
    # An invalid save shows the typed text again, escaped.
    invalid = olav.post(
        reverse("followups:generate_save", args=[selection.pk]),
        dialog_data(description=SCRIPT, start_date="0001-01-01"),
        headers=HTMX,
    )
    assert_escaped(invalid, "the dialog shown again with errors")

    saved = olav.post(
        reverse("followups:generate_save", args=[selection.pk]),
        dialog_data(
            description=f"{SCRIPT}\nsecond line",
            project_text=project_text,
            owner_mode="other",
            owner_associate=str(evil.pk),
        ),
        headers=HTMX,
    )
    assert "HX-Trigger" in saved, saved.content.decode()
    assert_escaped(saved, "the saved message")  # "… in <script>…'s activity list"
    generation = Generation.objects.get()
    followup = FollowUp.objects.get()
    # Olav made it for Evil, so it is on Olav's cards and Evil's lists.
    evil_client = Client()
    evil_client.force_login(evil.user)
    pages = {
        "the selection list": olav.get(reverse("selections:list")),
        "the selection page": olav.get(selection.get_absolute_url()),
        "the member search": olav.get(
            reverse("selections:member_search", args=[selection.pk]), {"q": "<scr"}, headers=HTMX
        ),
        "the activity list": evil_client.get(reverse("followups:activity_list")),
        "the history": evil_client.get(reverse("followups:history")),
        "quick search": olav.get(reverse("followups:quick_search"), {"q": "alert"}),
        "quick search (htmx)": olav.get(
            reverse("followups:quick_search"), {"q": "alert"}, headers=HTMX
        ),
        "quick search echoing the query": olav.get(
            reverse("followups:quick_search"), {"q": SCRIPT}
        ),
        "the follow-up page": olav.get(reverse("followups:detail", args=[followup.pk])),
        "the company card": olav.get(reverse("crm:company", args=[hostile_world["company"].pk])),
        "the person card": olav.get(reverse("crm:person", args=[hostile_world["person"].pk])),
        "the generation list": olav.get(reverse("followups:generation_list")),
        "the generation page": olav.get(
            reverse("followups:generation_detail", args=[generation.pk])
        ),
        "the undo confirmation": olav.get(
            reverse("followups:generation_undo", args=[generation.pk])
        ),
    }
    for where, response in pages.items():
        assert_escaped(response, where)

    admin = Client()
    admin.force_login(staff_admin)
    for model in ("followups/followup", "crm/company", "crm/person", "followups/generation"):
        assert_escaped(admin.get(f"/admin/{model}/"), f"the admin list of {model}")
    assert_escaped(
        admin.get(f"/admin/followups/followup/{followup.pk}/change/"), "the admin follow-up form"
    )


def test_a_script_in_a_message_is_escaped(olav, salesperson):
    """The member-add message names the company."""
    selection = SelectionFactory(owner=salesperson)
    company = CompanyFactory(name=SCRIPT)

    response = olav.post(
        reverse("selections:member_add", args=[selection.pk]),
        {"company": company.pk},
        follow=True,
    )

    assert_escaped(response, "the page after adding a member")
    assert re.search(r"Added &lt;script&gt;", response.content.decode())
    assert SelectionMember.objects.filter(selection=selection, company=company).exists()


def test_a_missing_or_malformed_one_time_key_is_refused_with_a_message(olav, world, dialog_data):
    selection = world["selection"]
    for key in ("not-a-uuid", str(uuid.uuid4())[:-1], "", "0" * 1000, None):
        response = olav.post(
            reverse("followups:generate_save", args=[selection.pk]),
            dialog_data(key=key),
            headers=HTMX,
        )
        assert response.status_code == 200
        assert "HX-Trigger" not in response
        assert shows_an_error(response)
    assert counts() == (1, 0)

"""followups.forms: every validation error of the dialog, and the Project combobox's
text matching."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.utils import timezone

from demo.factories import (
    AssociateFactory,
    CompanyFactory,
    FollowUpTypeFactory,
    PriorityFactory,
    ProjectFactory,
    SelectionFactory,
    SelectionMemberFactory,
    UserGroupFactory,
)
from followups.forms import MAX_SELECTED_MEMBERS, GenerateFollowUpsForm, find_projects
from followups.models import FollowUpType, OwnerMode, Priority

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(selection):
    return [
        SelectionMemberFactory(selection=selection, person=None, company=CompanyFactory())
        for _ in range(3)
    ]


@pytest.fixture
def bind(selection, salesperson, dialog_data, members):
    """bind(associate=…, **changes): the dialog's form bound to a valid POST, changed."""

    def _bind(associate=None, **changes):
        return GenerateFollowUpsForm(
            dialog_data(**changes),
            selection=selection,
            associate=associate or salesperson,
        )

    return _bind


def errors(form, field: str) -> list[str]:
    assert not form.is_valid()
    return form.errors.get(field, [])


def test_it_accepts_a_valid_dialog(bind, call_type):
    form = bind()

    assert form.is_valid(), form.errors
    choices = SimpleNamespace(**vars(form.scope()), **vars(form.settings()))
    assert choices.type == call_type
    assert choices.start_date == date(2026, 3, 2)
    assert choices.description == "Call about the spring offer"
    assert (choices.project, choices.priority) == (None, None)
    assert (choices.completed, choices.one_per_company) == (False, False)
    assert (choices.owner_mode, choices.owner_associate, choices.member_ids) == ("mine", None, None)


def test_it_starts_today_with_my_activity_list_and_no_priority(selection, salesperson):
    form = GenerateFollowUpsForm(selection=selection, associate=salesperson)

    assert form["start_date"].value() == timezone.localdate()
    assert form["owner_mode"].value() == OwnerMode.MINE
    assert form["priority"].value() is None


def test_it_offers_the_active_types_and_priorities_by_rank(selection, salesperson):
    FollowUpTypeFactory(name="First of all", rank=1)
    FollowUpType.objects.filter(name="To-do").update(active=False)
    Priority.objects.filter(name="Medium").update(active=False)

    form = GenerateFollowUpsForm(selection=selection, associate=salesperson)

    assert [t.name for t in form.fields["type"].queryset] == [
        "First of all",
        "Meeting",
        "Phone call",
        "Presentation",
        "Send offer",
    ]
    assert [p.name for p in form.fields["priority"].queryset] == ["High", "Low"]


# Type ----------------------------------------------------------------------------------


def test_it_requires_a_type(bind):
    assert errors(bind(type=None), "type") == ["Choose a follow-up type."]


def test_it_refuses_an_inactive_type(bind):
    retired = FollowUpTypeFactory(active=False)

    assert errors(bind(type=str(retired.pk)), "type") == [
        "That follow-up type is no longer available; choose another."
    ]


# Start ---------------------------------------------------------------------------------


def test_it_requires_a_start_date(bind):
    assert errors(bind(start_date=""), "start_date") == ["Enter the start date."]


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", "02.03.2026x"])
def test_it_refuses_a_bad_date(bind, value):
    assert errors(bind(start_date=value), "start_date") == [
        f"Enter a real date, such as {timezone.localdate():%d.%m.%Y}."
    ]


@pytest.mark.parametrize("value", ["1999-12-31", "2100-01-01"])
def test_it_refuses_a_date_out_of_range(bind, value):
    assert errors(bind(start_date=value), "start_date") == [
        "Choose a start date between 2000 and 2099."
    ]


# Description ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "   \n  "])
def test_it_requires_a_description(bind, value):
    assert errors(bind(description=value), "description") == ["Describe the follow-up."]


def test_it_refuses_a_description_over_2048_characters(bind):
    assert errors(bind(description="x" * 2049), "description") == [
        "Keep the description to 2048 characters (it has 2049)."
    ]


def test_it_accepts_2048_characters_and_strips_the_ends(bind):
    form = bind(description="  " + "x" * 2048 + "\n")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["description"] == "x" * 2048


# Priority ------------------------------------------------------------------------------


def test_it_refuses_an_inactive_priority(bind):
    retired = PriorityFactory(active=False)

    assert errors(bind(priority=str(retired.pk)), "priority") == [
        "That priority is no longer available; choose another."
    ]


def test_it_accepts_an_active_priority(bind):
    high = Priority.objects.get(name="High")

    form = bind(priority=str(high.pk))

    assert form.is_valid(), form.errors
    assert form.settings().priority == high


# Owner ---------------------------------------------------------------------------------


def test_it_requires_an_owner_option(bind):
    assert errors(bind(owner_mode=None), "owner_mode") == [
        "Choose whose activity list the follow-ups go to."
    ]


def test_it_refuses_our_contact_mode_without_the_right(bind):
    assert errors(bind(owner_mode="our_contact"), "owner_mode") == [
        "Your role does not allow assigning follow-ups to the companies' our contacts."
    ]


def test_it_accepts_our_contact_mode_with_the_right(bind, manager):
    form = bind(associate=manager, owner_mode="our_contact")

    assert form.is_valid(), form.errors
    assert form.scope().owner_mode == OwnerMode.OUR_CONTACT


def test_it_requires_the_other_associate(bind):
    assert errors(bind(owner_mode="other"), "owner_associate") == [
        "Choose the associate to assign them to."
    ]


def test_it_accepts_an_associate_of_my_user_groups(bind, salesperson):
    colleague = AssociateFactory(primary_group=salesperson.primary_group)
    # Shares a group through "other user groups" only.
    visitor = AssociateFactory(other_groups=[salesperson.primary_group])

    for associate in (colleague, visitor):
        form = bind(owner_mode="other", owner_associate=str(associate.pk))
        assert form.is_valid(), form.errors
        assert form.scope().owner_associate == associate


def test_it_refuses_an_associate_outside_my_user_groups(bind, outsider):
    assert errors(
        bind(owner_mode="other", owner_associate=str(outsider.pk)), "owner_associate"
    ) == ["You cannot assign follow-ups to that associate."]


@pytest.mark.parametrize(
    "changes", [{"active": False}, {"user__is_active": False}], ids=["associate", "login"]
)
def test_it_refuses_an_inactive_associate(bind, salesperson, changes):
    gone = AssociateFactory(primary_group=salesperson.primary_group, **changes)

    assert errors(bind(owner_mode="other", owner_associate=str(gone.pk)), "owner_associate") == [
        "You cannot assign follow-ups to that associate."
    ]


def test_a_role_that_sees_everyone_may_assign_to_any_active_associate(bind, manager, outsider):
    form = bind(associate=manager, owner_mode="other", owner_associate=str(outsider.pk))

    assert form.is_valid(), form.errors
    assert form.scope().owner_associate == outsider


def test_it_ignores_the_associate_unless_other_is_chosen(bind, outsider):
    colleague = AssociateFactory(primary_group=UserGroupFactory())

    form = bind(owner_mode="mine", owner_associate="")

    assert form.is_valid(), form.errors
    assert form.scope().owner_associate is None
    assert colleague not in form.fields["owner_associate"].queryset
    assert outsider not in form.fields["owner_associate"].queryset


# Members -------------------------------------------------------------------------------


def test_it_refuses_an_empty_selection(salesperson, dialog_data):
    empty = SelectionFactory(owner=salesperson)

    form = GenerateFollowUpsForm(dialog_data(), selection=empty, associate=salesperson)

    assert errors(form, "__all__") == [
        "This selection has no members, so there is nothing to create."
    ]


def test_it_requires_a_ticked_member_with_selected_members_only(bind):
    assert errors(bind(selected_only="on"), "members") == [
        "Tick at least one member in the list, or create follow-ups for all members."
    ]


def test_it_accepts_ticked_members_of_this_selection(bind, members):
    form = bind(selected_only="on", members=[str(members[2].pk), str(members[0].pk)])

    assert form.is_valid(), form.errors
    assert form.scope().member_ids == (members[0].pk, members[2].pk)


def test_it_refuses_members_of_another_selection(bind, members, salesperson):
    theirs = SelectionMemberFactory(selection=SelectionFactory(owner=salesperson))

    form = bind(selected_only="on", members=[str(members[0].pk), str(theirs.pk)])

    assert errors(form, "members") == [
        "1 ticked member is no longer in this selection; reload the page."
    ]


@pytest.mark.parametrize("value", ["abc", "-4", "0", str(2**63)])
def test_it_refuses_member_ids_it_cannot_read(bind, value):
    assert errors(bind(selected_only="on", members=[value]), "members") == [
        "The ticked members could not be read; reload the page."
    ]


def test_it_refuses_too_many_ticked_members(bind):
    ids = [str(i) for i in range(1, MAX_SELECTED_MEMBERS + 2)]

    assert errors(bind(selected_only="on", members=ids), "members") == [
        "Tick at most 5,000 members, or run the task on the whole selection."
    ]


def test_it_ignores_ticked_members_without_selected_members_only(bind, members):
    form = bind(selected_only="", members=[str(members[0].pk)])

    assert form.is_valid(), form.errors
    assert form.scope().member_ids is None


# Project -------------------------------------------------------------------------------


@pytest.fixture
def projects(db):
    return {
        "spring": ProjectFactory(name="Vårkampanje 2026"),
        "fair": ProjectFactory(name="Messe Lillestrøm"),
        "fair2": ProjectFactory(name="Messe Lillestrøm høst"),
        "office": ProjectFactory(name="Nytt kontor"),
        "old": ProjectFactory(name="Gammel avtale", active=False),
    }


def project_of(form):
    assert form.is_valid(), form.errors
    return form.settings().project


def test_it_leaves_the_project_blank_when_nothing_is_typed(bind, projects):
    assert project_of(bind(project_text="  ")) is None


@pytest.mark.parametrize(
    "text", ["Vårkampanje 2026", "Vårkamp", "vårKAMPANJE", "  vår  "], ids=lambda t: t.strip()
)
def test_it_finds_a_project_by_its_whole_name_or_its_start(bind, projects, text):
    assert project_of(bind(project_text=text)) == projects["spring"]


@pytest.mark.parametrize("text", ["%kontor", "% KONTOR", "%tt ko"])
def test_a_leading_percent_means_contains(bind, projects, text):
    assert project_of(bind(project_text=text)) == projects["office"]


def test_text_in_the_middle_without_percent_matches_nothing(bind, projects):
    assert errors(bind(project_text="kontor"), "project_text") == [
        "No active project matches “kontor”."
    ]


def test_it_refuses_text_that_matches_no_project(bind, projects):
    assert errors(bind(project_text="Sommer"), "project_text") == [
        "No active project matches “Sommer”."
    ]


def test_it_refuses_text_that_matches_several_projects(bind, projects):
    assert errors(bind(project_text="messe"), "project_text") == [
        "2 projects match “messe”; pick one from the list."
    ]


def test_an_exact_name_wins_over_names_that_start_with_it(bind, projects):
    assert project_of(bind(project_text="messe lillestrøm")) == projects["fair"]


def test_a_project_picked_from_the_list_wins(bind, projects):
    twin = ProjectFactory(name="Messe Lillestrøm")

    assert errors(bind(project_text="Messe Lillestrøm"), "project_text") == [
        "3 projects match “Messe Lillestrøm”; pick one from the list."
    ]
    form = bind(project_text="Messe Lillestrøm", project=str(twin.pk))
    assert project_of(form) == twin


def test_a_picked_project_is_resolved_again_when_the_text_changed(bind, projects):
    form = bind(project_text="Nytt", project=str(projects["spring"].pk))

    assert project_of(form) == projects["office"]


def test_a_picked_project_with_text_that_matches_nothing_is_refused(bind, projects):
    form = bind(project_text="Sommer", project=str(projects["spring"].pk))

    assert errors(form, "project_text") == ["No active project matches “Sommer”."]


def test_an_inactive_project_never_matches(bind, projects):
    for changes in (
        {"project_text": "Gammel avtale"},
        {"project_text": "%avtale"},
        {"project_text": "Gammel avtale", "project": str(projects["old"].pk)},
    ):
        assert errors(bind(**changes), "project_text") == [
            f"No active project matches “{changes['project_text']}”."
        ]


def test_it_refuses_a_project_id_that_is_not_a_number(bind, projects):
    form = bind(project_text="Nytt kontor", project="1 OR 1=1")

    assert project_of(form) == projects["office"]


def test_it_refuses_project_text_longer_than_any_name(bind):
    assert errors(bind(project_text="x" * 201), "project_text") == [
        "No project has a name that long."
    ]


def test_find_projects_matches_active_projects_only(projects):
    assert set(find_projects("%LILLE")) == {projects["fair"], projects["fair2"]}
    assert set(find_projects("messe")) == {projects["fair"], projects["fair2"]}
    assert list(find_projects("gammel")) == []
    assert list(find_projects("%avtale")) == []


def test_it_matches_norwegian_letters_in_any_case(bind):
    ostfold = ProjectFactory(name="Østfold vår")

    assert project_of(bind(project_text="øST")) == ostfold
    assert project_of(bind(project_text="%VÅR")) == ostfold

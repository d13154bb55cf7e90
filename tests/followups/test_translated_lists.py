"""Follow-up types and priorities have a name per language (English, and Norwegian that
falls back to English when blank), shown in the user's language everywhere: the
dialog's and the edit page's choices, the activity list, history, a company's card,
the follow-up page, the generation pages and Django admin. The default lists are named
in both languages, by the migrations and by seed_demo."""

from __future__ import annotations

import importlib
import uuid
from datetime import date
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from demo.factories import (
    CompanyFactory,
    FollowUpFactory,
    FollowUpTypeFactory,
    PriorityFactory,
    SelectionMemberFactory,
    UserFactory,
)
from followups import services
from followups.models import FollowUp, FollowUpType, Priority
from followups.services import Scope, Settings
from tests.helpers import element, elements

pytestmark = pytest.mark.django_db

DEFAULT_TYPES = [
    ("Meeting", "Møte"),
    ("Phone call", "Telefonsamtale"),
    ("To-do", "Gjøremål"),
    ("Presentation", "Presentasjon"),
    ("Send offer", "Send tilbud"),
]
DEFAULT_PRIORITIES = [("High", "Høy"), ("Medium", "Middels"), ("Low", "Lav")]


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A request in Norwegian leaves Norwegian active in this thread (LocaleMiddleware):
    the tests after these start in the default language again."""
    yield
    translation.deactivate()


def in_language(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def options(html: str, name: str) -> list[str]:
    """The labels of a <select name=…>'s options, empty ones left out."""
    select = element(html, "select", name=name)
    return [option.text for option in elements(select.html, "option") if option.text]


@pytest.fixture
def meeting(db):
    return FollowUpType.objects.get(name="Meeting")


@pytest.fixture
def high(db):
    return Priority.objects.get(name="High")


@pytest.fixture
def company(db):
    return CompanyFactory(name="Fjordlys AS")


@pytest.fixture
def generation(selection, salesperson, meeting, high, company):
    SelectionMemberFactory(selection=selection, company=company, person=None)
    generation, _created = services.followups_generate(
        selection=selection,
        creator=salesperson,
        key=uuid.uuid4(),
        scope=Scope(),
        settings=Settings(
            type=meeting, start_date=date(2026, 12, 1), description="Invitasjon", priority=high
        ),
    )
    return generation


# --- the lists ---------------------------------------------------------------------------


def test_it_seeds_the_default_lists_in_both_languages():
    assert list(FollowUpType.objects.values_list("name", "name_nb")) == DEFAULT_TYPES
    assert list(Priority.objects.values_list("name", "name_nb")) == DEFAULT_PRIORITIES


def test_it_shows_the_name_in_the_active_language(meeting):
    untranslated = FollowUpTypeFactory(name="Site visit", name_nb="")

    with translation.override("nb"):
        assert (str(meeting), meeting.display_name, str(untranslated)) == (
            "Møte",
            "Møte",
            "Site visit",
        )
    with translation.override("en"):
        assert (str(meeting), meeting.display_name) == ("Meeting", "Meeting")


@pytest.mark.parametrize(
    ("model", "english", "norwegian"),
    [(FollowUpType, "Meeting", "Møte"), (Priority, "High", "Høy")],
)
def test_it_keeps_names_unique_per_language_in_any_case(model, english, norwegian):
    for duplicate in (
        {"name": english.upper()},  # the English name again
        {"name": "Other", "name_nb": norwegian.upper()},  # the Norwegian name again
        {"name": norwegian.lower()},  # shown in Norwegian as the other's Norwegian name
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.create(**duplicate)
    # The same name in the other language is no clash, and neither are two blanks.
    model.objects.create(name=norwegian[:2] + "x", name_nb=english)
    model.objects.create(name="One", name_nb="")
    model.objects.create(name="Two", name_nb="")


def test_the_data_migration_names_only_what_is_free_in_norwegian(meeting):
    FollowUpType.objects.filter(name__in=["Meeting", "Phone call"]).update(name_nb="")
    own = FollowUpType.objects.create(name="Møte")  # named in Norwegian by an administrator
    migration = importlib.import_module("followups.migrations.0008_default_names_in_norwegian")

    migration.name_in_norwegian(apps, None)

    names = dict(FollowUpType.objects.values_list("name", "name_nb"))
    assert names["Meeting"] == ""  # "Møte" is the administrator's type's name
    assert names["Phone call"] == "Telefonsamtale"
    assert names[own.name] == ""


def test_seed_demo_names_the_lists_in_both_languages():
    FollowUpType.objects.all().delete()  # as in a database emptied since it was migrated
    Priority.objects.all().delete()

    call_command("seed_demo", stdout=StringIO())

    assert list(FollowUpType.objects.values_list("name", "name_nb")) == DEFAULT_TYPES
    assert list(Priority.objects.values_list("name", "name_nb")) == DEFAULT_PRIORITIES
    high = FollowUp.objects.filter(priority__name="High")
    assert high.exists() and set(high.values_list("type__name_nb", flat=True)) == {"Telefonsamtale"}


# --- where they are shown ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "types", "priorities"),
    [
        ("en", [n for n, _ in DEFAULT_TYPES], [n for n, _ in DEFAULT_PRIORITIES]),
        ("nb", [n for _, n in DEFAULT_TYPES], [n for _, n in DEFAULT_PRIORITIES]),
    ],
)
def test_the_dialog_offers_them_in_the_users_language(
    login, salesperson, selection, company, language, types, priorities
):
    SelectionMemberFactory(selection=selection, company=company, person=None)
    client = in_language(login(salesperson), language)

    html = client.get(reverse("followups:generate_dialog", args=[selection.pk])).content.decode()

    assert options(html, "type") == types
    assert options(html, "priority") == priorities


def test_the_lists_and_pages_show_them_in_norwegian(
    login, salesperson, generation, company, meeting, high
):
    followup = FollowUp.objects.get(generation=generation)
    client = in_language(login(salesperson), "nb")

    pages = {
        "activity list": reverse("followups:activity_list"),
        "history": reverse("followups:history"),
        "company card": reverse("crm:company", args=[company.pk]),
        "follow-up page": reverse("followups:detail", args=[followup.pk]),
    }
    for page, url in pages.items():
        html = client.get(url).content.decode()
        assert "Møte" in html and "Høy" in html, page
        assert "Meeting" not in html and "High" not in html, page
    edit = client.get(pages["follow-up page"]).content.decode()
    assert options(edit, "type") == [n for _, n in DEFAULT_TYPES]
    assert options(edit, "priority") == [n for _, n in DEFAULT_PRIORITIES]

    for url in (
        reverse("followups:generation_list"),
        reverse("followups:generation_detail", args=[generation.pk]),
    ):
        html = client.get(url).content.decode()
        assert "Møte" in html and "Meeting" not in html, url


def test_the_activity_list_takes_the_same_queries_in_norwegian(
    login, salesperson, company, meeting, high, django_assert_num_queries
):
    FollowUpFactory.create_batch(3, owner=salesperson, company=company, type=meeting, priority=high)
    client = in_language(login(salesperson), "nb")

    # As in English (test_activity_list): 1 session, 2 user, 3 associate, 4 its other
    # user groups, 5-6 the filter bar's types and priorities (also the rows' names), 7
    # the open follow-ups' keys, 8 those completed today, 9 the rows with project,
    # company and person, 10 their owners, 11-12 the totals, 13-14 the user's rights.
    with django_assert_num_queries(14):  # as in English (test_activity_list)
        html = client.get(reverse("followups:activity_list")).content.decode()

    # Three rows, and each name once more as the filter bar's option.
    assert html.count("Møte") == 3 + 1 and html.count("Høy") == 3 + 1
    assert html.count("Meeting") == 0


def test_admin_shows_them_in_the_users_language_and_edits_both_names(client, meeting, high):
    FollowUpFactory(type=meeting, priority=high, description="Invitasjon")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    norwegian = in_language(client, "nb")

    followups = norwegian.get(reverse("admin:followups_followup_changelist")).content.decode()
    types = norwegian.get(reverse("admin:followups_followuptype_changelist")).content.decode()

    assert "Møte" in followups and "Meeting" not in followups  # the list and its filter
    assert "Møte" in types and "Meeting" in types  # both names, side by side
    assert "Høy" in norwegian.get(reverse("admin:followups_priority_changelist")).content.decode()

    english = in_language(client, "en")
    response = english.post(
        reverse("admin:followups_followuptype_add"),
        {"name": "Site visit", "name_nb": "MØTE", "kind": "task", "colour": "#4a7bd0", "rank": 5},
    )
    assert "Another follow-up type has this name in Norwegian." in response.content.decode()
    response = english.post(
        reverse("admin:followups_followuptype_add"),
        {
            "name": "Site visit",
            "name_nb": "Befaring",
            "kind": "task",
            "colour": "#4a7bd0",
            "rank": 5,
        },
    )
    assert response.status_code == 302
    assert FollowUpType.objects.filter(name="Site visit", name_nb="Befaring").exists()


def test_a_priority_without_a_norwegian_name_shows_its_english_one(login, salesperson, company):
    FollowUpFactory(
        owner=salesperson,
        company=company,
        type=FollowUpTypeFactory(name="Site visit"),
        priority=PriorityFactory(name="Urgent"),
    )

    html = in_language(login(salesperson), "nb").get(reverse("followups:activity_list"))

    assert "Site visit" in html.content.decode() and "Urgent" in html.content.decode()

"""Case-insensitive in every language, on SQLite and PostgreSQL alike: Æ, Ø, Å (and every
other letter) fold like A-Z in project suggestions, quick search, dynamic criteria and
the selection page's member search; project suggestions still come off their index."""

from __future__ import annotations

import re
import sys

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from crm.models import (
    CASED_BELOW,
    Company,
    MatchKey,
    Project,
    UnicodeUpper,
    any_case_glob,
    fold_case,
    rough_like,
    starting_with,
)
from demo.factories import CompanyFactory, FollowUpFactory, PersonFactory, ProjectFactory
from followups.forms import find_projects, resolve_project
from selections import dynamic
from selections.models import Criterion, Selection
from tests.helpers import HTMX

pytestmark = pytest.mark.django_db

Field = Criterion.Field


# --- folding ---------------------------------------------------------------------------


def test_it_folds_every_letter_one_for_one():
    assert fold_case("Åpning Ørsta, ærlig") == "ÅPNING ØRSTA, ÆRLIG"
    assert fold_case("Yıldız Şahin") == "YILDIZ ŞAHIN"
    assert fold_case("Straße") == "STRAßE"  # as PostgreSQL's UPPER(): one for one
    assert fold_case("") == ""


def test_it_folds_in_the_database_as_in_python():
    names = ["Åpning Ørsta", "ærlig talt", "Straße 5", "Yıldız", "ǆungla", "ŉ"]
    for name in names:
        ProjectFactory(name=name)

    folded = Project.objects.annotate(upper=UnicodeUpper("name"), key=MatchKey("name"))

    assert {p.name: (p.upper, p.key) for p in folded} == {
        name: (fold_case(name), fold_case(name)) for name in names
    }


def test_no_character_from_where_the_glob_classes_stop_has_a_case():
    """same_letter() reads the characters below CASED_BELOW only."""
    changed = [
        hex(i)
        for i in range(CASED_BELOW, sys.maxunicode + 1)
        if not 0xD800 <= i <= 0xDFFF and fold_case(chr(i)) != chr(i)
    ]
    assert changed == []


def test_a_glob_class_holds_every_character_that_folds_alike():
    assert any_case_glob("øy") == "[Øø][Yy]"
    assert any_case_glob("is") == "[Iiı][Ssſ]"
    assert any_case_glob("σ*?[]1") == "[Σςσ][*][?][[]]1"


def test_a_rough_like_lets_through_whatever_the_glob_matches():
    """LIKE folds A-Z only: "_" for each character a letter outside ASCII may stand for."""
    assert rough_like("øy") == "_Y"
    assert rough_like("Kis") == "K__"  # the dotless i and the long s fold into I and S
    assert rough_like("50%_\\a") == "50\\%\\_\\\\A"


# --- project suggestions ----------------------------------------------------------------


@pytest.fixture
def projects(db):
    names = ["Åpning Ørsta", "Ålgård messe", "Østfold vår", "Æbleskiver AS", "Alpha", "Ørsta"]
    return {name: ProjectFactory(name=name) for name in names}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("åpning", ["Åpning Ørsta"]),
        ("ÅPNING ørsta", ["Åpning Ørsta"]),
        ("ålgård", ["Ålgård messe"]),
        ("øst", ["Østfold vår"]),
        ("ø", ["Ørsta", "Østfold vår"]),
        ("æ", ["Æbleskiver AS"]),
        ("%ØRSTA", ["Åpning Ørsta", "Ørsta"]),
        ("%VÅR", ["Østfold vår"]),
        ("%lgÅ", ["Ålgård messe"]),
        ("a", ["Alpha"]),
    ],
)
def test_it_suggests_projects_whatever_the_case_of_their_letters(projects, text, expected):
    assert [p.name for p in find_projects(text)] == expected


def test_it_orders_suggestions_by_their_folded_name():
    for name in ["beta", "Alfa", "ALFA 2", "Ål"]:
        ProjectFactory(name=name)

    # Letter by letter, in Unicode's order (Å comes after the letters A-Z).
    assert [p.name for p in find_projects("")] == ["Alfa", "ALFA 2", "beta", "Ål"]


def test_a_prefix_is_a_range_that_ends_after_its_last_letter():
    assert starting_with("k", "ab") == Q(k__gte="AB", k__lt="AC")
    assert starting_with("k", "åp") == Q(k__gte="ÅP", k__lt="ÅQ")
    assert starting_with("k", "a\U0010ffff") == Q(k__gte="A\U0010ffff", k__lt="B")
    assert starting_with("k", "\ud7ff") == Q(k__gte="\ud7ff", k__lt="\ue000")


def test_a_project_typed_in_another_case_is_picked_over_longer_names(projects):
    """The whole name typed wins over names that merely start with it."""
    ProjectFactory(name="Ørsta utvidelse")

    assert resolve_project("ØRSTA", None) == projects["Ørsta"]


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is tiny
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_suggestions_come_off_one_index_for_match_and_order(projects):
    found = plan(find_projects("øst")[:21])

    assert "crm_project_name_match" in found
    assert "Sort" not in found and "TEMP B-TREE" not in found  # the index gives the order


# --- LIKE's special characters, and letters that fold into A-Z --------------------------


@pytest.mark.parametrize(
    ("lookup", "text", "expected"),
    [
        ("unicode_icontains", "50%", ["50% rabatt"]),
        ("unicode_icontains", "a_b", ["a_b"]),
        ("unicode_icontains", "\\", ["back\\slash"]),
        ("unicode_icontains", "YILDIZ", ["Yıldız"]),
        ("unicode_icontains", "yildiz", ["Yıldız"]),
        ("unicode_icontains", "ſlott", ["Slottet"]),
        ("unicode_icontains", "straße", ["Straße"]),
        ("unicode_istartswith", "ørst", ["Ørsta"]),
        ("unicode_istartswith", "RSTA", []),
        ("unicode_iexact", "ØRSTA", ["Ørsta"]),
        ("unicode_iexact", "ørst", []),
    ],
)
def test_the_lookups_match_what_fold_case_matches(lookup, text, expected):
    names = ["50% rabatt", "500 rabatt", "a_b", "axb", "back\\slash", "Yıldız", "Slottet"]
    for name in [*names, "Straße", "Strasse", "Ørsta"]:
        CompanyFactory(name=name)

    found = Company.objects.filter(**{f"name__{lookup}": text}).order_by("name")

    assert [c.name for c in found] == expected


NAMES = [
    "Åpning Ørsta",
    "åPNING",
    "Ærlig talt",
    "Straße",
    "STRASSE",
    "Yıldız",
    "İzmir",
    "ſlott",
    "Σοφία",
    "ΣΟΦΊΑ",
    "σοφία",
    "50%_[x]*?",
    "Øy",
    "oy",
    "Ǆungla",
    "ǆungla",
]
NEEDLES = [
    "å",
    "ÅPN",
    "ørsta",
    "ærlig",
    "strasse",
    "straße",
    "yildiz",
    "izmir",
    "slott",
    "σοφ",
    "ΣΟΦΊ",
    "%_[",
    "[x]*",
    "?",
    "øy",
    "oy",
    "ǆun",
    "Ǆ",
]


@pytest.mark.parametrize("lookup", ["unicode_iexact", "unicode_istartswith", "unicode_icontains"])
def test_the_lookups_find_exactly_what_fold_case_finds(lookup):
    for name in NAMES:
        CompanyFactory(name=name)
    test = {
        "unicode_iexact": lambda name, text: fold_case(name) == fold_case(text),
        "unicode_istartswith": lambda name, text: fold_case(name).startswith(fold_case(text)),
        "unicode_icontains": lambda name, text: fold_case(text) in fold_case(name),
    }[lookup]

    for text in NEEDLES:
        found = set(
            Company.objects.filter(**{f"name__{lookup}": text}).values_list("name", flat=True)
        )
        assert found == {name for name in NAMES if test(name, text)}, text


# --- quick search, dynamic criteria, member search -------------------------------------


def test_quick_search_finds_norwegian_letters_in_any_case(login, salesperson):
    company = CompanyFactory(name="Ålgård Bygg AS")
    by_description = FollowUpFactory(
        owner=salesperson, company=CompanyFactory(name="Firma"), description="MØTE om tilbud"
    )
    by_company = FollowUpFactory(owner=salesperson, company=company, description="Ring")
    by_person = FollowUpFactory(
        owner=salesperson,
        company=company,
        person=PersonFactory(first_name="Øyvind", last_name="Ås", company=company),
        description="Send brosjyre",
    )
    by_project = FollowUpFactory(
        owner=salesperson,
        company=CompanyFactory(name="Firma"),
        project=ProjectFactory(name="Åpning Ørsta"),
        description="Invitasjon",
    )
    client = login(salesperson)

    def search(text: str) -> set[int]:
        response = client.get(reverse("followups:quick_search"), {"q": text}, headers=HTMX)
        return {
            int(pk) for pk in re.findall(r'href="/followups/(\d+)/"', response.content.decode())
        }

    assert search("møte") == {by_description.pk}
    assert search("ålgÅRD") == {by_company.pk, by_person.pk}
    assert search("ØYVIND") == {by_person.pk}
    assert search("ÅPNING") == {by_project.pk}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (Field.COMPANY_NAME_STARTS, "ålgård"),
        (Field.COMPANY_NAME_CONTAINS, "GÅRD BY"),
        (Field.CITY, "ÅLGÅRD"),
        (Field.CATEGORY, "kunde på øya"),
    ],
)
def test_dynamic_criteria_fold_norwegian_letters(salesperson, field, value):
    match = CompanyFactory(name="Ålgård Bygg", city="Ålgård", category="Kunde på Øya")
    CompanyFactory(name="Algard AS", city="Algard", category="Kunde pa Oya")
    selection = Selection.objects.create(
        name="Dynamisk", owner=salesperson, kind=Selection.Kind.DYNAMIC
    )
    selection.criteria.create(field=field, value=value)

    rows = {
        (r["row_company"], r["row_person"]) for r in dynamic.result_rows(selection, salesperson)
    }

    assert rows == {(match.pk, None)}


def test_member_search_finds_norwegian_letters_in_any_case(login, salesperson):
    selection = Selection.objects.create(name="Kunder", owner=salesperson)
    company = CompanyFactory(name="Ørsta Sparebank")
    person = PersonFactory(first_name="Åse", last_name="Ødegård", company=None)
    CompanyFactory(name="Orsta Auto")
    client = login(salesperson)

    def search(text: str, kind: str) -> list[int]:
        response = client.get(
            reverse("selections:member_search", args=[selection.pk]),
            {"q": text},
            headers=HTMX,
        )
        html = response.content.decode()
        return [int(pk) for pk in re.findall(rf'name="{kind}" value="(\d+)"', html)]

    assert search("ø", "company") == [company.pk]
    assert search("ø", "person") == [person.pk]
    assert search("ÅSE", "person") == [person.pk]

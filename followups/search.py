"""Quick search: the top bar's type-ahead over companies, persons and the open follow-ups
an associate may see, each group found off an index at any size of the follow-ups table.

A follow-up is found by its description or project, or by its company or person:

- by its company or person: the companies and persons whose name starts with the text
  (off their name indexes), then their follow-ups (as models.of_party finds them: off
  the follow-ups' company and person indexes, one range per generation);
- by its description or project, without reading every follow-up. A generation writes
  its description and project into every row it creates, so an untouched row of a
  generation matches exactly when its generation does: the generations whose text
  matches are found in their own (small) table, and the first open rows of each come
  off an index led by the generation and the start (_open_in_generation). Every other
  open row — created one by one, or changed since its generation wrote it — is in the
  partial index followups_open_edited, which a generation never writes, and is read
  there.

Each part yields its first SEARCH_LIMIT rows by start date; one query unites them and
the first SEARCH_LIMIT of the union are shown. A row found by two parts counts once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from crm.models import Associate, Company, MatchKey, Person, fold_case, starting_with

from .models import FollowUp, Generation, party_parts

SEARCH_LIMIT = 10
CARD_LIMIT = 5  # companies, and persons, shown in the type-ahead
SEARCH_MIN_LENGTH = 2
# Companies and persons whose follow-ups are searched; generations whose rows are.
PARTY_LIMIT = 50
GENERATION_LIMIT = 200


@dataclass(frozen=True)
class QuickResults:
    followups: list[FollowUp] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)


def companies_named(text: str):
    """Companies whose name starts with `text`, any case, in name order."""
    return (
        Company.objects.annotate(match_key=MatchKey("name"))
        .filter(starting_with("match_key", text))
        .order_by("match_key", "id")
    )


def persons_named(text: str) -> list:
    """Persons whose first name, and those whose last name, starts with `text`, any
    case: two ranges of two indexes, each in its own order."""
    return [
        Person.objects.annotate(key=MatchKey(name))
        .filter(starting_with("key", text))
        .order_by("key", "id")
        for name in ("first_name", "last_name")
    ]


def _open_in_generation() -> dict:
    """A generation's open rows, as its index by start date takes them: on PostgreSQL
    "completed IN (false)", an equality that followups_by_generation (generation,
    completed, start, id) takes ahead of the start date; on SQLite Django's "NOT
    completed", the condition of the partial followups_open_by_generation (generation,
    start) (migration 0023)."""
    if connection.vendor == "postgresql":
        return {"completed__in": [False]}
    return {"completed": False}


def _first(qs) -> tuple[str, tuple]:
    """The SQL of a part: the ids of its first SEARCH_LIMIT rows by start date."""
    return qs.order_by("start_date", "id").values("id")[:SEARCH_LIMIT].query.sql_with_params()


def matching_followups(associate: Associate, text: str, generations: list[int]) -> list[FollowUp]:
    """The first open follow-ups by start date that `associate` may see whose
    description, project, company or person matches `text` (one query, and the list
    columns' own)."""
    visible = FollowUp.objects.visible_to(associate).open()
    words = Q(description__unicode_icontains=text) | Q(project__name__unicode_icontains=text)
    parts = [
        # Each part of the rule on its own (an OR of them would read every open row on
        # PostgreSQL, which cannot join the names' subquery under an OR).
        *(
            visible.filter(part)
            for party in (
                ("company_id", companies_named(text).values("id")[:PARTY_LIMIT]),
                *(("person_id", p.values("id")[:PARTY_LIMIT]) for p in persons_named(text)),
            )
            for part in party_parts(*party)
        ),
        visible.edited().filter(words),
        *(
            visible.filter(generation_id=pk, **_open_in_generation()).unchanged()
            for pk in generations
        ),
    ]
    compiled = [_first(part) for part in parts]
    union = " UNION ALL ".join(
        f"SELECT id FROM ({sql}) part{n}" for n, (sql, _) in enumerate(compiled)
    )
    params = tuple(p for _, ps in compiled for p in ps)
    return list(
        FollowUp.objects.filter(id__in=RawSQL(union, params))
        .for_lists()
        .order_by("start_date", "id")[:SEARCH_LIMIT]
    )


def quick_search(associate: Associate, text: str) -> QuickResults:
    """Companies (by the start of the name, or the city), persons (by the start of a
    name or the e-mail address) and the open follow-ups matching `text`."""
    if len(text) < SEARCH_MIN_LENGTH:
        return QuickResults()
    generations = list(
        # A completed generation's untouched rows are completed.
        Generation.objects.filter(
            Q(description__unicode_icontains=text) | Q(project__name__unicode_icontains=text),
            completed=False,
        )
        .order_by("-id")
        .values_list("id", flat=True)[:GENERATION_LIMIT]
    )
    companies = (
        Company.objects.annotate(match_key=MatchKey("name"), city_key=MatchKey("city"))
        .filter(starting_with("match_key", text) | Q(city_key=fold_case(text)))
        .order_by("match_key", "id")
    )
    persons = (
        Person.objects.annotate(
            first_key=MatchKey("first_name"),
            last_key=MatchKey("last_name"),
            email_key=MatchKey("email"),
        )
        .filter(
            starting_with("first_key", text)
            | starting_with("last_key", text)
            | starting_with("email_key", text)
        )
        .select_related("company")
        .order_by("last_name", "first_name", "id")
    )
    return QuickResults(
        followups=matching_followups(associate, text, generations),
        companies=list(companies[:CARD_LIMIT]),
        persons=list(persons[:CARD_LIMIT]),
    )

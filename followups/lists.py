"""Which follow-ups each list shows, in which order, and how a person narrows it: one
definition for the page, its export, and a change made to all of its rows.

The lists: the activity list (`activity_rows`), the history (`history_rows`), a
company's or a person's card (`card_rows`) and a generation's page
(`generation_rows`). Each can be narrowed by type, project and priority
(`ListFilters`, a GET form) and sorted by a column (`SORTS`, ?sort=type or
?sort=-start), always with the id as the last key so that a page never repeats or
skips a row.
"""

from __future__ import annotations

import functools
import heapq
import operator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast
from urllib.parse import urlencode

from django import forms
from django.db import connection
from django.db.models import Count, F, OrderBy, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import PROJECT_NAME_LENGTH, Company, MatchKey, Person, Project

from .models import BulkChangeRow, FollowUp, FollowUpType, Priority, of_party, overdue_on
from .paging import PAGE_SIZE, Page, page_number, page_of

FILTERS = ("open", "overdue", "today", "week")

# The columns a list can be sorted by, and the keys of each (after them: the start and
# the id). Type and priority sort by their rank, as the dialog lists them; names
# case-insensitively.
SORTS = {
    "start": ("start_date",),
    "type": ("type__rank", "type__name"),
    "company": ("company__name",),
    "person": ("person__last_name", "person__first_name"),
    "project": ("project__name",),
    "priority": ("priority__rank", "priority__name"),
}
NO_PRIORITY = "none"


def start_of(day):
    """Midnight at the start of `day`, in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def sort_of(value, default: str) -> str:
    """The sort asked for (?sort=), or `default` for anything that is not one."""
    value = str(value or "")
    return value if value.removeprefix("-") in SORTS else default


def _key(path: str):
    """A name sorts case-insensitively, the same on both databases (MatchKey: upper-cased
    in every script, compared character by character); a rank as it is."""
    return MatchKey(path) if path.endswith("name") else F(path)


def ordering(sort: str) -> list[OrderBy | str]:
    """ORDER BY of a sort: its column's keys in its direction (rows without a value
    last), then start and id; by start alone it is (start_date, id), the order of the
    index over the open follow-ups (followups_open_by_owner), either way."""
    name, descending = sort.removeprefix("-"), sort.startswith("-")
    if name == "start":
        return ["-start_date", "-id"] if descending else ["start_date", "id"]
    keys = [
        key.desc(nulls_last=True) if descending else key.asc(nulls_last=True)
        for key in map(_key, SORTS[name])
    ]
    return [*keys, "start_date", "id"]


class ListFilters(forms.Form):
    """The filter bar over a list (a GET form): type, project (its name or the start of
    it, case-insensitive; a leading % means "contains") and priority. A value that is
    not one is answered next to its field, and that filter is left out."""

    type = forms.TypedChoiceField(
        label=_("Type"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("That type does not exist; choose another.")},
    )
    project = forms.CharField(
        label=_("Project"),
        required=False,
        max_length=PROJECT_NAME_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": _("Name or its start")}
        ),
        error_messages={"max_length": _("No project has a name that long.")},
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        error_messages={"invalid_choice": _("That priority does not exist; choose another.")},
    )

    def __init__(self, data=None, **kwargs):
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(data, **kwargs)
        # The two small lists, read once each: the options and what is valid.
        self.types = list(FollowUpType.objects.order_by("rank", "name", "id"))
        self.priorities = list(Priority.objects.order_by("rank", "name", "id"))
        cast(forms.ChoiceField, self.fields["type"]).choices = [("", _("All types"))] + [
            (t.pk, t.display_name) for t in self.types
        ]
        cast(forms.ChoiceField, self.fields["priority"]).choices = [
            ("", _("All priorities")),
            *((str(p.pk), p.display_name) for p in self.priorities),
            (NO_PRIORITY, _("No priority")),
        ]

    def name_rows(self, ids: list[int]) -> list[FollowUp]:
        """The follow-ups of `ids`, in that order, as the lists show them: their type and
        priority from the lists this form has read (no query for either)."""
        found = FollowUp.objects.for_lists(names=False).in_bulk(ids)
        types = {t.pk: t for t in self.types}
        priorities = {p.pk: p for p in self.priorities}
        rows = [found[pk] for pk in ids if pk in found]
        for row in rows:
            row.type = types.get(row.type_id) or FollowUpType.objects.get(pk=row.type_id)
            if row.priority_id is not None:
                row.priority = priorities.get(row.priority_id) or Priority.objects.get(
                    pk=row.priority_id
                )
        return rows

    def clean_project(self):
        return self.cleaned_data["project"].replace("\x00", "").strip()

    def values(self) -> dict:
        """The filters that hold a valid value."""
        if self.is_bound:
            self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            name: data[name]
            for name in ("type", "project", "priority")
            if name not in self.errors and data.get(name) not in (None, "")
        }

    def apply(self, rows: QuerySet) -> QuerySet:
        """`rows` narrowed by the valid filters (no query of its own)."""
        return narrowed(rows, self.values())

    def query(self) -> str:
        """The valid filters as a query string (for sorting, paging and export links)."""
        return urlencode(self.values())

    @property
    def active(self) -> bool:
        return bool(self.values())


def filter_values(data) -> dict:
    """The filters of a query string that a list made itself (its export link, its bulk
    bar), read without a query: a value that is not one is left out (an id that is no
    row's matches nothing)."""

    def an_id(value: str) -> bool:
        return value.isascii() and value.isdigit() and len(value) < 19

    found: dict = {}
    type_ = str(data.get("type") or "")
    if an_id(type_):
        found["type"] = int(type_)
    priority = str(data.get("priority") or "")
    if priority == NO_PRIORITY or an_id(priority):
        found["priority"] = priority
    project = str(data.get("project") or "").replace("\x00", "").strip()[:PROJECT_NAME_LENGTH]
    if project:
        found["project"] = project
    return found


def narrowed(rows: QuerySet, values: dict) -> QuerySet:
    if values.get("type") is not None:
        rows = rows.filter(type_id=values["type"])
    if values.get("priority") == NO_PRIORITY:
        rows = rows.filter(priority__isnull=True)
    elif values.get("priority"):
        rows = rows.filter(priority_id=int(values["priority"]))
    if values.get("project"):
        rows = rows.filter(project__in=Project.objects.matching(values["project"]).values("pk"))
    return rows


def activity_parts(
    associate,
    show: str,
    today,
    generation_id: int | None = None,
    bulk_id: int | None = None,
) -> tuple[QuerySet, QuerySet]:
    """The activity list's two parts for a filter: open follow-ups, and those completed
    today (a closed range, which SQLite's planner reads from the index over completed
    follow-ups); only those of one generation with `generation_id`, only those a bulk
    change gave this associate with `bulk_id` (the links in owners' notices)."""
    mine = FollowUp.objects.filter(owner=associate)
    if generation_id is not None:
        mine = mine.filter(generation_id=generation_id)
    if bulk_id is not None:  # those it gave this associate: another's before it
        mine = mine.filter(
            pk__in=BulkChangeRow.objects.filter(change_id=bulk_id)
            .exclude(owner_id=associate.pk)
            .values("followup_id")
        )
    open_ = mine.filter(completed=False)
    done_today = mine.filter(
        completed=True,
        completed_at__gte=start_of(today),
        completed_at__lt=start_of(today + timedelta(1)),
    )
    if show == "overdue":
        open_, done_today = open_.filter(overdue_on(today)), done_today.none()
    elif show == "today":
        open_, done_today = open_.filter(start_date=today), done_today.filter(start_date=today)
    elif show == "week":
        week = {"start_date__gte": today, "start_date__lt": today + timedelta(7)}
        open_, done_today = open_.filter(**week), done_today.filter(**week)
    return open_, done_today


def activity_rows(
    associate, show: str, generation_id: int | None = None, bulk_id: int | None = None
) -> QuerySet:
    """Every row the activity list shows with that filter, on all its pages."""
    open_, done_today = activity_parts(
        associate, show, timezone.localdate(), generation_id, bulk_id
    )
    return open_ | done_today


def history_rows(associate) -> QuerySet:
    """The history: every follow-up of the associate, completed ones included."""
    return FollowUp.objects.filter(owner=associate)


def card_rows(associate, *, company=None, person=None) -> QuerySet:
    """A company's or a person's Activities tab: the follow-ups this associate may see
    of that company or person (an instance or an id; see models.of_party), completed
    ones included."""
    visible = FollowUp.objects.visible_to(associate)
    return visible.of_company(company) if company is not None else visible.of_person(person)


def generation_rows(associate, generation) -> QuerySet:
    """A generation's follow-ups, those this associate may see."""
    return FollowUp.objects.visible_to(associate).filter(generation=generation)


@dataclass(frozen=True)
class Column:
    """A column heading of a sortable list: its link and its aria-sort."""

    name: str
    label: str
    url: str
    aria_sort: str  # ascending, descending or none

    @property
    def arrow(self) -> str:
        return {"ascending": "▲", "descending": "▼"}.get(self.aria_sort, "")


COLUMN_LABELS = {
    "start": _("Start"),
    "type": _("Type"),
    "company": _("Company"),
    "person": _("Person"),
    "project": _("Project"),
    "priority": _("Priority"),
}


def columns(sort: str, default: str, base: str) -> dict[str, Column]:
    """Each sortable column's heading: a link that sorts by it (ascending first, the
    other way when it is already the sort), keeping the rest of the list's query
    (`base`, without page and sort); aria-sort on the sorted one."""
    found = {}
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    for name, label in COLUMN_LABELS.items():
        if name == current:
            aria = "descending" if descending else "ascending"
            target = name if descending else f"-{name}"
        else:
            aria, target = "none", name
        query = "&".join(part for part in (base, f"sort={target}") if part)
        found[name] = Column(name, str(label), f"?{query}", aria)
    return found


def list_query(*parts: str, sort: str = "", default: str = "") -> str:
    """A list's query string from its parts (each already encoded), with the sort when
    it is not the list's default."""
    if sort and sort != default:
        parts = (*parts, urlencode({"sort": sort}))
    return "&".join(part for part in parts if part)


def sorting(sort: str, default: str, query: str) -> dict:
    """What a table's headings need: the sort, and a link per sortable column (keeping
    the rest of the list's `query`), with aria-sort."""
    base = QueryDict(query, mutable=True)
    base.pop("sort", None)
    base.pop("page", None)
    return {"sort": sort, "columns": columns(sort, default, base.urlencode())}


# The sorts whose key a filter of the same name fixes to one value on every row.
FIXED_BY_FILTER = ("type", "priority")


def page_sort(sort: str, values: dict) -> str:
    """The sort a page is read in. Sorted by type (or priority) with the list narrowed to
    one type (or priority), that key is the same on every row and the rows come in their
    next keys' order, start and id, either way: read as the sort by start, from the
    indexes, as far as the page goes, instead of sorting every row the filter leaves."""
    if sort.removeprefix("-") in FIXED_BY_FILTER and values.get(sort.removeprefix("-")):
        return "start"
    return sort


# The sorts by a company's or a person's name: the table, the follow-ups' column, and
# the name's fields, in the order the sort takes them (SORTS).
WALKED = {
    "company": (Company, "company_id", ("name",)),
    "person": (Person, "person_id", ("last_name", "first_name")),
}
WALK_FIRST = 100  # companies or persons read first
WALK_MOST = 3_000  # and at most, before the database sorts every row instead


def _some(model, ids: list[int]):
    """Some companies (or persons) as of_party takes them to be read off the follow-ups'
    company (or person) index: on PostgreSQL the ids themselves (an index condition,
    = ANY); on SQLite a query of them (with a list of numbers its planner reads the
    owner's index instead)."""
    if connection.vendor == "postgresql":
        return ids
    return model._default_manager.filter(pk__in=ids).values("pk")


def walked_ids(rows: QuerySet, sort: str, start: int, end: int) -> list[int] | None:
    """The ids of rows `start` to `end` (not included) of `rows` sorted by a company's or
    a person's name (WALKED), without sorting every row: the companies (or persons) are
    read in name order off their name index, a batch at a time, and each batch's number
    of rows counted off the follow-ups' company (or person) index, until the counts
    reach `end`; then only the rows of the companies that hold rows `start` to `end` are
    sorted. Companies with the same name form one block, whose rows the sort interleaves
    by start date, so a block is used only when it is whole.

    The rows without a company come last, either way. None when it would read too many
    companies (the rows are few and spread out): the caller sorts them all, which is
    then the cheaper way."""
    name, descending = sort.removeprefix("-"), sort.startswith("-")
    model, column, fields = WALKED[name]
    keys = {f"key{n}": MatchKey(field) for n, field in enumerate(fields)}
    order = [f"-{key}" if descending else key for key in keys] + ["-id" if descending else "id"]
    parties = model._default_manager.annotate(**keys).order_by(*order).values_list("id", *keys)
    # [key, party ids, rows] for each block of the same name, in the sort's order.
    blocks: list[list] = []
    read, batch = 0, WALK_FIRST
    while True:
        found = list(parties[read : read + batch])
        read += len(found)
        ids = [row[0] for row in found]
        counts = dict(
            rows.filter(of_party(column, _some(model, ids)))
            .order_by()
            .values_list(column)
            .annotate(n=Count("pk"))
        )
        for pk, *key in found:
            if not blocks or blocks[-1][0] != key:
                blocks.append([key, [], 0])
            blocks[-1][1].append(pk)
            blocks[-1][2] += counts.get(pk, 0)
        exhausted = len(found) < batch  # every company read
        whole = blocks if exhausted else blocks[:-1]  # else the last one may go on
        covered = sum(n for _key, _ids, n in whole)
        if covered >= end or exhausted:
            break
        # As many more as the rows found so far say it takes (four times as many while
        # none is found), or give up.
        needed = (end - covered) * read // covered if covered else batch * 4
        if read >= WALK_MOST or read + needed > WALK_MOST:
            return None
        batch = min(max(batch * 4, needed + WALK_FIRST), WALK_MOST - read)
    chosen: list[int] = []
    before, skip = 0, None
    for _key, ids, n in whole:
        if before + n > start and before < end:
            chosen += ids
            skip = start - before if skip is None else skip
        before += n
    # Past the last company: the rows without one, which come last either way.
    rest = covered < end
    if not chosen and not rest:
        return []
    wanted = of_party(column, _some(model, chosen)) if chosen else Q(pk__in=[])
    if rest:
        wanted |= Q(**{f"{column}__isnull": True})
    offset = start - covered if skip is None else skip
    page = rows.filter(wanted).order_by(*ordering(sort)).values_list("id", flat=True)
    return list(page[offset : offset + end - start])


def list_page(number, filters: ListFilters, sort: str, *parts: QuerySet) -> Page:
    """Page `number` of a list made of `parts` (the open follow-ups and the completed
    ones, say), in the order of `sort`. By start, either way, each part is read in that
    order only as far as the page goes, from its own index, and merged: sorting them
    together in the database would read every open row. By a company's or a person's
    name, the companies (or persons) are read in that order, as far as the page goes
    (walked_ids). By another column, or when that would read too many, the database
    sorts them together (the filter bar is what keeps that small). Then the page's rows
    (ListFilters.name_rows): 2 queries by start with two parts, else 1, and 1 for the
    rows."""
    number = page_number(number)
    sort = page_sort(sort, filters.values())
    order = ordering(sort)
    if sort.removeprefix("-") == "start" and len(parts) > 1:
        enough = number * PAGE_SIZE + 1
        keys = heapq.merge(
            *(part.order_by(*order).values_list("start_date", "id")[:enough] for part in parts),
            reverse=sort.startswith("-"),
        )
        page = page_of(list(keys), number, PAGE_SIZE)
        ids = [pk for _start, pk in page.object_list]
    else:
        rows = functools.reduce(operator.or_, parts)
        start = (number - 1) * PAGE_SIZE
        walked = None
        if sort.removeprefix("-") in WALKED:
            walked = walked_ids(rows, sort, start, start + PAGE_SIZE + 1)
        if walked is not None:
            page = page_of(walked, 1, PAGE_SIZE)
            page.number = number
        else:
            page = page_of(rows.order_by(*order).values_list("id", flat=True), number, PAGE_SIZE)
        ids = list(page.object_list)
    page.object_list = filters.name_rows(ids)
    return page


def filter_bar(filters: ListFilters, keep: dict, sort: str, default: str) -> dict:
    """What the filter bar needs: the form, the list's other parameters as hidden
    fields (`keep`, and the sort), and the address of the list without filters."""
    hidden = [(name, value) for name, value in keep.items() if value is not None]
    if sort != default:
        hidden.append(("sort", sort))
    return {
        "filter_form": filters,
        "filter_hidden": hidden,
        "filter_clear": "?" + urlencode(hidden),
    }

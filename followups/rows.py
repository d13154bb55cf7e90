"""The rows a generation creates, defined once: which rows, and for whom.

The dialog's answer comes in two parts, both frozen dataclasses: the *scope* (whose
lists the follow-ups go to, one per company, the ticked members) and the *settings*
(what each follow-up says). From a selection and a scope, `plan_rows` builds one SQL
query, `SELECT owner_id, fallback, company_id, person_id`, one row per follow-up:

1. the source rows (`source_sql`): a static selection's members (the ticked ones
   only, when ticked), or a dynamic selection's current result (selections.dynamic
   says what its criteria match);
2. one per company (`members_sql`): the first row of each company;
3. the owner (`rows_sql`): the creator, another associate, each company's our contact
   (with its fallbacks, `OWNER_COLUMNS`), or a share of a user group (`SpreadPlan`).

`insert_sql` writes those rows with the settings in one INSERT … SELECT; the preview
counts the same query's rows when it spreads across a group, and otherwise counts
them per company without building them (`preview_sql`, see there). Members are never
loaded into Python: queries and memory do not grow with the selection.
docs/generation.md shows the assembled statement on each database.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from crm.models import Associate, Company, Person, Project, UserGroup
from crm.workdays import working_days_after
from selections import dynamic
from selections.models import Selection, SelectionMember

from .models import (
    FollowUp,
    FollowUpType,
    Generation,
    OwnerMode,
    Priority,
    SpreadMethod,
    timed_start,
)

# Why a follow-up in "our contact" mode falls back to the current user.
FALLBACK_NONE, FALLBACK_NO_CONTACT, FALLBACK_INACTIVE = 0, 1, 2


@dataclass(frozen=True, kw_only=True)
class Scope:
    """For whom: which members, and whose activity lists. Normalised on creation, so
    that equal choices compare equal: an associate only for "Other associate", a group
    and a way of sharing only for "Spread across a user group", member ids only when
    members are ticked (None: every member)."""

    owner_mode: str = OwnerMode.MINE
    owner_associate: Associate | None = None
    owner_group: UserGroup | None = None
    spread_method: str = ""
    one_per_company: bool = False
    member_ids: tuple[int, ...] | None = None

    def __post_init__(self):
        group = self.owner_mode == OwnerMode.GROUP
        if self.owner_mode != OwnerMode.OTHER:
            object.__setattr__(self, "owner_associate", None)
        if not group:
            object.__setattr__(self, "owner_group", None)
        object.__setattr__(
            self, "spread_method", (self.spread_method or SpreadMethod.EVENLY) if group else ""
        )
        if self.member_ids is not None:
            object.__setattr__(self, "member_ids", tuple(self.member_ids))


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What each follow-up says. `spread_days`: the start spread over that many working
    days (None, or 0, for none). `start_time`: each follow-up's time of day on its start
    date, in the time zone `time_zone` it was typed in, with an optional `duration`
    (neither without a time)."""

    type: FollowUpType
    start_date: date
    description: str
    project: Project | None = None
    priority: Priority | None = None
    completed: bool = False
    spread_days: int | None = None
    start_time: time | None = None
    duration: timedelta | None = None
    time_zone: str = ""

    def __post_init__(self):
        if not self.spread_days:
            object.__setattr__(self, "spread_days", None)
        if self.start_time is None:
            object.__setattr__(self, "duration", None)
            object.__setattr__(self, "time_zone", "")

    def start_at(self, day: date) -> datetime | None:
        """The aware start on `day` at start_time (None without a time). A time the
        clocks skip that day is read as the hour after, as Python does; the dialog
        refuses one on its own start date."""
        if self.start_time is None:
            return None
        zone = zoneinfo.ZoneInfo(self.time_zone or django_settings.TIME_ZONE)
        return timed_start(day, self.start_time, zone, strict=False)


# The models behind the dataclasses' references, to store them as ids (a background
# job's choices) and read them back.
_REFERENCES = {
    "owner_associate": Associate,
    "owner_group": UserGroup,
    "type": FollowUpType,
    "project": Project,
    "priority": Priority,
}


def as_json(*parts: Scope | Settings) -> dict:
    """The parts as one flat dict of JSON values (references as ids)."""
    data: dict = {}
    for part in parts:
        for f in fields(part):
            value = getattr(part, f.name)
            if f.name in _REFERENCES:
                value = value.pk if value is not None else None
            elif isinstance(value, date | time):
                value = value.isoformat()
            elif isinstance(value, timedelta):
                value = value.total_seconds()
            elif isinstance(value, tuple):
                value = list(value)
            data[f.name] = value
    return data


def from_json(data: dict) -> tuple[Scope, Settings]:
    """The scope and settings as_json stored. A reference deactivated since is still
    used: the user chose it when it was offered."""
    values = dict(data)
    for name, model in _REFERENCES.items():
        pk = values.get(name)
        values[name] = model._default_manager.get(pk=pk) if pk is not None else None
    values["start_date"] = date.fromisoformat(values["start_date"])
    if values.get("start_time") is not None:
        values["start_time"] = time.fromisoformat(values["start_time"])
    if values.get("duration") is not None:
        values["duration"] = timedelta(seconds=values["duration"])
    return split(values)


def split(values: dict) -> tuple[Scope, Settings]:
    """A scope and settings from one dict of both kinds of values (an unknown name is an
    error)."""
    names = {f.name for f in fields(Scope)}
    unknown = set(values) - names - {f.name for f in fields(Settings)}
    if unknown:
        raise TypeError(f"neither scope nor settings: {sorted(unknown)}")
    return (
        Scope(**{k: v for k, v in values.items() if k in names}),
        Settings(**{k: v for k, v in values.items() if k not in names}),
    )


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class SelectionUnusable(Exception):
    """The selection cannot be run on as it is now; the message says why."""


NO_CRITERIA_MESSAGE = _(
    "This dynamic selection has no criteria, so it would match every company and person."
    " Add a criterion first."
)
NO_ONE_IN_GROUP_MESSAGE = _("No one in this user group can receive follow-ups.")


def selection_state(selection: Selection, *, lock: bool = False) -> dynamic.State:
    """The selection's kind and criteria, read at one moment (see dynamic.read_state),
    refused when a task must not run on it: deleted meanwhile, or dynamic with no
    criteria, which would mean every company and person in the CRM."""
    state = dynamic.read_state(selection, lock=lock)
    if state is None:
        raise SelectionUnusable(_("This selection was deleted meanwhile."))
    if state.matches_everything:
        raise SelectionUnusable(NO_CRITERIA_MESSAGE)
    return state


# --- 1. The source rows --------------------------------------------------------------


def source_sql(
    *,
    selection: Selection,
    state: dynamic.State,
    creator: Associate,
    member_ids: Sequence[int] | None,
) -> tuple[str, list]:
    """SELECT company_id, person_id, ord1, ord2: the rows a task runs on. (ord1, ord2)
    orders a company's rows for "one per company": for a static selection the member
    added first (lowest id), for a dynamic one as dynamic.rows_sql ranks them."""
    if state.is_dynamic:  # the same rows as a freeze makes members of
        return dynamic.rows_sql(selection, creator, state.criteria)
    params: list = [selection.pk]
    where = "m.selection_id = %s"
    if member_ids is not None and not member_ids:
        where += " AND 1 = 0"  # none selected (PostgreSQL refuses an empty IN ())
    elif member_ids is not None:
        where += " AND m.id IN (" + ", ".join(["%s"] * len(member_ids)) + ")"
        params += list(member_ids)
    sql = (
        "SELECT m.company_id, m.person_id, m.id AS ord1, 0 AS ord2"
        f" FROM {_table(SelectionMember)} m WHERE {where}"
    )
    return sql, params


# --- 2. One per company ---------------------------------------------------------------


def members_sql(
    *, selection: Selection, state: dynamic.State, creator: Associate, scope: Scope
) -> tuple[str, list]:
    """SELECT company_id, person_id: one row per follow-up to create, owner aside."""
    source, params = source_sql(
        selection=selection, state=state, creator=creator, member_ids=scope.member_ids
    )
    if scope.one_per_company:
        # The first row of each company; a person with no company is a company of their
        # own (negative key, so it never meets a company id).
        members = (
            "SELECT ranked.company_id, ranked.person_id FROM ("
            " SELECT src.company_id, src.person_id, ROW_NUMBER() OVER ("
            "  PARTITION BY COALESCE(src.company_id, -src.person_id)"
            "  ORDER BY src.ord1, src.ord2) AS rn"
            f" FROM ({source}) src) ranked WHERE ranked.rn = 1"
        )
    else:
        members = f"SELECT src.company_id, src.person_id FROM ({source}) src"
    return members, params


# --- 3. The owner ---------------------------------------------------------------------

# "Our contact": the company's our contact; for a person with no company, their own
# (Person.effective_our_contact). None, or one who may not receive follow-ups
# (Associate.objects.active, whose own SQL the join reads), falls back to the current
# user (the first parameter).
OWNER_COLUMNS = (
    "COALESCE(a.id, %s) AS owner_id,"
    f" CASE WHEN {{contact}} IS NULL THEN {FALLBACK_NO_CONTACT}"
    f" WHEN a.id IS NULL THEN {FALLBACK_INACTIVE}"
    f" ELSE {FALLBACK_NONE} END AS fallback"
)


def owner_columns(contact_id: str) -> tuple[str, str, list]:
    """(columns, join, join's params) for the owner of rows whose our contact is the
    column `contact_id`: OWNER_COLUMNS, and the join of `a`, the contact if they may
    receive follow-ups."""
    receivers, params = Associate.objects.active().order_by().values("id").query.sql_with_params()
    join = f"LEFT JOIN ({receivers}) a ON a.id = {contact_id}"
    return OWNER_COLUMNS.format(contact=contact_id), join, list(params)


# "Spread across a user group": a unit is a company with all its rows, or a person with
# no company. Units are taken companies first, by company id, then company-less persons
# by person id; within a unit, by person.
UNIT_KEY = "COALESCE({t}.company_id, -{t}.person_id)"
_UNIT_ORDER = (
    "CASE WHEN {t}.company_id IS NULL THEN 1 ELSE 0 END, COALESCE({t}.company_id, {t}.person_id)"
)
_ROW_ORDER = _UNIT_ORDER + ", COALESCE({t}.person_id, 0)"
_NO_END = 2**62  # the last share's interval is open-ended


def _bigint(value: int) -> str:
    return f"CAST({int(value)} AS BIGINT)"


def _spread_values(plan: SpreadPlan) -> str:
    """(VALUES (owner, lo, hi), …): each share's interval of doubled row positions,
    [2 * first row, 2 * (first row + target)), one after the other in associate order;
    the last one open-ended, so that every row finds an owner even if the selection's
    rows changed between the plan and the INSERT (on PostgreSQL each statement sees the
    rows committed when it starts). Associates with no target have no interval."""
    rows, first = [], 0
    for share in plan.shares:
        if share.target:
            rows.append([share.associate_id, 2 * first, 2 * (first + share.target)])
            first += share.target
    if not rows:  # nothing to create; one interval keeps the SQL valid
        rows.append([plan.shares[0].associate_id, 0, 0])
    rows[-1][2] = _NO_END
    return (
        "(VALUES " + ", ".join("(" + ", ".join(_bigint(v) for v in row) + ")" for row in rows) + ")"
    )


def _group_rows_sql(members: str, plan: SpreadPlan) -> str:
    """SELECT owner_id, fallback, company_id, person_id for "Spread across a user group",
    in one statement with the rows themselves.

    The units (see _UNIT_ORDER) are laid end to end in their order: a unit of `size` rows
    whose last row is at position `end` (a running COUNT(*) over the unit order, whose
    default frame takes the whole unit as one peer group) covers the positions
    [end - size, end), and its middle, doubled to stay whole, is 2 * end - size. The
    plan gives each associate a target (see _spread_targets) and so an interval of
    doubled positions (_spread_values); a unit goes, whole, to the associate whose
    interval holds its middle. So no company is split, each associate gets their target
    to within half a unit at either end, and the same rows and team always give the
    same split. Queries and work do not depend on the number of associates beyond this
    small VALUES table.
    """
    mm = "mm"
    units = (
        "SELECT mm.company_id, mm.person_id,"
        f" 2 * COUNT(*) OVER (ORDER BY {_UNIT_ORDER.format(t=mm)})"
        f" - COUNT(*) OVER (PARTITION BY {UNIT_KEY.format(t=mm)}) AS mid2"
        f" FROM ({members}) mm"
    )
    return (
        f"SELECT sp.column1 AS owner_id, {FALLBACK_NONE} AS fallback, un.company_id, un.person_id"
        f" FROM ({units}) un JOIN {_spread_values(plan)} sp"
        " ON un.mid2 >= sp.column2 AND un.mid2 < sp.column3"
    )


def rows_sql(
    *,
    selection: Selection,
    state: dynamic.State,
    creator: Associate,
    scope: Scope,
    plan: SpreadPlan | None = None,
) -> tuple[str, list]:
    """SELECT owner_id, fallback, company_id, person_id: one row per follow-up to create."""
    members, params = members_sql(selection=selection, state=state, creator=creator, scope=scope)
    if scope.owner_mode == OwnerMode.OUR_CONTACT:
        columns, join, join_params = owner_columns("COALESCE(c.our_contact_id, p.our_contact_id)")
        sql = (
            f"SELECT {columns}, mm.company_id, mm.person_id"
            f" FROM ({members}) mm"
            f" LEFT JOIN {_table(Company)} c ON c.id = mm.company_id"
            f" LEFT JOIN {_table(Person)} p ON mm.company_id IS NULL AND p.id = mm.person_id"
            f" {join}"
        )
        return sql, [creator.pk, *params, *join_params]
    if scope.owner_mode == OwnerMode.GROUP:
        if plan is None:
            raise ValueError("spreading across a user group needs its plan")
        return _group_rows_sql(members, plan), params
    sql = f"SELECT %s AS owner_id, {FALLBACK_NONE} AS fallback, mm.company_id, mm.person_id FROM ({members}) mm"
    return sql, [one_owner_id(scope, creator), *params]


def one_owner_id(scope: Scope, creator: Associate) -> int:
    """The owner of every row when there is one for all: the chosen associate for
    "Other associate", else the creator."""
    if scope.owner_mode == OwnerMode.OTHER and scope.owner_associate is not None:
        return scope.owner_associate.pk
    return creator.pk


@dataclass(frozen=True)
class SpreadShare:
    associate_id: int
    open_before: int  # open follow-ups now (by open load only; 0 for evenly)
    target: int  # how many of the new follow-ups the plan aims to give them


@dataclass(frozen=True)
class SpreadPlan:
    """Who shares the follow-ups, and how many each is meant to get: every associate of
    the group who may receive follow-ups, by id."""

    shares: tuple[SpreadShare, ...]
    total: int  # rows to create
    associates: dict  # id -> Associate (with its login), for names


def _spread_targets(loads: Sequence[int], total: int) -> list[int]:
    """How many of `total` new follow-ups each associate gets (in the order of
    `loads`, their open follow-ups now) so that the open loads afterwards are as even as
    possible (water-filling): the k lowest loads are raised to one level W, k as large
    as it can be with W at least the k-th lowest load; what is left over, fewer than k,
    goes one each to the first of those k in order. It is what handing the follow-ups
    out one at a time, each to the lowest load then (the first on a tie), ends with.
    With every load 0 it is the even split: total // n each, the first total % n one
    more."""
    n = len(loads)
    by_load = sorted(range(n), key=lambda i: (loads[i], i))
    for k in range(n, 0, -1):
        level, rest = divmod(total + sum(loads[i] for i in by_load[:k]), k)
        if level >= loads[by_load[k - 1]]:
            break
    targets = [0] * n
    for rank, i in enumerate(sorted(by_load[:k])):
        targets[i] = level - loads[i] + (1 if rank < rest else 0)
    return targets


def spread_plan(
    *, group: UserGroup, method: str, members_sql: str, members_params: Sequence
) -> SpreadPlan:
    """The group's associates who may receive follow-ups, by id, with their open loads
    (by open load only) and the number of rows to create: one query. Raises
    SelectionUnusable when no one in the group may receive follow-ups."""
    by_load = method == SpreadMethod.BY_LOAD
    open_now = (
        Coalesce(
            Subquery(
                FollowUp.objects.filter(owner=OuterRef("pk"), completed=False)
                .order_by()
                .values("owner")
                .annotate(n=Count("*"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        )
        if by_load
        else Value(0, output_field=IntegerField())
    )
    associates = list(
        Associate.objects.in_group(group)
        .select_related("user")
        .annotate(
            open_now=open_now,
            rows_total=RawSQL(
                f"SELECT COUNT(*) FROM ({members_sql}) cnt",
                list(members_params),
                output_field=IntegerField(),
            ),
        )
        .order_by("id")
    )
    if not associates:
        raise SelectionUnusable(NO_ONE_IN_GROUP_MESSAGE)
    total = int(associates[0].rows_total)
    loads = [int(a.open_now) for a in associates]
    targets = _spread_targets(loads, total)
    return SpreadPlan(
        shares=tuple(
            SpreadShare(associate_id=a.pk, open_before=load, target=target)
            for a, load, target in zip(associates, loads, targets, strict=True)
        ),
        total=total,
        associates={a.pk: a for a in associates},
    )


def plan_for(
    *, selection: Selection, state: dynamic.State, creator: Associate, scope: Scope
) -> SpreadPlan | None:
    """The spread's plan (one query), for "Spread across a user group" only."""
    if scope.owner_mode != OwnerMode.GROUP:
        return None
    if scope.owner_group is None:
        raise ValueError("spreading across a user group needs the group")
    members, params = members_sql(selection=selection, state=state, creator=creator, scope=scope)
    return spread_plan(
        group=scope.owner_group,
        method=scope.spread_method,
        members_sql=members,
        members_params=params,
    )


# --- The start ------------------------------------------------------------------------


def spread_dates(start: date, days: int | None) -> list[date] | None:
    """The working days a start spread over `days` working days uses: Start (or the
    working day after it) and the days - 1 working days after that. None: no spread."""
    if not days:
        return None
    first = working_days_after(start, 0)
    return [working_days_after(first, i) for i in range(days)]


def spread_start_sql(
    rows: str, dates: list[date], starts: list[datetime] | None = None
) -> tuple[str, list]:
    """SELECT owner_id, company_id, person_id, start_date, start_at over `rows`: each
    owner's rows, in unit order, take the dates in turn (row number modulo the number of
    dates), so an owner's day counts differ by at most one. `starts`: the time on each
    date (start_at NULL without)."""
    ops = connection.ops
    postgres = connection.vendor == "postgresql"
    cast = "CAST(%s AS DATE)" if postgres else "%s"
    if starts is not None:
        cast += ", CAST(%s AS TIMESTAMP WITH TIME ZONE)" if postgres else ", %s"
    values = ", ".join(f"({_bigint(i)}, {cast})" for i in range(len(dates)))
    numbered = (
        "SELECT r0.owner_id, r0.company_id, r0.person_id, (ROW_NUMBER() OVER ("
        f"PARTITION BY r0.owner_id ORDER BY {_ROW_ORDER.format(t='r0')}) - 1) %% {len(dates)}"
        f" AS day_slot FROM ({rows}) r0"
    )
    # A NULL in a subquery is text on PostgreSQL unless it is given its type.
    start_at = "dd.column3" if starts is not None else "NULL"
    if starts is None and postgres:
        start_at = "CAST(NULL AS TIMESTAMP WITH TIME ZONE)"
    sql = (
        "SELECT nr.owner_id, nr.company_id, nr.person_id, dd.column2 AS start_date,"
        f" {start_at} AS start_at"
        f" FROM ({numbered}) nr JOIN (VALUES {values}) dd ON dd.column1 = nr.day_slot"
    )
    params: list = []
    for i, day in enumerate(dates):
        params.append(ops.adapt_datefield_value(day))
        if starts is not None:
            params.append(ops.adapt_datetimefield_value(starts[i]))
    return sql, params


def cast_start(value: datetime | None) -> datetime:
    """A spread's start (never None: called only with a time)."""
    if value is None:
        raise ValueError("a timed spread needs a start on every date")
    return value


# --- The whole statement -------------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """The query of the rows to create (SELECT owner_id, fallback, company_id,
    person_id[, start_date]), with its parameters, and the spread's plan if any."""

    sql: str
    params: list
    plan: SpreadPlan | None = None
    dated: bool = False  # each row has its own start_date (a spread start)


def plan_rows(
    *,
    selection: Selection,
    state: dynamic.State,
    creator: Associate,
    scope: Scope,
) -> Rows:
    """The rows a save with this scope creates: one query (and, to spread across a user
    group, the plan's query before it)."""
    plan = plan_for(selection=selection, state=state, creator=creator, scope=scope)
    sql, params = rows_sql(
        selection=selection, state=state, creator=creator, scope=scope, plan=plan
    )
    return Rows(sql=sql, params=params, plan=plan)


# The follow-up's columns an insert writes, in order: the settings and stamps (one
# value for every row), then the row's own.
INSERT_COLUMNS = (
    "type_id, start_date, start_at, duration, description, project_id, priority_id,"
    " completed, completed_at, created_by_id, created_at, updated_at, generation_id,"
    " owner_id, company_id, person_id"
)
# In the order of the company index, so that each of its pages is written once instead
# of once for every row that lands on it; within a company, as the rows come. A static
# selection's members come off their (selection, company, id) index in that order
# already, so SQLite sorts nothing (sorting by the person too cost it a tenth of the
# insert).
ROWS_ORDER = " ORDER BY r.company_id"


def insert_sql(
    rows: Rows, settings: Settings, *, creator: Associate, generation: Generation, now
) -> tuple[str, list, Rows]:
    """INSERT … SELECT of every row with the settings: (sql, params, the rows it reads,
    with their start dates when the start is spread). The statement ends by reading
    the rows, `FROM (<rows>) r ORDER BY r.company_id`, so that a chunked
    writer can put another source in their place (services._insert_chunked)."""
    ops = connection.ops
    dates = spread_dates(settings.start_date, settings.spread_days)
    timed = settings.start_time is not None
    if dates is None:
        start = "%s, %s"
        start_params = [
            ops.adapt_datefield_value(settings.start_date),
            ops.adapt_datetimefield_value(settings.start_at(settings.start_date)),
        ]
    else:
        starts = [cast_start(settings.start_at(day)) for day in dates] if timed else None
        sql, date_params = spread_start_sql(rows.sql, dates, starts)
        rows = Rows(sql=sql, params=[*rows.params, *date_params], plan=rows.plan, dated=True)
        start, start_params = "r.start_date, r.start_at", []
    stamp = ops.adapt_datetimefield_value(now)
    duration = FollowUp._meta.get_field("duration").get_db_prep_value(settings.duration, connection)
    # The duration as an interval on PostgreSQL (NULL too), microseconds on SQLite.
    typed = "CAST(%s AS INTERVAL)" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"INSERT INTO {_table(FollowUp)} ({INSERT_COLUMNS})"
        f" SELECT %s, {start}, {typed}, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " r.owner_id, r.company_id, r.person_id"
        f" FROM ({rows.sql}) r{ROWS_ORDER}"
    )
    params = [
        settings.type.pk,
        *start_params,
        duration,
        settings.description,
        settings.project.pk if settings.project else None,
        settings.priority.pk if settings.priority else None,
        settings.completed,
        stamp if settings.completed else None,
        creator.pk,
        stamp,
        stamp,
        generation.pk,
        *rows.params,
    ]
    return sql, params, rows


# --- The preview's count ----------------------------------------------------------------


def preview_sql(
    *, selection: Selection, state: dynamic.State, creator: Associate, scope: Scope
) -> tuple[str, list]:
    """SELECT owner_id, fallback, follow-ups, companies: what a save with this scope
    would create, per owner, without building the rows (not for a spread across a user
    group, whose preview counts rows_sql's own rows).

    Hand-tuned rather than an aggregate over rows_sql, because it is several times
    faster on a big selection (docs/performance.md) and the preview runs on every
    change in the dialog: every row of a company has the same owner (one for all, or
    the company's our contact), so members are counted per company first, and only
    those counts, about a tenth of the rows, meet the companies and associates. A
    person with no company is a company of their own, owned by their own our contact.
    Counting companies this way also makes "one per company" free: each company counts
    one. tests/followups/test_preview_property.py holds it to what a save creates.
    """
    source, params = source_sql(
        selection=selection, state=state, creator=creator, member_ids=scope.member_ids
    )
    per_company = "1" if scope.one_per_company else "COUNT(*)"
    company_counts = (
        f"SELECT src.company_id, {per_company} AS n FROM ({source}) src"
        " WHERE src.company_id IS NOT NULL GROUP BY src.company_id"
    )
    if scope.owner_mode == OwnerMode.OUR_CONTACT:
        groups = (
            f"SELECT c.our_contact_id AS contact_id, cc.n FROM ({company_counts}) cc"
            f" LEFT JOIN {_table(Company)} c ON c.id = cc.company_id"
            f" UNION ALL SELECT p.our_contact_id, 1 FROM ({source}) src"
            f" LEFT JOIN {_table(Person)} p ON p.id = src.person_id"
            " WHERE src.company_id IS NULL"
        )
        columns, join, join_params = owner_columns("g.contact_id")
        sql = (
            "SELECT k.owner_id, k.fallback, SUM(k.n), COUNT(*) FROM ("
            f" SELECT {columns}, g.n FROM ({groups}) g {join}"
            ") k GROUP BY k.owner_id, k.fallback"
        )
        return sql, [creator.pk, *params, *params, *join_params]
    groups = (
        f"SELECT cc.n FROM ({company_counts}) cc"
        f" UNION ALL SELECT 1 FROM ({source}) src WHERE src.company_id IS NULL"
    )
    sql = f"SELECT %s, {FALLBACK_NONE}, SUM(g.n), COUNT(*) FROM ({groups}) g"
    return sql, [one_owner_id(scope, creator), *params, *params]

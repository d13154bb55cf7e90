"""Generate follow-ups from a selection: set-based, in one transaction.

The rows to create are described once, as SQL (`_rows_sql`): one row per follow-up with
its owner, company and person, straight from the selection's members. The preview
aggregates that query; the save inserts it with one `INSERT … SELECT`. Members are never
loaded into Python, so the number of queries and the memory used do not grow with the
selection.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Associate, Company, Person, Project, UserGroup
from crm.transactions import after_commit
from crm.workdays import working_days_after
from notices.services import followup_owner_notify, generation_notify
from selections import dynamic
from selections.models import Selection, SelectionMember

from .models import FollowUp, FollowUpType, Generation, OwnerMode, Priority, SpreadMethod

logger = logging.getLogger(__name__)

# Why a follow-up in "our contact" mode falls back to the current user.
FALLBACK_NONE, FALLBACK_NO_CONTACT, FALLBACK_INACTIVE = 0, 1, 2


@dataclass(frozen=True, kw_only=True)
class Choices:
    """What the dialog collected, validated (see forms.GenerateFollowUpsForm)."""

    type: FollowUpType
    start_date: date
    description: str
    project: Project | None = None
    priority: Priority | None = None
    completed: bool = False
    one_per_company: bool = False
    owner_mode: str = OwnerMode.MINE
    owner_associate: Associate | None = None
    owner_group: UserGroup | None = None  # OwnerMode.GROUP: the group spread across
    spread_method: str = SpreadMethod.EVENLY
    spread_days: int | None = None  # the start spread over this many working days
    member_ids: Sequence[int] | None = None  # None: every member of the selection


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class SelectionUnusable(Exception):
    """The selection cannot be run on as it is now; the message says why."""


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


NO_CRITERIA_MESSAGE = _(
    "This dynamic selection has no criteria, so it would match every company and person."
    " Add a criterion first."
)


def _source_sql(
    *,
    selection: Selection,
    state: dynamic.State,
    creator: Associate,
    member_ids: Sequence[int] | None,
) -> tuple[str, list]:
    """SELECT company_id, person_id, ord1, ord2: the rows a task runs on. (ord1, ord2)
    orders a company's rows for "one per company": for a static selection the member
    added first (lowest id), for a dynamic one the person with the best rank."""
    if state.is_dynamic:
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


# "Our contact": the company's our contact; for a person with no company, their own.
# None, or an inactive one (associate or login), falls back to the current user (the
# first parameter).
_OWNER_COLUMNS = (
    "CASE WHEN a.id IS NOT NULL AND a.active AND u.is_active THEN a.id ELSE %s END AS owner_id,"
    f" CASE WHEN a.id IS NULL THEN {FALLBACK_NO_CONTACT}"
    f" WHEN a.active AND u.is_active THEN {FALLBACK_NONE}"
    f" ELSE {FALLBACK_INACTIVE} END AS fallback"
)


def _contact_joins(contact_id: str) -> str:
    """The joins _OWNER_COLUMNS reads: the contact associate `a` and their login `u`."""
    return (
        f"LEFT JOIN {_table(Associate)} a ON a.id = {contact_id}"
        f" LEFT JOIN {_table(get_user_model())} u ON u.id = a.user_id"
    )


def _members_sql(
    *,
    selection: Selection,
    state: dynamic.State,
    creator: Associate,
    one_per_company: bool,
    member_ids: Sequence[int] | None,
) -> tuple[str, list]:
    """SELECT company_id, person_id: one row per follow-up to create, owner aside."""
    source, params = _source_sql(
        selection=selection, state=state, creator=creator, member_ids=member_ids
    )
    if one_per_company:
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


# "Spread across a user group": a unit is a company with all its rows, or a person with
# no company. Units are taken companies first, by company id, then company-less persons
# by person id; within a unit, by person.
_UNIT_KEY = "COALESCE({t}.company_id, -{t}.person_id)"
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
        f" - COUNT(*) OVER (PARTITION BY {_UNIT_KEY.format(t=mm)}) AS mid2"
        f" FROM ({members}) mm"
    )
    return (
        f"SELECT sp.column1 AS owner_id, {FALLBACK_NONE} AS fallback, un.company_id, un.person_id"
        f" FROM ({units}) un JOIN {_spread_values(plan)} sp"
        " ON un.mid2 >= sp.column2 AND un.mid2 < sp.column3"
    )


def _rows_sql(
    *,
    selection: Selection,
    state: dynamic.State,
    creator: Associate,
    owner_mode: str,
    owner_associate_id: int | None,
    one_per_company: bool,
    member_ids: Sequence[int] | None,
    plan: SpreadPlan | None = None,
) -> tuple[str, list]:
    """SELECT owner_id, fallback, company_id, person_id: one row per follow-up to create."""
    members, params = _members_sql(
        selection=selection,
        state=state,
        creator=creator,
        one_per_company=one_per_company,
        member_ids=member_ids,
    )
    creator_id = creator.pk

    if owner_mode == OwnerMode.OUR_CONTACT:
        sql = (
            f"SELECT {_OWNER_COLUMNS}, mm.company_id, mm.person_id"
            f" FROM ({members}) mm"
            f" LEFT JOIN {_table(Company)} c ON c.id = mm.company_id"
            f" LEFT JOIN {_table(Person)} p ON mm.company_id IS NULL AND p.id = mm.person_id"
            f" {_contact_joins('COALESCE(c.our_contact_id, p.our_contact_id)')}"
        )
        return sql, [creator_id, *params]
    if owner_mode == OwnerMode.GROUP:
        if plan is None:
            raise ValueError("spreading across a user group needs its plan")
        return _group_rows_sql(members, plan), params

    owner_id = owner_associate_id if owner_mode == OwnerMode.OTHER else creator_id
    sql = f"SELECT %s AS owner_id, {FALLBACK_NONE} AS fallback, mm.company_id, mm.person_id FROM ({members}) mm"
    return sql, [owner_id, *params]


# --- Spread across a user group ----------------------------------------------------------

NO_ONE_IN_GROUP_MESSAGE = _("No one in this user group can receive follow-ups.")


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


def _plan_for(
    *,
    selection: Selection,
    state: dynamic.State,
    creator: Associate,
    owner_mode: str,
    owner_group: UserGroup | None,
    spread_method: str,
    one_per_company: bool,
    member_ids: Sequence[int] | None,
) -> SpreadPlan | None:
    if owner_mode != OwnerMode.GROUP:
        return None
    if owner_group is None:
        raise ValueError("spreading across a user group needs the group")
    members, params = _members_sql(
        selection=selection,
        state=state,
        creator=creator,
        one_per_company=one_per_company,
        member_ids=member_ids,
    )
    return spread_plan(
        group=owner_group, method=spread_method, members_sql=members, members_params=params
    )


def spread_dates(start: date, days: int | None) -> list[date] | None:
    """The working days a start spread over `days` working days uses: Start (or the
    working day after it) and the days - 1 working days after that. None: no spread."""
    if not days:
        return None
    first = working_days_after(start, 0)
    return [working_days_after(first, i) for i in range(days)]


def _spread_start_sql(rows: str, dates: list[date]) -> tuple[str, list]:
    """SELECT owner_id, company_id, person_id, start_date over `rows`: each owner's rows,
    in unit order, take the dates in turn (row number modulo the number of dates), so
    an owner's day counts differ by at most one."""
    ops = connection.ops
    cast = "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"
    values = ", ".join(f"({_bigint(i)}, {cast})" for i in range(len(dates)))
    numbered = (
        "SELECT r0.owner_id, r0.company_id, r0.person_id, (ROW_NUMBER() OVER ("
        f"PARTITION BY r0.owner_id ORDER BY {_ROW_ORDER.format(t='r0')}) - 1) %% {len(dates)}"
        f" AS day_slot FROM ({rows}) r0"
    )
    sql = (
        "SELECT nr.owner_id, nr.company_id, nr.person_id, dd.column2 AS start_date"
        f" FROM ({numbered}) nr JOIN (VALUES {values}) dd ON dd.column1 = nr.day_slot"
    )
    return sql, [ops.adapt_datefield_value(d) for d in dates]


@dataclass
class OwnerShare:
    associate: Associate | None
    count: int


@dataclass
class SpreadRow:
    """One associate's part of a spread across a user group, as the preview shows it."""

    associate: Associate
    count: int
    open_before: int
    open_after: int


@dataclass
class Preview:
    followups: int = 0
    companies: int = 0
    owners: list[OwnerShare] = field(default_factory=list)  # most follow-ups first
    other_owners: int = 0  # owners beyond the ones listed
    other_owners_followups: int = 0
    fallback_no_contact: int = 0
    fallback_inactive: int = 0
    spread: list[SpreadRow] = field(default_factory=list)  # a user group's split, by id
    spread_method: str = ""

    @property
    def fallback(self) -> int:
        return self.fallback_no_contact + self.fallback_inactive


PREVIEW_TOP_OWNERS = 5


def _preview_sql(
    *,
    selection: Selection,
    state: dynamic.State,
    creator: Associate,
    owner_mode: str,
    owner_associate_id: int | None,
    one_per_company: bool,
    member_ids: Sequence[int] | None,
) -> tuple[str, list]:
    """SELECT owner_id, fallback, follow-ups, companies: what a save would create, per
    owner, without building the rows.

    Every row of a company has the same owner (one for all, or the company's our
    contact), so members are counted per company first, and only those counts, about a
    tenth of the rows, meet the companies and associates. A person with no company is a
    company of their own, owned by their own our contact. Counting companies this way
    also makes "one per company" free: each company counts one.
    """
    source, params = _source_sql(
        selection=selection, state=state, creator=creator, member_ids=member_ids
    )
    per_company = "1" if one_per_company else "COUNT(*)"
    company_counts = (
        f"SELECT src.company_id, {per_company} AS n FROM ({source}) src"
        " WHERE src.company_id IS NOT NULL GROUP BY src.company_id"
    )
    if owner_mode == OwnerMode.OUR_CONTACT:
        groups = (
            f"SELECT c.our_contact_id AS contact_id, cc.n FROM ({company_counts}) cc"
            f" LEFT JOIN {_table(Company)} c ON c.id = cc.company_id"
            f" UNION ALL SELECT p.our_contact_id, 1 FROM ({source}) src"
            f" LEFT JOIN {_table(Person)} p ON p.id = src.person_id"
            " WHERE src.company_id IS NULL"
        )
        sql = (
            "SELECT k.owner_id, k.fallback, SUM(k.n), COUNT(*) FROM ("
            f" SELECT {_OWNER_COLUMNS}, g.n FROM ({groups}) g {_contact_joins('g.contact_id')}"
            ") k GROUP BY k.owner_id, k.fallback"
        )
        return sql, [creator.pk, *params, *params]
    owner_id = owner_associate_id if owner_mode == OwnerMode.OTHER else creator.pk
    groups = (
        f"SELECT cc.n FROM ({company_counts}) cc"
        f" UNION ALL SELECT 1 FROM ({source}) src WHERE src.company_id IS NULL"
    )
    sql = f"SELECT %s, {FALLBACK_NONE}, SUM(g.n), COUNT(*) FROM ({groups}) g"
    return sql, [owner_id, *params, *params]


def followups_preview(
    *,
    selection: Selection,
    creator: Associate,
    owner_mode: str,
    owner_associate: Associate | None = None,
    owner_group: UserGroup | None = None,
    spread_method: str = SpreadMethod.EVENLY,
    one_per_company: bool = False,
    member_ids: Sequence[int] | None = None,
    completed: bool = False,
    top: int = PREVIEW_TOP_OWNERS,
) -> Preview:
    """How many follow-ups a save would create, for how many companies, and for whom.

    Three queries whatever the size: the selection's kind and criteria, one aggregate
    (see _preview_sql), the names of the owners shown. Spread across a user group: the
    kind and criteria, the plan (the group's associates, their loads and the number of
    rows, see spread_plan), and the save's own rows counted per owner, so the split
    shown is the one a save makes. Raises SelectionUnusable.
    """
    state = selection_state(selection)
    plan = _plan_for(
        selection=selection,
        state=state,
        creator=creator,
        owner_mode=owner_mode,
        owner_group=owner_group,
        spread_method=spread_method,
        one_per_company=one_per_company,
        member_ids=member_ids,
    )
    if plan is not None:
        rows, params = _rows_sql(
            selection=selection,
            state=state,
            creator=creator,
            owner_mode=owner_mode,
            owner_associate_id=None,
            one_per_company=one_per_company,
            member_ids=member_ids,
            plan=plan,
        )
        sql = (
            f"SELECT r.owner_id, {FALLBACK_NONE}, COUNT(*),"
            f" COUNT(DISTINCT {_UNIT_KEY.format(t='r')}) FROM ({rows}) r GROUP BY r.owner_id"
        )
    else:
        sql, params = _preview_sql(
            selection=selection,
            state=state,
            creator=creator,
            owner_mode=owner_mode,
            owner_associate_id=owner_associate.pk if owner_associate else None,
            one_per_company=one_per_company,
            member_ids=member_ids,
        )
    preview = Preview()
    per_owner: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for owner_id, fallback, total, companies in cursor.fetchall():
            if not companies:
                continue  # nothing to create (one owner for all: one row of zeros)
            count = int(total)  # SUM() is a numeric on PostgreSQL
            preview.followups += count
            preview.companies += companies
            per_owner[owner_id] = per_owner.get(owner_id, 0) + count
            if fallback == FALLBACK_NO_CONTACT:
                preview.fallback_no_contact += count
            elif fallback == FALLBACK_INACTIVE:
                preview.fallback_inactive += count
    ranked = sorted(per_owner.items(), key=lambda item: (-item[1], item[0]))
    shown, rest = ranked[:top], ranked[top:]
    if plan is not None:
        names = plan.associates
        preview.spread_method = spread_method
        for share in plan.shares:
            count = per_owner.get(share.associate_id, 0)
            preview.spread.append(
                SpreadRow(
                    associate=names[share.associate_id],
                    count=count,
                    open_before=share.open_before,
                    open_after=share.open_before + (0 if completed else count),
                )
            )
    elif shown:
        names = Associate.objects.select_related("user").in_bulk([pk for pk, _ in shown])
    if shown:
        preview.owners = [OwnerShare(names.get(pk), count) for pk, count in shown]
    preview.other_owners = len(rest)
    preview.other_owners_followups = sum(count for _, count in rest)
    return preview


class GenerationRefused(Exception):
    """The one-time key belongs to another user's generation."""


def followups_generate(
    *,
    selection: Selection,
    creator: Associate,
    choices: Choices,
    key: uuid.UUID,
    chunk_size: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[Generation, bool]:
    """Create the follow-ups and their generation record, all or nothing.

    Returns (generation, created). The same `key` again (a double click, a retried
    request) creates nothing and returns the first generation with created=False.

    The selection's kind and criteria are read once, inside the transaction, with the
    selection row locked (see dynamic.read_state): a freeze, a change of criteria or a
    deletion happens wholly before or wholly after. Raises SelectionUnusable.

    With `chunk_size` (a background generation), the same rows are written that many
    at a time, calling on_chunk(written so far) after each, still in the one
    transaction: whatever on_chunk raises rolls everything back (see _insert_chunked).
    """
    existing = Generation.objects.filter(key=key).first()
    if existing is not None:
        return _same_generation(existing, creator), False

    started = time.monotonic()
    now = timezone.now()
    try:
        with transaction.atomic():
            state = selection_state(selection, lock=True)
            generation = Generation.objects.create(
                key=key,
                created_by=creator,
                selection=selection,
                selection_name=selection.name,
                type=choices.type,
                start_date=choices.start_date,
                description=choices.description,
                project=choices.project,
                priority=choices.priority,
                completed=choices.completed,
                one_per_company=choices.one_per_company,
                owner_mode=choices.owner_mode,
                owner_associate=choices.owner_associate
                if choices.owner_mode == OwnerMode.OTHER
                else None,
                owner_group=choices.owner_group if choices.owner_mode == OwnerMode.GROUP else None,
                spread_method=choices.spread_method
                if choices.owner_mode == OwnerMode.GROUP
                else "",
                spread_days=choices.spread_days or None,
                selected_only=choices.member_ids is not None,
                selected_count=len(choices.member_ids or ()),
            )
            generation.created_count = _insert_followups(
                selection=selection,
                state=state,
                creator=creator,
                choices=choices,
                generation=generation,
                now=now,
                chunk_size=chunk_size,
                on_chunk=on_chunk,
            )
            Generation.objects.filter(pk=generation.pk).update(
                created_count=generation.created_count
            )
            # The owners are told once, after the commit (never for a rollback).
            after_commit(generation_notify, generation.pk)
    except IntegrityError:
        # The same key was saved by a concurrent request a moment ago.
        existing = Generation.objects.filter(key=key).first()
        if existing is None:
            raise
        return _same_generation(existing, creator), False

    logger.info(
        "generation %s: %s created %d follow-ups from selection %s (%r) in %.3f s",
        generation.pk,
        creator.user.get_username(),
        generation.created_count,
        selection.pk,
        selection.name,
        time.monotonic() - started,
    )
    return generation, True


def _same_generation(generation: Generation, creator: Associate) -> Generation:
    if generation.created_by_id != creator.pk:
        raise GenerationRefused
    return generation


def _insert_followups(
    *,
    selection: Selection,
    state: dynamic.State,
    creator: Associate,
    choices: Choices,
    generation: Generation,
    now,
    chunk_size: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """One INSERT … SELECT of every row (and, to spread across a user group, one query
    before it for the plan: see spread_plan)."""
    ops = connection.ops
    plan = _plan_for(
        selection=selection,
        state=state,
        creator=creator,
        owner_mode=choices.owner_mode,
        owner_group=choices.owner_group,
        spread_method=choices.spread_method,
        one_per_company=choices.one_per_company,
        member_ids=choices.member_ids,
    )
    rows, row_params = _rows_sql(
        selection=selection,
        state=state,
        creator=creator,
        owner_mode=choices.owner_mode,
        owner_associate_id=choices.owner_associate.pk if choices.owner_associate else None,
        one_per_company=choices.one_per_company,
        member_ids=choices.member_ids,
        plan=plan,
    )
    dates = spread_dates(choices.start_date, choices.spread_days)
    if dates is None:
        start, start_params = "%s", [ops.adapt_datefield_value(choices.start_date)]
    else:
        rows, date_params = _spread_start_sql(rows, dates)
        row_params = [*row_params, *date_params]
        start, start_params = "r.start_date", []
    stamp = ops.adapt_datetimefield_value(now)
    sql = (
        f"INSERT INTO {_table(FollowUp)} (type_id, start_date, description, project_id,"
        " priority_id, completed, completed_at, created_by_id, created_at, updated_at,"
        " generation_id, owner_id, company_id, person_id)"
        f" SELECT %s, {start}, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " r.owner_id, r.company_id, r.person_id"
        # In the order of the company and person indexes: each of their pages is then
        # written once, instead of once for every row that lands on it.
        f" FROM ({rows}) r ORDER BY r.company_id, r.person_id"
    )
    params = [
        choices.type.pk,
        *start_params,
        choices.description,
        choices.project.pk if choices.project else None,
        choices.priority.pk if choices.priority else None,
        choices.completed,
        stamp if choices.completed else None,
        creator.pk,
        stamp,
        stamp,
        generation.pk,
        *row_params,
    ]
    if chunk_size is not None:
        return _insert_chunked(
            sql=sql,
            params=params,
            rows=rows,
            row_params=row_params,
            chunk_size=chunk_size,
            on_chunk=on_chunk or (lambda written: None),
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _insert_chunked(
    *,
    sql: str,
    params: list,
    rows: str,
    row_params: list,
    chunk_size: int,
    on_chunk: Callable[[int], None],
) -> int:
    """The one INSERT … SELECT `sql`, whatever its columns, written chunk_size rows at a
    time in its order.

    Its rows (`rows`, every column of them) run once, into a temporary table numbered in
    the insert's order (company, person); each chunk is then `sql` reading a range of
    those numbers from that table instead of from `rows`. on_chunk(written so far)
    follows each chunk; whatever it raises propagates, and the caller's transaction rolls
    every chunk back. On PostgreSQL the table goes with the transaction (ON COMMIT
    DROP); on SQLite it is dropped at the end; on both, before use should one be left.
    """
    source = f" FROM ({rows}) r ORDER BY r.company_id, r.person_id"
    if not sql.endswith(source):
        raise ValueError("the insert does not end by reading its rows in their order")
    postgres = connection.vendor == "postgresql"
    temp = "pg_temp.followup_rows" if postgres else "temp.followup_rows"
    chunk = sql[: -len(source)] + f" FROM {temp} r WHERE r.n > %s AND r.n <= %s ORDER BY r.n"
    values = params[: len(params) - len(row_params)]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp}"
            + (" ON COMMIT DROP" if postgres else "")
            + " AS SELECT ROW_NUMBER() OVER (ORDER BY r.company_id, r.person_id) AS n, r.*"
            f" FROM ({rows}) r",
            row_params,
        )
        if postgres:
            cursor.execute(f"CREATE UNIQUE INDEX ON {temp} (n)")
            cursor.execute(f"ANALYZE {temp}")
        else:
            cursor.execute("CREATE UNIQUE INDEX temp.followup_rows_n ON followup_rows (n)")
        written = 0
        while True:
            cursor.execute(chunk, [*values, written, written + chunk_size])
            written += cursor.rowcount
            if cursor.rowcount:
                on_chunk(written)
            if cursor.rowcount < chunk_size:
                break
        if not postgres:
            cursor.execute(f"DROP TABLE {temp}")
    return written


def followup_counts(associate: Associate) -> dict[str, int]:
    """Overdue, due today and open follow-ups of one associate, in one query. Completed
    follow-ups are never counted."""
    today = timezone.localdate()
    return FollowUp.objects.filter(owner=associate, completed=False).aggregate(
        overdue=Count("id", filter=Q(start_date__lt=today)),
        today=Count("id", filter=Q(start_date=today)),
        open=Count("id"),
    )


class FollowUpGone(Exception):
    """The follow-up no longer exists: its generation was undone, or it was deleted."""


class FollowUpLocked(Exception):
    """The follow-up may not be changed (any more) by this associate; the message says
    why."""


def _lock_followup(followup: FollowUp, by: Associate | None) -> FollowUp:
    """The follow-up's row as it is now, locked until the transaction ends, so that an
    undo (whose DELETE takes the same row lock, and then finds it changed) and other
    changes happen wholly before or after. Raises FollowUpGone, FollowUpLocked."""
    current = FollowUp.objects.select_for_update().filter(pk=followup.pk).first()
    if current is None:
        raise FollowUpGone
    if by is not None and not current.may_change(by):
        raise FollowUpLocked(_("Only its owner or creator can change this follow-up."))
    for f in FollowUp._meta.concrete_fields:  # what others changed meanwhile
        setattr(followup, f.attname, getattr(current, f.attname))
    return followup


@transaction.atomic
def followup_set_completed(
    *, followup: FollowUp, completed: bool | None = None, by: Associate | None = None
) -> FollowUp:
    """Complete (with the time) or reopen one follow-up; either counts as a change.
    `completed=None` toggles the row as it is at this moment: two toggles at once are
    two toggles, one after the other. With `by`, that associate's right to change it
    is checked on the locked row. Updates `followup` in place and returns it."""
    _lock_followup(followup, by)
    now = timezone.now()
    followup.completed = not followup.completed if completed is None else completed
    followup.completed_at = now if followup.completed else None
    followup.updated_at = now
    followup.save(update_fields=["completed", "completed_at", "updated_at"])
    return followup


@transaction.atomic
def followup_save_changes(*, followup: FollowUp, changes: dict, by: Associate) -> FollowUp:
    """Save an edit of an open follow-up: the `changes` (field name to value) over the
    row as it is now, never re-creating a row that was removed meanwhile, never
    overwriting a completion made meanwhile."""
    _lock_followup(followup, by)
    if followup.completed:
        raise FollowUpLocked(
            _("Someone completed this follow-up meanwhile; open it again to change it.")
        )
    owner_before = followup.owner_id
    for name, value in changes.items():
        setattr(followup, name, value)
    followup.updated_at = timezone.now()
    followup.save(update_fields=[*changes, "updated_at"])
    if followup.owner_id != owner_before:
        followup_owner_changed(followup=followup, by=by)
    return followup


def followup_owner_changed(*, followup: FollowUp, by: Associate) -> None:
    """A follow-up got a new owner (its page, Django admin): the new owner is told once
    the change is committed, unless they made it themselves (followup_owner_notify)."""
    after_commit(followup_owner_notify, followup.pk, by)


def followup_admin_save(*, followup: FollowUp, change: bool, changed: list[str], user) -> None:
    """Save a follow-up from Django admin (`change`: an existing one); the new owner of
    an existing follow-up is told, as from its page. `user` is the administrator's login
    (their associate, if they have one, is who gave it)."""
    followup.save(force_update=change)
    if change and "owner" in changed:
        by = Associate.objects.select_related("user").filter(user=user).first()
        followup_owner_changed(followup=followup, by=by or Associate(user=user))


def followup_create(*, values: dict, by: Associate) -> FollowUp:
    """One follow-up made by hand (not generated), completed with the time if so."""
    now = timezone.now()
    return FollowUp.objects.create(
        **values,
        completed_at=now if values.get("completed") else None,
        created_by=by,
        created_at=now,
        updated_at=now,
    )


@dataclass
class UndoResult:
    removed: int
    kept: int
    already_undone: bool = False


def generation_undo_counts(generation: Generation) -> tuple[int, int]:
    """(untouched, changed since): what an undo would remove and keep. One query."""
    counts = FollowUp.objects.filter(generation=generation).aggregate(
        untouched=Count("id", filter=Q(updated_at=F("created_at"))),
        total=Count("id"),
    )
    return counts["untouched"], counts["total"] - counts["untouched"]


def generation_undo(*, generation: Generation, by: Associate) -> UndoResult:
    """Remove the generation's follow-ups that nobody has changed since they were
    created (edited, completed, reopened, re-owned: any save moves updated_at), with one
    DELETE in one transaction, and mark the generation undone. Undoing again removes
    nothing more."""
    with transaction.atomic():
        locked = Generation.objects.select_for_update().get(pk=generation.pk)
        if locked.undone_at is not None:
            kept = FollowUp.objects.filter(generation=locked).count()
            return UndoResult(removed=0, kept=kept, already_undone=True)
        removed, _ = FollowUp.objects.filter(generation=locked, updated_at=F("created_at")).delete()
        kept = FollowUp.objects.filter(generation=locked).count()
        now = timezone.now()
        Generation.objects.filter(pk=locked.pk).update(
            undone_at=now, undone_by=by, removed_count=removed
        )
    generation.undone_at, generation.undone_by, generation.removed_count = now, by, removed
    logger.info(
        "generation %s undone by %s: removed %d, kept %d",
        generation.pk,
        by.user.get_username(),
        removed,
        kept,
    )
    return UndoResult(removed=removed, kept=kept)

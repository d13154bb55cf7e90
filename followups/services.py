"""Generate follow-ups from a selection, set-based, in one transaction; and the
changes made to follow-ups afterwards (one at a time, undo).

Which rows a generation creates, and for whom, is defined in followups.rows; here they
are counted (the preview), written with their generation record (the save), and taken
back (undo).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Associate
from crm.transactions import after_commit
from notices.services import followup_owner_notify, generation_notify
from selections import dynamic
from selections.models import Selection

from . import rows
from .models import UNTOUCHED, FollowUp, Generation, check_timing, overdue_on
from .rows import (
    FALLBACK_INACTIVE,
    FALLBACK_NO_CONTACT,
    FALLBACK_NONE,
    NO_CRITERIA_MESSAGE,
    NO_ONE_IN_GROUP_MESSAGE,
    ROWS_ORDER,
    Scope,
    SelectionUnusable,
    Settings,
)

__all__ = [
    "NO_CRITERIA_MESSAGE",
    "NO_ONE_IN_GROUP_MESSAGE",
    "Scope",
    "SelectionUnusable",
    "Settings",
]

logger = logging.getLogger(__name__)


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


def followups_preview(
    *,
    selection: Selection,
    creator: Associate,
    scope: Scope,
    completed: bool = False,
    top: int = PREVIEW_TOP_OWNERS,
) -> Preview:
    """How many follow-ups a save with this scope would create, for how many companies,
    and for whom (`completed`: the follow-ups would be completed, so a spread's open
    loads stay as they are).

    Three queries whatever the size: the selection's kind and criteria, one aggregate
    (see rows.preview_sql), the names of the owners shown. Spread across a user group:
    the kind and criteria, the plan (the group's associates, their loads and the number
    of rows, see rows.spread_plan), and the save's own rows counted per owner, so the
    split shown is the one a save makes. Raises SelectionUnusable.
    """
    state = rows.selection_state(selection)
    planned = rows.plan_rows(selection=selection, state=state, creator=creator, scope=scope)
    plan = planned.plan
    if plan is not None:
        sql = (
            f"SELECT r.owner_id, {FALLBACK_NONE}, COUNT(*),"
            f" COUNT(DISTINCT {rows.UNIT_KEY.format(t='r')}) FROM ({planned.sql}) r"
            " GROUP BY r.owner_id"
        )
        params = planned.params
    else:
        sql, params = rows.preview_sql(
            selection=selection, state=state, creator=creator, scope=scope
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
        preview.spread_method = scope.spread_method
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
    scope: Scope,
    settings: Settings,
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
            state = rows.selection_state(selection, lock=True)
            generation = Generation.objects.create(
                key=key,
                created_by=creator,
                selection=selection,
                selection_name=selection.name,
                type=settings.type,
                start_date=settings.start_date,
                start_time=settings.start_time,
                duration=settings.duration,
                time_zone=settings.time_zone,
                description=settings.description,
                project=settings.project,
                priority=settings.priority,
                completed=settings.completed,
                spread_days=settings.spread_days,
                one_per_company=scope.one_per_company,
                owner_mode=scope.owner_mode,
                owner_associate=scope.owner_associate,
                owner_group=scope.owner_group,
                spread_method=scope.spread_method,
                selected_only=scope.member_ids is not None,
                selected_count=len(scope.member_ids or ()),
            )
            generation.created_count = _insert_followups(
                selection=selection,
                state=state,
                creator=creator,
                scope=scope,
                settings=settings,
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
    scope: Scope,
    settings: Settings,
    generation: Generation,
    now,
    chunk_size: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """One INSERT … SELECT of every row (rows.insert_sql; and, to spread across a user
    group, one query before it for the plan)."""
    planned = rows.plan_rows(selection=selection, state=state, creator=creator, scope=scope)
    sql, params, read = rows.insert_sql(
        planned, settings, creator=creator, generation=generation, now=now
    )
    if chunk_size is not None:
        return _insert_chunked(
            sql=sql,
            params=params,
            source_rows=read.sql,
            row_params=read.params,
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
    source_rows: str,
    row_params: list,
    chunk_size: int,
    on_chunk: Callable[[int], None],
) -> int:
    """The one INSERT … SELECT `sql`, whatever its columns, written chunk_size rows at a
    time in its order.

    Its rows (`source_rows`, every column of them) run once, into a temporary table
    numbered in the insert's order (by company); each chunk is then `sql` reading a
    range of those numbers from that table instead of from `rows`.
    on_chunk(written so far) follows each chunk; whatever it raises propagates, and the
    caller's transaction rolls every chunk back. On SQLite the number is the new table's
    rowid, given as the ordered rows go in, and a chunk is a rowid range: no window
    function, no index to build. On PostgreSQL the number is ROW_NUMBER() with a unique
    index on it, and the table goes with the transaction (ON COMMIT DROP); on SQLite it
    is dropped at the end; on both, before use should one be left.
    """
    source = f" FROM ({source_rows}) r{ROWS_ORDER}"
    if not sql.endswith(source):
        raise ValueError("the insert does not end by reading its rows in their order")
    postgres = connection.vendor == "postgresql"
    temp = "pg_temp.followup_rows" if postgres else "temp.followup_rows"
    n = "r.n" if postgres else "r.rowid"
    chunk = sql[: -len(source)] + f" FROM {temp} r WHERE {n} > %s AND {n} <= %s ORDER BY {n}"
    values = params[: len(params) - len(row_params)]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        if postgres:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT"
                f" ROW_NUMBER() OVER ({ROWS_ORDER.strip()}) AS n, r.* FROM ({source_rows}) r",
                row_params,
            )
            cursor.execute(f"CREATE UNIQUE INDEX ON {temp} (n)")
            cursor.execute(f"ANALYZE {temp}")
        else:
            # A new table's rowids are 1, 2, 3, … in the order the rows go in, so the
            # number needs no window function (which costs SQLite as much again as the
            # sort) and no index.
            cursor.execute(f"CREATE TEMPORARY TABLE {temp} AS SELECT r.*{source}", row_params)
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
        overdue=Count("id", filter=overdue_on(today, among_open=True)),
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
    _check_timing(followup)
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


def _check_timing(followup: FollowUp) -> None:
    """A follow-up's time as check_timing has it, typed in the request's time zone (its
    type is read only for a follow-up with a time)."""
    check_timing(
        kind=followup.type.kind if followup.start_at is not None else "",
        start_date=followup.start_date,
        start_at=followup.start_at,
        duration=followup.duration,
        zone=timezone.get_current_timezone(),
    )


def followup_create(*, values: dict, by: Associate) -> FollowUp:
    """One follow-up made by hand (not generated), completed with the time if so. A
    time (start_at) must be on the start date in the request's time zone."""
    now = timezone.now()
    followup = FollowUp(
        **values,
        completed_at=now if values.get("completed") else None,
        created_by=by,
        created_at=now,
        updated_at=now,
    )
    _check_timing(followup)
    followup.save(force_insert=True)
    return followup


@dataclass
class UndoResult:
    removed: int
    kept: int
    already_undone: bool = False


def generation_undo_counts(generation: Generation) -> tuple[int, int]:
    """(untouched, changed since): what an undo would remove and keep. One query."""
    counts = FollowUp.objects.filter(generation=generation).aggregate(
        untouched=Count("id", filter=UNTOUCHED),
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
        removed, _ = FollowUp.objects.filter(UNTOUCHED, generation=locked).delete()
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

"""Changing many follow-ups at once: mark completed, open again, move the start, reassign,
change priority, delete; each as one set-based statement in one transaction, recorded row
by row as it was before, and undoable while those rows are unchanged since.

Who may change which row is the single edit's rule (FollowUp.may_change), written in SQL:
its owner, its creator, and roles that see every associate. A completed follow-up is
read-only until it is opened again, so only "open again" and "delete" touch it.

The rows in scope (ticked, or all that match a list's filter) come as a queryset; nothing
about them is loaded into Python, so the queries stay the same for 10 rows or 100,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, F, Func, Model, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.models import PERM_SEE_ALL_ASSOCIATES, Associate
from crm.transactions import after_commit
from notices.services import bulk_change_notify

from .models import (
    EARLIEST_START,
    LATEST_START,
    BulkAction,
    BulkChange,
    BulkChangeRow,
    FollowUp,
    Priority,
)

# Moving "by N days": at most about ten years either way.
MAX_DAYS = 3660

# Every column of a follow-up but its id, as BulkChangeRow keeps them.
COLUMNS = [
    "type_id",
    "start_date",
    "start_at",
    "duration",
    "description",
    "project_id",
    "priority_id",
    "owner_id",
    "company_id",
    "person_id",
    "completed",
    "completed_at",
    "created_by_id",
    "created_at",
    "updated_at",
    "generation_id",
]
# What each change alters besides `updated_at`: what its record keeps of each row, and
# what its undo puts back (a delete keeps every column, to put the row back whole).
CHANGED = {
    BulkAction.COMPLETE: ["completed", "completed_at"],
    BulkAction.REOPEN: ["completed", "completed_at"],
    BulkAction.MOVE: ["start_date", "start_at"],
    BulkAction.REASSIGN: ["owner_id"],
    BulkAction.PRIORITY: ["priority_id"],
    BulkAction.DELETE: COLUMNS,
}


def kept(action: str) -> list[str]:
    """The columns a change of this kind records of each row as it was."""
    changed = CHANGED[BulkAction(action)]
    return changed if "updated_at" in changed else [*changed, "updated_at"]


# The references a deleted follow-up needs to be put back, as (column, table, nullable).
def _references() -> list[tuple[str, str, bool]]:
    return [
        (f.attname, cast("type[Model]", f.related_model)._meta.db_table, f.null)
        for f in FollowUp._meta.concrete_fields
        if f.is_relation
    ]


@dataclass(frozen=True)
class Change:
    """What to do to each row: the action, and its one value where it has one."""

    action: str
    start_date: date | None = None  # move to this date
    days: int | None = None  # or by this many days
    owner: Associate | None = None  # reassign
    priority: Priority | None = None  # change priority (None: no priority)

    def summary(self) -> str:
        """What was done, as the message and the record say it."""
        if self.action == BulkAction.MOVE and self.start_date is not None:
            return _("Moved the start to %(date)s") % {
                "date": date_format(self.start_date, "SHORT_DATE_FORMAT")
            }
        if self.action == BulkAction.MOVE:
            return ngettext(
                "Moved the start by %(days)s day",
                "Moved the start by %(days)s days",
                abs(self.days or 0),
            ) % {"days": f"{self.days:+d}"}
        if self.action == BulkAction.REASSIGN:
            return _("Reassigned to %(name)s") % {"name": self.owner.name if self.owner else ""}
        if self.action == BulkAction.PRIORITY:
            if self.priority is None:
                return _("Removed the priority")
            return _("Set the priority to %(name)s") % {"name": self.priority.display_name}
        return str(BulkAction(self.action).label)


@dataclass(frozen=True)
class Counts:
    """How many rows are in scope, how many the change would change, and why the others
    are skipped."""

    matching: int
    change: int
    not_yours: int = 0  # not theirs to change
    completed: int = 0  # completed: read-only, or already completed
    already_open: int = 0  # "open again" on an open one
    out_of_range: int = 0  # a move that would leave 2000-2099

    @property
    def skipped(self) -> int:
        return self.matching - self.change


@dataclass(frozen=True)
class UndoResult:
    restored: int
    kept: int
    already_undone: bool = False


class AddDays(Func):
    """date + n days, as a date on both databases."""

    output_field = FollowUp._meta.get_field("start_date")

    def __init__(self, expression, days: int):
        super().__init__(expression)
        self.days = int(days)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, %s)", [*params, f"{self.days:+d} days"]

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} + %s::integer)", [*params, self.days]


SQLITE_MOVE_LOCAL = "followups_move_local"


def move_local(at: str | None, days: int | None, zone: str) -> str | None:
    """A start_at as SQLite keeps it (UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]"), moved by
    `days` at the same time of day in `zone`, in the same form."""
    if at is None or days is None:
        return None
    here = ZoneInfo(zone)
    local = datetime.fromisoformat(at).replace(tzinfo=UTC).astimezone(here)
    moved = (local.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=here)
    return str(moved.astimezone(UTC).replace(tzinfo=None))


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created: the functions bulk changes use on SQLite."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_MOVE_LOCAL, 3, move_local, deterministic=True)


class MoveTime(Func):
    """A timed follow-up's start_at moved with its start date: by `days`, or onto `day`
    (then by as many days as that is from the row's start_date), at the same time of
    day in `zone` (the mover's time zone: across a change to or from summer time,
    10:00 stays 10:00). PostgreSQL does it with AT TIME ZONE; SQLite, which has no time
    zones, with `move_local`, registered on each of its connections. NULL (no time)
    stays NULL."""

    output_field = FollowUp._meta.get_field("start_at")

    def __init__(self, *, days: int | None = None, day: date | None = None, zone: str):
        super().__init__(F("start_at"), F("start_date"))
        self.days, self.day, self.zone = days, day, zone

    def _days_sql(self, start_date: str, connection) -> tuple[str, list]:
        if self.day is None:
            return "%s", [int(self.days or 0)]
        day = connection.ops.adapt_datefield_value(self.day)
        if connection.vendor == "postgresql":
            return f"(%s::date - {start_date})", [day]
        return f"CAST(julianday(%s) - julianday({start_date}) AS INTEGER)", [day]

    def as_sqlite(self, compiler, connection, **extra):
        at, at_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        days, days_params = self._days_sql(start, connection)
        return (
            f"{SQLITE_MOVE_LOCAL}({at}, {days}, %s)",
            [*at_params, *days_params, *start_params, self.zone],
        )

    def as_postgresql(self, compiler, connection, **extra):
        at, at_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        days, days_params = self._days_sql(start, connection)
        return (
            f"((({at}) AT TIME ZONE %s) + make_interval(days => {days})) AT TIME ZONE %s",
            [*at_params, self.zone, *days_params, *start_params, self.zone],
        )


def may_change(by: Associate) -> Q:
    """FollowUp.may_change as a condition: owner, creator, or a role that sees all."""
    if by.user.has_perm(PERM_SEE_ALL_ASSOCIATES):
        return Q(pk__isnull=False)
    return Q(owner=by) | Q(created_by=by)


def _in_range(change: Change) -> Q:
    """The rows a move keeps within 2000-2099 (every row, for other changes)."""
    if change.action == BulkAction.MOVE and change.days:
        return Q(
            start_date__gte=EARLIEST_START - timedelta(days=change.days),
            start_date__lte=LATEST_START - timedelta(days=change.days),
        )
    return Q(pk__isnull=False)


def _eligible(change: Change, by: Associate) -> Q:
    allowed = may_change(by)
    if change.action == BulkAction.DELETE:
        return allowed
    if change.action == BulkAction.REOPEN:
        return allowed & Q(completed=True)
    return allowed & Q(completed=False) & _in_range(change)


def bulk_counts(scope: QuerySet, change: Change, by: Associate) -> Counts:
    """The confirmation's numbers, in one query."""
    allowed = may_change(by)
    found = scope.order_by().aggregate(
        n_matching=Count("pk"),
        n_not_yours=Count("pk", filter=~allowed),
        n_completed=Count("pk", filter=allowed & Q(completed=True)),
        n_open=Count("pk", filter=allowed & Q(completed=False)),
        n_open_in_range=Count("pk", filter=allowed & Q(completed=False) & _in_range(change)),
    )
    matching, not_yours = found["n_matching"], found["n_not_yours"]
    completed, open_, in_range = found["n_completed"], found["n_open"], found["n_open_in_range"]
    if change.action == BulkAction.DELETE:
        return Counts(matching, completed + open_, not_yours=not_yours)
    if change.action == BulkAction.REOPEN:
        return Counts(matching, completed, not_yours, already_open=open_)
    return Counts(
        matching,
        in_range,
        not_yours,
        completed=completed,
        out_of_range=open_ - in_range,
    )


def _snapshot(record: BulkChange, rows: QuerySet) -> int:
    """Copy what the change alters of each row, as it is, into BulkChangeRow, in one
    INSERT … SELECT straight from `rows` (every column for a delete, the changed ones
    for the others), in id order; on PostgreSQL the rows stay locked until the
    transaction ends, so that a single edit waits (SQLite's write transaction holds the
    whole database already), and two bulk changes lock rows they share in the same
    order."""
    columns = kept(record.action)
    rows = rows.order_by("pk").values("pk", *columns)
    if connection.vendor == "postgresql":
        rows = rows.select_for_update(of=("self",))
    rows_sql, rows_params = rows.query.sql_with_params()
    target = connection.ops.quote_name(BulkChangeRow._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = (
        f"INSERT INTO {target} (change_id, followup_id, {names}) "
        f"SELECT %s, kept.* FROM ({rows_sql}) kept"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [record.pk, *rows_params])
        return cursor.rowcount


def bulk_apply(scope: QuerySet, change: Change, by: Associate) -> BulkChange:
    """Make the change to every row of `scope` that `by` may change and that the change
    applies to; all or nothing. Returns the record (changed_count says how many)."""
    with transaction.atomic():
        now = timezone.now()
        record = BulkChange.objects.create(
            action=change.action, summary=change.summary()[:300], created_at=now, created_by=by
        )
        changed = _snapshot(record, scope.filter(_eligible(change, by)))
        rows = FollowUp.objects.filter(
            pk__in=BulkChangeRow.objects.filter(change=record).values("followup_id")
        )
        if change.action == BulkAction.DELETE:
            rows.delete()  # no row refers to a follow-up: one DELETE
        else:
            rows.update(updated_at=now, **_updates(change, now))
        BulkChange.objects.filter(pk=record.pk).update(changed_count=changed)
        if change.action == BulkAction.REASSIGN and change.owner != by and changed:
            # The new owner is told once the change is there (never if it rolls back).
            after_commit(bulk_change_notify, record.pk)
    record.changed_count = changed
    return record


def _updates(change: Change, now) -> dict:
    if change.action == BulkAction.COMPLETE:
        return {"completed": True, "completed_at": now}
    if change.action == BulkAction.REOPEN:
        return {"completed": False, "completed_at": None}
    if change.action == BulkAction.MOVE:
        zone = timezone.get_current_timezone_name()
        if change.start_date is not None:
            return {
                "start_date": change.start_date,
                "start_at": MoveTime(day=change.start_date, zone=zone),
            }
        return {
            "start_date": AddDays(F("start_date"), change.days or 0),
            "start_at": MoveTime(days=change.days or 0, zone=zone),
        }
    if change.action == BulkAction.REASSIGN:
        return {"owner": change.owner}
    if change.action == BulkAction.PRIORITY:
        return {"priority": change.priority}
    raise ValueError(change.action)


def undo_counts(record: BulkChange) -> tuple[int, int]:
    """(restorable, changed since): what an undo would put back, and what it would keep."""
    if record.undone_at is not None:
        return 0, 0
    rows = BulkChangeRow.objects.filter(change=record)
    if record.action == BulkAction.DELETE:
        back = rows.exclude(followup_id__in=FollowUp.objects.values("pk")).count()
        return back, record.changed_count - back
    untouched = FollowUp.objects.filter(
        pk__in=rows.values("followup_id"), updated_at=record.created_at
    ).count()
    return untouched, record.changed_count - untouched


def bulk_undo(record: BulkChange, by: Associate) -> UndoResult:
    """Put back every row the change changed that nobody has changed since (deleted ones:
    that can be put back, their company, person and the rest still there), in one
    statement, and mark the change undone. Undoing again does nothing more."""
    with transaction.atomic():
        locked = BulkChange.objects.select_for_update().get(pk=record.pk)
        if locked.undone_at is not None:
            return UndoResult(0, 0, already_undone=True)
        if locked.action == BulkAction.DELETE:
            restored = _put_back(locked)
        else:
            rows = BulkChangeRow.objects.filter(change=locked)

            def before(column: str) -> Subquery:
                return Subquery(rows.filter(followup_id=OuterRef("pk")).values(column)[:1])

            restored = FollowUp.objects.filter(
                pk__in=rows.values("followup_id"), updated_at=locked.created_at
            ).update(**{column: before(column) for column in kept(locked.action)})
        now = timezone.now()
        BulkChange.objects.filter(pk=locked.pk).update(
            undone_at=now, undone_by=by, restored_count=restored
        )
    record.undone_at, record.undone_by, record.restored_count = now, by, restored
    return UndoResult(restored, locked.changed_count - restored)


def _put_back(record: BulkChange) -> int:
    """INSERT the deleted follow-ups again, with their own ids, where every row they
    refer to is still there and no follow-up has taken the id."""
    q = connection.ops.quote_name
    table, rows = q(FollowUp._meta.db_table), q(BulkChangeRow._meta.db_table)
    columns = ", ".join(q(c) for c in COLUMNS)
    selected = ", ".join(f"r.{q(c)}" for c in COLUMNS)
    present = [f"NOT EXISTS (SELECT 1 FROM {table} f WHERE f.id = r.followup_id)"]
    for column, referenced, nullable in _references():
        exists = f"EXISTS (SELECT 1 FROM {q(referenced)} x WHERE x.id = r.{q(column)})"
        present.append(f"(r.{q(column)} IS NULL OR {exists})" if nullable else exists)
    sql = (
        f"INSERT INTO {table} (id, {columns}) SELECT r.followup_id, {selected} "
        f"FROM {rows} r WHERE r.change_id = %s AND {' AND '.join(present)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [record.pk])
        return cursor.rowcount


def counts_text(counts: Counts, change: Change) -> list[str]:
    """The confirmation's lines: what will change, and each reason a row is skipped."""
    n = number_format(counts.change, force_grouping=True)
    lines = [
        ngettext(
            "%(n)s follow-up will be changed.", "%(n)s follow-ups will be changed.", counts.change
        )
        % {"n": n}
        if change.action != BulkAction.DELETE
        else ngettext(
            "%(n)s follow-up will be deleted.", "%(n)s follow-ups will be deleted.", counts.change
        )
        % {"n": n}
    ]
    reasons = [
        (
            counts.not_yours,
            ngettext(
                "%(n)s skipped: not yours to change.",
                "%(n)s skipped: not yours to change.",
                counts.not_yours,
            ),
        ),
        (
            counts.completed,
            ngettext(
                "%(n)s skipped: already completed.",
                "%(n)s skipped: already completed.",
                counts.completed,
            )
            if change.action == BulkAction.COMPLETE
            else ngettext(
                "%(n)s skipped: completed (open it again to change it).",
                "%(n)s skipped: completed (open them again to change them).",
                counts.completed,
            ),
        ),
        (
            counts.already_open,
            ngettext(
                "%(n)s skipped: already open.", "%(n)s skipped: already open.", counts.already_open
            ),
        ),
        (
            counts.out_of_range,
            ngettext(
                "%(n)s skipped: the start would leave 2000–2099.",
                "%(n)s skipped: the start would leave 2000–2099.",
                counts.out_of_range,
            ),
        ),
    ]
    for count, text in reasons:
        if count:
            lines.append(text % {"n": number_format(count, force_grouping=True)})
    return lines

"""Follow-ups (activities), their types and priorities, and the generations that
create them in bulk from a selection."""

from __future__ import annotations

import functools
import math
import operator
import uuid
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import connection, models
from django.db.models import F, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, NullIf
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.models import (
    PERM_SEE_ALL_ASSOCIATES,
    Associate,
    Company,
    Person,
    Project,
    UnicodeUpper,
    UserGroup,
)
from selections.models import Selection

DESCRIPTION_MAX_LENGTH = 2048
# The start dates a follow-up may be given.
EARLIEST_START = date(2000, 1, 1)
LATEST_START = date(2099, 12, 31)
LIST_TITLE_LENGTH = 80  # characters of a title in the lists


class ActiveQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True).order_by("rank", "name", "id")


NAME_NB_HELP = _("Blank: the English name is shown in Norwegian too.")


def shown_in_norwegian():
    """The name a row shows in Norwegian: its Norwegian name, or the English one."""
    return Coalesce(NullIf("name_nb", Value("")), "name")


class NamedInLanguages(models.Model):
    """An admin-managed list whose rows have a name per language: English (`name`) and
    Norwegian Bokmål (`name_nb`, which falls back to the English one when blank)."""

    # Each concrete list declares the two fields.
    name: str
    name_nb: str

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the language now active (the request's)."""
        if self.name_nb and (get_language() or "").split("-")[0] == "nb":
            return self.name_nb
        return self.name


class FollowUpType(NamedInLanguages):
    class Kind(models.TextChoices):
        APPOINTMENT = "appointment", _("Appointment")
        TASK = "task", _("Task")
        PHONE_CALL = "phone_call", _("Phone call")

    name = models.CharField(_("name (English)"), max_length=100)
    name_nb = models.CharField(
        _("name (Norwegian Bokmål)"), max_length=100, blank=True, help_text=NAME_NB_HELP
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TASK)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#4a7bd0",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #4a7bd0."))],
    )
    rank = models.PositiveIntegerField(_("rank"), default=100, help_text=_("Lower comes first."))
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive types are never offered again.")
    )

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["rank", "name", "id"]
        verbose_name = _("follow-up type")
        verbose_name_plural = _("follow-up types")
        # Names are unique per language, case-insensitive in every script: the English
        # names, and the names shown in Norwegian.
        constraints = [
            models.UniqueConstraint(
                UnicodeUpper("name"),
                name="followups_type_unique_name_ci",
                violation_error_message=_("Another follow-up type has this English name."),
            ),
            models.UniqueConstraint(
                UnicodeUpper(shown_in_norwegian()),
                name="followups_type_unique_name_nb_ci",
                violation_error_message=_("Another follow-up type has this name in Norwegian."),
            ),
        ]


# The kinds whose follow-ups may have a time of day and a duration; a task is a date.
TIMED_KINDS = frozenset({FollowUpType.Kind.APPOINTMENT, FollowUpType.Kind.PHONE_CALL})
MAX_DURATION = timedelta(hours=24)


def timed_start(
    day: date, at: time | None, zone: tzinfo, *, strict: bool = True
) -> datetime | None:
    """The aware start of a follow-up on `day` at the time `at` in `zone` (None without
    a time). `strict`: raises ValidationError for a time the clocks skip on that day
    (the night summer time begins); otherwise such a time is taken as Python reads it."""
    if at is None:
        return None
    start = datetime.combine(day, at.replace(tzinfo=None, second=0, microsecond=0), zone)
    if strict and start.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != start.replace(
        tzinfo=None
    ):
        raise ValidationError(
            _("%(time)s does not exist on that day (the clocks go forward); choose another time."),
            params={"time": at.strftime("%H:%M")},
            code="skipped_time",
        )
    return start


def check_timing(
    *,
    kind: str,
    start_date: date,
    start_at: datetime | None,
    duration: timedelta | None,
    zone: tzinfo,
) -> None:
    """The rules of a follow-up's time, for the places that write one (a form's check
    comes first, with its own messages): only appointments and phone calls have one; a
    duration needs a time and is more than nothing and at most MAX_DURATION; the time's
    date in `zone` (the time zone it was typed in) is the start date. The database
    checks the first two too (FollowUp.Meta.constraints)."""
    if start_at is None:
        if duration is not None:
            raise ValidationError(_("A duration needs a start time."), code="duration_no_time")
        return
    if kind not in TIMED_KINDS:
        raise ValidationError(_("Only appointments and phone calls have a start time."))
    if start_at.tzinfo is None or start_at.astimezone(zone).date() != start_date:
        raise ValidationError(_("The start time is not on the start date."))
    if duration is not None and not timedelta(0) < duration <= MAX_DURATION:
        raise ValidationError(_("A duration is more than 0 minutes and at most 24 hours."))


class Priority(NamedInLanguages):
    name = models.CharField(_("name (English)"), max_length=50)
    name_nb = models.CharField(
        _("name (Norwegian Bokmål)"), max_length=50, blank=True, help_text=NAME_NB_HELP
    )
    rank = models.PositiveIntegerField(_("rank"), default=100, help_text=_("Lower comes first."))
    active = models.BooleanField(_("active"), default=True)

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["rank", "name", "id"]
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")
        constraints = [  # as FollowUpType's
            models.UniqueConstraint(
                UnicodeUpper("name"),
                name="followups_priority_unique_name_ci",
                violation_error_message=_("Another priority has this English name."),
            ),
            models.UniqueConstraint(
                UnicodeUpper(shown_in_norwegian()),
                name="followups_priority_unique_name_nb_ci",
                violation_error_message=_("Another priority has this name in Norwegian."),
            ),
        ]


class OwnerMode(models.TextChoices):
    MINE = "mine", _("My activity list")
    OUR_CONTACT = "our_contact", _("Company owner's (our contact's) activity list")
    OTHER = "other", _("Other associate")
    GROUP = "group", _("Spread across a user group")


class SpreadMethod(models.TextChoices):
    """How "Spread across a user group" shares the follow-ups (services._spread_plan)."""

    EVENLY = "evenly", _("Evenly")
    BY_LOAD = "by_load", _("By open load (fewer open follow-ups get more)")


MAX_SPREAD_DAYS = 60  # working days a generation's start may be spread over


PERM_MANAGE_ALL_GENERATIONS = "followups.manage_all_generations"


class GenerationQuerySet(models.QuerySet):
    def visible_to(self, associate: Associate) -> GenerationQuerySet:
        """Your own generations; every generation for administrators."""
        if associate.user.has_perm(PERM_MANAGE_ALL_GENERATIONS):
            return self.all()
        return self.filter(created_by=associate)


class Generation(models.Model):
    """One run of the Generate follow-ups dialog: who, when, on what, every choice made,
    and how many follow-ups it created. `key` is the dialog's one-time key."""

    key = models.UUIDField(_("one-time key"), unique=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        Associate, on_delete=models.PROTECT, related_name="generations", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    selection = models.ForeignKey(
        Selection,
        on_delete=models.SET_NULL,
        null=True,
        related_name="generations",
        verbose_name=_("selection"),
    )
    selection_name = models.CharField(_("selection name"), max_length=200)
    type = models.ForeignKey(
        FollowUpType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type")
    )
    start_date = models.DateField(_("start"))
    # Each follow-up's time of day, as typed in the time zone `time_zone`.
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    description = models.TextField(
        _("description"), validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)]
    )
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("project")
    )
    priority = models.ForeignKey(
        Priority, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("priority")
    )
    completed = models.BooleanField(_("completed"), default=False)
    one_per_company = models.BooleanField(_("one per company"), default=False)
    owner_mode = models.CharField(_("owner"), max_length=20, choices=OwnerMode)
    owner_associate = models.ForeignKey(
        Associate,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("other associate"),
    )
    owner_group = models.ForeignKey(
        UserGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user group"),
    )
    spread_method = models.CharField(
        _("spread"), max_length=20, choices=SpreadMethod.choices, blank=True
    )
    spread_days = models.PositiveSmallIntegerField(
        _("start spread over working days"), null=True, blank=True
    )
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        Associate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("undone by"),
    )
    removed_count = models.PositiveIntegerField(_("follow-ups removed by undo"), default=0)
    selected_only = models.BooleanField(_("selected members only"), default=False)
    selected_count = models.PositiveIntegerField(_("members ticked"), default=0)
    created_count = models.PositiveIntegerField(_("follow-ups created"), default=0)
    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("generation")
        verbose_name_plural = _("generations")
        permissions = [("manage_all_generations", _("Can see and undo every generation"))]

    def __str__(self) -> str:
        return f"{self.selection_name} · {self.created_at:%Y-%m-%d %H:%M} · {self.created_count}"


# Untouched: as it was created, never saved since (edited, completed, reopened,
# re-owned: any save moves updated_at on). An undo removes only these.
UNTOUCHED = Q(updated_at=F("created_at"))


def overdue_on(day: date, *, among_open: bool = False) -> Q:
    """Overdue on `day`: open, and starting before it (FollowUp.is_overdue for one row,
    today). `among_open`: of rows known to be open, only the start is compared (a count
    that names no other column is read from the open follow-ups' index alone)."""
    before = Q(start_date__lt=day)
    return before if among_open else Q(completed=False) & before


def generations_with_rows() -> models.QuerySet:
    """The ids of the generations that may still have follow-ups: every one but those
    that created none, or whose undo removed every one they created (a follow-up a bulk
    change deleted and its undo put back was not there for the undo to remove)."""
    return Generation.objects.exclude(removed_count=F("created_count")).order_by().values("id")


class InIds(In):
    """`column IN (subquery)`; on PostgreSQL `column = ANY(ARRAY(subquery))`, which it
    runs once and then uses as an index condition, one descent of the index per id,
    also under an OR (where IN (subquery) would be a filter on every row read)."""

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


class PairIn(models.Expression):
    """`(company_id, person_id) IN (pairs)`: the rows whose company and person are one of
    the pairs, a raw query of (company id, person id), which SQLite takes as a search of
    an index on (…, company, person) for each pair."""

    output_field = models.BooleanField()

    def __init__(self, pairs: RawSQL):
        super().__init__()
        self.columns = [F("company_id"), F("person_id")]
        self.pairs = pairs

    def get_source_expressions(self):
        return [*self.columns, self.pairs]

    def set_source_expressions(self, exprs):
        *self.columns, self.pairs = exprs

    def as_sql(self, compiler, connection):
        columns, params = [], []
        for column in self.columns:
            sql, column_params = compiler.compile(column)
            columns.append(sql)
            params += column_params
        pairs, pairs_params = compiler.compile(self.pairs)
        return f"({', '.join(columns)}) IN {pairs}", (*params, *pairs_params)


# Every (person, company) a generated follow-up can have (SQLite only, kept by
# triggers; migration 0024).
PAIRS_TABLE = "followups_person_company"


def record_pair(person_id: int | None, company_id: int | None) -> None:
    """A generated row written other than by its generation's INSERT … SELECT (one
    saved on its own): its pair, which no trigger records for an insert (that would cost
    every generation a trigger per row)."""
    if connection.vendor == "sqlite" and person_id is not None and company_id is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT OR IGNORE INTO "{PAIRS_TABLE}" ("person_id", "company_id") VALUES (%s, %s)',
                [person_id, company_id],
            )


def _pairs_of(match_sql: tuple[str, tuple]) -> RawSQL:
    """The pairs of the persons whose id matches `match_sql` ("= %s", "IN (…)")."""
    sql, params = match_sql
    return RawSQL(
        f'SELECT "company_id", "person_id" FROM "{PAIRS_TABLE}" WHERE "person_id" {sql}',
        params,
    )


def party_parts(column: str, party) -> tuple[Q, ...]:
    """The one rule for "the follow-ups of this company" (column "company_id") or "of
    this person" ("person_id"), whoever wrote them and whatever was changed since, as
    the parts each read off one index; of_party is any of them.

    On PostgreSQL one part, off a single-column index: followups_by_company (company),
    followups_by_person (person) (migration 0022; a generation's rows cost no more
    there, and a card reads one range however many generations there are).

    On SQLite off followups_party_by_gen (generation, company, person), which a
    generation writes at its end, in its order (by company), where an index on the
    company or the person alone would have its rows land on pages all over it. A card
    reads one short range per generation (generations_with_rows), and one more for the
    rows created one by one (no generation):

    - a company: (generation, company), for each generation and for none;
    - a person: (generation, company, person) for each generation and each company the
      person has been seen with (followups_person_company, migration 0024, which says
      why every generated row's pair is there), and the rows created one by one or
      without a company off followups_loose_by_person (person).

    A row changed later (its company or person included) moves within the indexes
    with the change.

    `party`: an instance, an id, or a list or a query of ids (the follow-ups of any of
    them)."""
    if isinstance(party, models.QuerySet):
        match = Q(InIds(F(column), party))
    elif isinstance(party, list):
        match = Q(**{f"{column}__in": party})
    else:
        match = Q(**{column: getattr(party, "pk", party)})
    if connection.vendor == "postgresql":
        return (match,)
    generated = Q(InIds(F("generation_id"), generations_with_rows()))
    if column == "company_id":
        return (Q(generation_id__isnull=True) & match, generated & match)
    if isinstance(party, models.QuerySet):
        try:
            sql, params = party.query.sql_with_params()
        except EmptyResultSet:  # a query that can match nothing
            return (Q(pk__in=[]),)
        match_sql = (f"IN ({sql})", tuple(params))
    elif isinstance(party, list):
        if not party:
            return (Q(pk__in=[]),)
        match_sql = (f"IN ({', '.join(['%s'] * len(party))})", tuple(party))
    else:
        match_sql = ("= %s", (getattr(party, "pk", party),))
    return (
        (Q(generation_id__isnull=True) | Q(company_id__isnull=True)) & match,
        generated & Q(PairIn(_pairs_of(match_sql))),
    )


def of_party(column: str, party) -> Q:
    """A company's or a person's follow-ups: any part of party_parts."""
    return functools.reduce(operator.or_, party_parts(column, party))


class FollowUpQuerySet(models.QuerySet):
    def open(self) -> FollowUpQuerySet:
        return self.filter(completed=False)

    def changed(self) -> FollowUpQuerySet:
        """Changed since they were created (edited, completed, reopened, re-owned), as
        the partial index followups_changed holds them."""
        return self.exclude(UNTOUCHED)

    def unchanged(self) -> FollowUpQuerySet:
        """As their generation wrote them (the other rows are `edited`)."""
        return self.filter(UNTOUCHED, generation__isnull=False)

    def edited(self) -> FollowUpQuerySet:
        """Created one by one, or changed since their generation wrote them: the rows
        whose description or project may differ from their generation's (the partial
        index followups_open_edited holds the open ones)."""
        return self.filter(Q(generation__isnull=True) | ~UNTOUCHED)

    def of_company(self, company) -> FollowUpQuerySet:
        """The follow-ups of a company (an instance, an id, or a query of company ids):
        see of_party."""
        return self.filter(of_party("company_id", company))

    def of_person(self, person) -> FollowUpQuerySet:
        """The follow-ups of a person (an instance, an id, or a query of person ids):
        see of_party."""
        return self.filter(of_party("person_id", person))

    def visible_to(self, associate: Associate) -> FollowUpQuerySet:
        """The one rule for whose follow-ups an associate may see: their own, those they
        created, and those owned by associates who share a user group with them (every
        follow-up for a role that may see all associates)."""
        if associate.user.has_perm(PERM_SEE_ALL_ASSOCIATES):
            return self.all()
        groups = associate.group_ids()
        colleagues = Associate.objects.filter(
            Q(primary_group_id__in=groups) | Q(other_groups__in=groups)
        ).values("pk")
        return self.filter(Q(owner=associate) | Q(created_by=associate) | Q(owner__in=colleagues))

    def for_lists(self, *, names: bool = True) -> FollowUpQuerySet:
        """What every list shows beside the follow-up: project, company and person joined
        in the same query; type, priority and owner (small tables) fetched by one query
        each for the rows found. PostgreSQL takes 15-30 ms to plan a join of all seven
        tables and about 1 ms for these four, which is most of a list page's database
        time. Without `names`, type and priority are left to the caller (a list whose
        filter bar has read both tables already: lists.ListFilters.name_rows)."""
        owner = models.Prefetch("owner", queryset=Associate.objects.select_related("user"))
        if not names:
            return self.select_related("project", "company", "person").prefetch_related(owner)
        return self.select_related("project", "company", "person").prefetch_related(
            "type", "priority", owner
        )


# What the lists' filter bar narrows by, carried by an owner's indexes on PostgreSQL.
FILTERED = ["type", "priority"]


class FollowUp(models.Model):
    # Type, project, priority and creator hold one value per generation. They have no
    # index (one would serve only an administrator's delete, which reads the table once
    # instead), and on PostgreSQL no per-row foreign-key check: triggers check them once
    # per statement, locking the rows referenced for the transaction, and refuse a
    # delete of a row still referenced (migration 0009_checked_once_per_generation).
    type = models.ForeignKey(
        FollowUpType,
        on_delete=models.PROTECT,
        related_name="followups",
        verbose_name=_("type"),
        db_index=False,
    )
    start_date = models.DateField(_("start"))
    # An appointment's or a phone call's time, if it has one (TIMED_KINDS): aware, and on
    # start_date in the time zone it was typed in (check_timing); lists, counters and
    # indexes go by start_date. A duration needs a time.
    start_at = models.DateTimeField(_("start time"), null=True, blank=True)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    description = models.TextField(
        _("description"), validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)]
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name=_("project"),
        db_index=False,
    )
    priority = models.ForeignKey(
        Priority,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name=_("priority"),
        db_index=False,
    )
    # Owner, company and person differ from row to row and keep their foreign-key
    # constraints. Owner leads the composite indexes below; company and person are found
    # as of_party says (the cards).
    owner = models.ForeignKey(
        Associate,
        on_delete=models.PROTECT,
        related_name="followups",
        verbose_name=_("owner"),
        db_index=False,
    )
    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name=_("company"),
        db_index=False,
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name=_("person"),
        db_index=False,
    )
    completed = models.BooleanField(_("completed"), default=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        Associate,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Generation writes both with the same time; any later save() moves it on (UNTOUCHED).
    updated_at = models.DateTimeField(
        _("changed"),
        auto_now=True,
        help_text=_("Equal to 'created' until someone changes the follow-up."),
    )
    # Checked once per statement on PostgreSQL, as type is; its index costs little, as
    # a generation's rows all go at the end of it (undo, a generation's page).
    generation = models.ForeignKey(
        Generation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name=_("generation"),
        db_index=False,  # the indexes led by the generation start with it
    )

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(
                condition=Q(completed=False, completed_at__isnull=True)
                | Q(completed=True, completed_at__isnull=False),
                name="followups_followup_completed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(duration__isnull=True) | Q(start_at__isnull=False),
                name="followups_followup_duration_has_time",
                violation_error_message=_("A duration needs a start time."),
            ),
            models.CheckConstraint(
                condition=Q(duration__isnull=True)
                | Q(duration__gt=timedelta(0), duration__lte=MAX_DURATION),
                name="followups_followup_duration_range",
                violation_error_message=_(
                    "A duration is more than 0 minutes and at most 24 hours."
                ),
            ),
        ]
        indexes = [
            # Activity list and counters: one associate's open follow-ups by start date
            # (partial, so a million completed rows cost nothing). On PostgreSQL it also
            # carries the type and the priority (INCLUDE, not keys), so that the filter
            # bar's total is counted from the index alone; SQLite has no INCLUDE, and
            # there they would be keys that every generation writes more slowly.
            models.Index(
                fields=["owner", "start_date", "id"],
                include=FILTERED,
                condition=Q(completed=False),
                name="followups_open_by_owner",
            ),
            # The activity list's "completed today" rows, found without reading the
            # owner's whole history (completed follow-ups only).
            models.Index(
                fields=["owner", "completed_at"],
                condition=Q(completed=True),
                name="followups_done_by_owner",
            ),
            # An associate's history list: the open ones from the index above, the
            # completed ones from this twin, merged (activity_views.history).
            models.Index(
                fields=["owner", "start_date", "id"],
                include=FILTERED,
                condition=Q(completed=True),
                name="followups_done_by_owner_start",
            ),
            # Follow-ups changed since they were created: the generations page counts
            # them per generation. A generation writes none into it.
            models.Index(
                fields=["generation"],
                condition=~UNTOUCHED,
                name="followups_changed",
            ),
            # Quick search: the open follow-ups a generation did not write as they are,
            # whose text may differ from their generation's (followups.search). A
            # generation writes none into it.
            models.Index(
                fields=["start_date", "id"],
                condition=Q(completed=False) & (Q(generation__isnull=True) | ~UNTOUCHED),
                name="followups_open_edited",
            ),
            # These describe SQLite's indexes; PostgreSQL, whose tables are altered in
            # place, has its own for the last three (migrations 0022 to 0024).
            #
            # A generation's open rows by start date: quick search. Written at its end,
            # as every generation is newer than the rows before it. On PostgreSQL
            # followups_by_generation (generation, completed, start, id), which also
            # serves undo and a generation's page there.
            models.Index(
                fields=["generation", "start_date"],
                condition=Q(completed=False, generation__isnull=False),
                name="followups_open_by_generation",
            ),
            # A generation's rows (undo, a generation's page) and the company and person
            # cards (a few hundred rows each, sorted when read), written at its end and in
            # its order (by company): see party_parts. The rows created one by one, under
            # no generation, and those without a company are found by person in the
            # second. On PostgreSQL single-column indexes on the company and on the
            # person instead.
            models.Index(fields=["generation", "company", "person"], name="followups_party_by_gen"),
            models.Index(
                fields=["person"],
                condition=Q(generation__isnull=True) | Q(company__isnull=True),
                name="followups_loose_by_person",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding and self.generation_id is not None:
            record_pair(self.person_id, self.company_id)

    def may_change(self, associate: Associate) -> bool:
        """Its owner, its creator, and roles that see every associate may change it."""
        return (
            self.owner_id == associate.pk
            or self.created_by_id == associate.pk
            or associate.user.has_perm(PERM_SEE_ALL_ASSOCIATES)
        )

    @property
    def end_at(self) -> datetime | None:
        """When a timed follow-up with a duration ends."""
        if self.start_at is None or self.duration is None:
            return None
        return self.start_at + self.duration

    @property
    def is_overdue(self) -> bool:
        """Overdue today (overdue_on, for a query)."""
        return not self.completed and self.start_date < timezone.localdate()

    @property
    def title(self) -> str:
        """The description's first line, as lists show it."""
        return self.description.strip().splitlines()[0] if self.description.strip() else ""

    @property
    def list_title(self) -> str:
        """The title cut to LIST_TITLE_LENGTH characters, an ellipsis included."""
        title = self.title
        if len(title) <= LIST_TITLE_LENGTH:
            return title
        return title[: LIST_TITLE_LENGTH - 1] + "…"


class BulkAction(models.TextChoices):
    COMPLETE = "complete", _("Mark completed")
    REOPEN = "reopen", _("Open again")
    MOVE = "move", _("Move the start")
    REASSIGN = "reassign", _("Reassign")
    PRIORITY = "priority", _("Change priority")
    DELETE = "delete", _("Delete")


class BulkChange(models.Model):
    """One change made to many follow-ups at once, with each row as it was before
    (BulkChangeRow), so that it can be undone while those rows are unchanged since."""

    action = models.CharField(_("action"), max_length=20, choices=BulkAction)
    summary = models.CharField(_("what was done"), max_length=300)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    created_by = models.ForeignKey(
        Associate, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    changed_count = models.PositiveIntegerField(_("follow-ups changed"), default=0)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        Associate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("undone by"),
    )
    restored_count = models.PositiveIntegerField(_("follow-ups restored by undo"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk change")
        verbose_name_plural = _("bulk changes")

    def __str__(self) -> str:
        return f"{self.summary} · {self.created_at:%Y-%m-%d %H:%M} · {self.changed_count}"


class BulkChangeRow(models.Model):
    """A follow-up as it was just before a bulk change, as plain values (no foreign keys):
    for a delete every column, so that the follow-up can be put back; for another change
    only the columns it alters and `updated_at` (followups.bulk.kept), the rest left
    empty, so that the record costs little beside the change itself. `followup_id` is
    the follow-up's own id."""

    # No index of its own: the unique constraint below leads with it (one index less to
    # write for every row a bulk change records). On PostgreSQL checked once per
    # statement, not per row (migration 0021_bulk_row_change_checked_once): every row
    # of a change is written with it, in the transaction that wrote the change.
    change = models.ForeignKey(
        BulkChange, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    followup_id = models.BigIntegerField()
    type_id = models.BigIntegerField(null=True)
    start_date = models.DateField(null=True)
    start_at = models.DateTimeField(null=True)
    duration = models.DurationField(null=True)
    description = models.TextField(null=True)  # noqa: DJ001 (empty: not recorded)
    project_id = models.BigIntegerField(null=True)
    priority_id = models.BigIntegerField(null=True)
    owner_id = models.BigIntegerField(null=True)
    company_id = models.BigIntegerField(null=True)
    person_id = models.BigIntegerField(null=True)
    completed = models.BooleanField(null=True)
    completed_at = models.DateTimeField(null=True)
    created_by_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField()
    generation_id = models.BigIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["change", "followup_id"], name="followups_bulk_row_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.change_id} · {self.followup_id}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class GenerationJob(models.Model):
    """A generation run in the background (followups/background.py), from the moment
    Save enqueued it: its one-time key, the dialog's choices, and its progress.

    It lives in the "jobs" database (config/routers.py), so that its progress and a
    Cancel are seen while the generation's own transaction is still open; it therefore
    holds its selection's, creator's and generation's ids as plain numbers."""

    ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)

    key = models.UUIDField(_("one-time key"), unique=True)
    created_by_pk = models.BigIntegerField(_("by"), db_index=True)
    selection_pk = models.BigIntegerField(_("selection"))
    selection_name = models.CharField(_("selection name"), max_length=200)
    choices = models.JSONField(_("choices"))
    total = models.PositiveIntegerField(_("follow-ups to create"))
    written = models.PositiveIntegerField(_("follow-ups written"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    # Each run of the job counts one more; only the latest run may report progress, so
    # a worker given up for silent that comes back stops (and rolls back) by itself.
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    generation_pk = models.BigIntegerField(_("generation"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("background generation")
        verbose_name_plural = _("background generations")

    def __str__(self) -> str:
        return f"{self.selection_name} · {self.status} · {self.written}/{self.total}"

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def waiting_long(self) -> bool:
        """Queued for longer than a worker would leave it: no worker may be running."""
        waited = timezone.now() - self.created_at
        return self.status == JobStatus.QUEUED and waited > timedelta(
            seconds=settings.BACKGROUND_GENERATION_STALE_SECONDS
        )

    @property
    def percent(self) -> int:
        return min(100, self.written * 100 // self.total) if self.total else 0

    @property
    def time_left(self) -> timedelta | None:
        """An estimate from the rate so far; None before the first chunk is written."""
        if self.status != JobStatus.RUNNING or not self.written or not self.started_at:
            return None
        elapsed = ((self.heartbeat or timezone.now()) - self.started_at).total_seconds()
        rate = self.written / max(elapsed, 0.001)
        return timedelta(seconds=round(max(self.total - self.written, 0) / rate))

    @property
    def minutes_left(self) -> int | None:
        """time_left in whole minutes, rounded up; 0 for less than a minute."""
        left = self.time_left
        if left is None:
            return None
        seconds = left.total_seconds()
        return 0 if seconds < 60 else math.ceil(seconds / 60)

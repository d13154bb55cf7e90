"""The CRM core: associates (our users), user groups, companies, persons and projects.

Roles ("user levels") are Django auth groups; the rights the product checks are the
custom permissions declared on Associate below and read with ``user.has_perm``.
"""

from __future__ import annotations

import functools
import secrets
import sys
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.signals import connection_created
from django.db.models import Func, Lookup, Q
from django.db.models.functions import Upper
from django.db.models.lookups import IContains, IExact, IStartsWith
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

# The rights the product checks, as "app_label.codename" for user.has_perm().
PERM_CREATE_SELECTION_TASKS = "crm.create_selection_tasks"
PERM_ASSIGN_TO_OUR_CONTACT = "crm.assign_to_our_contact"
PERM_SEE_ALL_ASSOCIATES = "crm.see_all_associates"
PERM_MANAGE_SELECTIONS = "crm.manage_selections"
PERM_SPREAD_ACROSS_GROUP = "crm.spread_across_group"


class UserGroupQuerySet(models.QuerySet):
    def usable_by(self, associate: Associate) -> UserGroupQuerySet:
        """The user groups `associate` may spread follow-ups across, by the rule of
        "Other associate": every group for a role that may see all associates; otherwise
        `associate`'s own user groups."""
        if associate.user.has_perm(PERM_SEE_ALL_ASSOCIATES):
            return self.all()
        return self.filter(pk__in=associate.group_ids())


class UserGroup(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    objects = UserGroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("user group")
        verbose_name_plural = _("user groups")

    def __str__(self) -> str:
        return self.name


def default_time_zone() -> str:
    """The site's time zone (TIME_ZONE): a new associate's until they choose another."""
    return settings.TIME_ZONE


@functools.cache
def time_zone_names() -> list[str]:
    """Every IANA time zone name zoneinfo knows, sorted."""
    return sorted(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """An IANA time zone name zoneinfo can load, such as Europe/Oslo."""
    if value not in time_zone_names():
        raise ValidationError(
            _("“%(value)s” is not a time zone; choose one such as Europe/Oslo."),
            params={"value": value},
            code="invalid_time_zone",
        )


def zone_of(name: object) -> zoneinfo.ZoneInfo:
    """The time zone of that name, or the site's for anything else (an old or tampered
    session, a name a newer tzdata dropped)."""
    if isinstance(name, str) and name in time_zone_names():
        return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class DateStyle(models.TextChoices):
    """How an associate reads dates and times (crm/dates.py holds each style's formats).

    Day first and 24-hour is the default in both languages of this Norwegian product."""

    DAY_FIRST = "dmy", _("Day first, 24-hour")
    ISO = "iso", _("ISO")
    US = "us", _("US")


class AssociateQuerySet(models.QuerySet):
    def active(self) -> AssociateQuerySet:
        return self.filter(active=True, user__is_active=True)

    def assignable_by(self, associate: Associate) -> AssociateQuerySet:
        """The associates `associate` may hand follow-ups to ("Other associate").

        Everyone active for a role that may see all associates; otherwise the active
        associates who share one of `associate`'s user groups.
        """
        qs = self.active()
        if associate.user.has_perm(PERM_SEE_ALL_ASSOCIATES):
            return qs
        groups = associate.group_ids()
        return qs.filter(Q(primary_group_id__in=groups) | Q(other_groups__in=groups)).distinct()

    def in_group(self, group: UserGroup | int) -> AssociateQuerySet:
        """The associates of one user group (primary or other) who may receive
        follow-ups: active, with an active login."""
        pk = getattr(group, "pk", group)
        members = Associate.objects.filter(Q(primary_group_id=pk) | Q(other_groups=pk))
        return self.active().filter(pk__in=members.values("pk"))


class Associate(models.Model):
    """A CRM user: one per login. Inactive associates never receive new follow-ups."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="associate"
    )
    active = models.BooleanField(_("active"), default=True)
    primary_group = models.ForeignKey(
        UserGroup,
        on_delete=models.PROTECT,
        related_name="primary_associates",
        verbose_name=_("primary user group"),
    )
    other_groups = models.ManyToManyField(
        UserGroup, blank=True, related_name="associates", verbose_name=_("other user groups")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Blank: the browser's language."),
    )
    date_style = models.CharField(
        _("date style"),
        max_length=10,
        choices=DateStyle,
        default=DateStyle.DAY_FIRST,
        help_text=_("How dates and times are shown and typed."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("Times of appointments and phone calls are typed and shown in it."),
    )
    notify_assignments = models.BooleanField(
        _("e-mail when given follow-ups"),
        default=True,
        help_text=_(
            "One e-mail when a colleague gives you follow-ups (a generation or a new owner)."
        ),
    )
    morning_digest = models.BooleanField(
        _("morning digest"),
        default=False,
        help_text=_("An e-mail each morning with your overdue follow-ups and those due today."),
    )
    # The secret part of the personal calendar feed's address (notices.feed); a new one
    # makes the old address answer 404. Blank: no feed.
    calendar_token = models.CharField(
        _("calendar token"), max_length=64, blank=True, default="", editable=False
    )

    objects = AssociateQuerySet.as_manager()

    class Meta:
        ordering = ["user__first_name", "user__last_name", "user__username"]
        verbose_name = _("associate")
        verbose_name_plural = _("associates")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar_token"],
                condition=~Q(calendar_token=""),
                name="crm_associate_unique_calendar_token",
            )
        ]
        permissions = [
            ("create_selection_tasks", _("Can create tasks for a selection")),
            ("assign_to_our_contact", _("Can assign follow-ups to a company's our contact")),
            ("see_all_associates", _("Can see all associates")),
            ("manage_selections", _("Can manage selections")),
            ("spread_across_group", _("Can spread follow-ups across a user group")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def mail_language(self) -> str:
        """The language of e-mail to this associate: their own, else the site's."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """Their time zone; the site's, should the stored name no longer load."""
        return zone_of(self.time_zone)

    def new_calendar_token(self) -> str:
        """A new secret for the calendar feed's address, saved; the old address stops
        working at once."""
        self.calendar_token = secrets.token_urlsafe(32)
        self.save(update_fields=["calendar_token"])
        return self.calendar_token

    def group_ids(self) -> list[int]:
        """The ids of every user group this associate belongs to, primary first."""
        if not hasattr(self, "_group_ids"):
            others = [g.pk for g in self.other_groups.all()]
            self._group_ids = [self.primary_group_id, *others]
        return self._group_ids


# --- Matching names case-insensitively in every language --------------------------------
#
# SQLite's upper(), lower() and LIKE fold A-Z only ("åpning" does not find "Åpning"), and
# PostgreSQL's UPPER() folds every letter. On SQLite, project suggestions run off an index
# over UNICODE_UPPER(name), Python's fold_case() registered on every connection; the
# unicode_i* lookups below compare by GLOB patterns built from the same fold_case().

SQLITE_UPPER = "UNICODE_UPPER"


def fold_case(text: str) -> str:
    """`text` upper-cased in every script ("Åpning Ørsta" gives "ÅPNING ØRSTA"), one
    character for one as PostgreSQL's UPPER() does ("ß" stays "ß"): the prefix of a
    name folds to the prefix of the name folded, and the same text folds alike in
    Python and in either database."""
    upper = text.upper()
    if len(upper) == len(text):  # no letter became two
        return upper
    return "".join(u if len(u := c.upper()) == 1 else c for c in text)


def _sqlite_upper(value):
    return None if value is None else fold_case(str(value))


@receiver(connection_created, dispatch_uid="crm.unicode_upper")
def register_unicode_upper(sender, **kwargs) -> None:
    """UNICODE_UPPER() on every SQLite connection, deterministic, so that an index can be
    built on it. A tool that opens the file without it (the sqlite3 shell) can read
    every table, but cannot write to one whose index uses it (crm_project)."""
    db = kwargs["connection"]
    if db.vendor == "sqlite":
        db.connection.create_function(SQLITE_UPPER, 1, _sqlite_upper, deterministic=True)


class UnicodeUpper(Upper):
    """UPPER() that folds every letter on both databases: PostgreSQL's own (with a
    UTF-8 LC_CTYPE, as databases are created by default); UNICODE_UPPER() on SQLite."""

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function=SQLITE_UPPER, **extra_context)


class MatchKey(Func):
    """A name as suggestions match and order it: upper-cased in every script and
    compared character by character, so that the names starting with some text are one
    range of one index (see starting_with). PostgreSQL: UPPER(name) in the "C"
    collation; SQLite: UNICODE_UPPER(name), in its default (binary) collation."""

    arity = 1
    template = '(UPPER(%(expressions)s) COLLATE "C")'

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template=f"{SQLITE_UPPER}(%(expressions)s)", **extra_context
        )


def starting_with(key: str, text: str) -> Q:
    """The rows whose `key` (a MatchKey annotation) starts with `text`, case-insensitive:
    key >= TEXT and key < the next string after every one starting with TEXT."""
    low = high = fold_case(text)
    while high:
        after = ord(high[-1]) + 1
        if 0xD800 <= after <= 0xDFFF:  # surrogates are no characters
            after = 0xE000
        if after <= sys.maxunicode:
            return Q(**{f"{key}__gte": low, f"{key}__lt": high[:-1] + chr(after)})
        high = high[:-1]
    return Q(**{f"{key}__gte": low})


# Every character that has a case folds to one below this (a test checks it).
CASED_BELOW = 0x20000


@functools.cache
def same_letter() -> dict[str, str]:
    """For each folded letter, every character that folds into it, as a GLOB class:
    {"Ø": "[Øø]", "K": "[Kk]", ...}. Built once per process (some 130,000 characters)."""
    found: dict[str, set[str]] = {}
    for i in range(CASED_BELOW):
        c = chr(i)
        folded = fold_case(c)
        if folded != c:
            found.setdefault(folded, {folded} if fold_case(folded) == folded else set()).add(c)
    return {letter: "[" + "".join(sorted(chars)) + "]" for letter, chars in found.items()}


def any_case_glob(text: str) -> str:
    """A SQLite GLOB pattern (case-sensitive) matching `text` in any case, character by
    character: "Øy*" gives "[Øø][Yy][*]". Exact: each letter may be any character that
    folds into the same letter (the dotless i as well as i and I), and nothing else."""
    classes = same_letter()
    return "".join(classes.get(c) or (f"[{c}]" if c in "*?[" else c) for c in fold_case(text))


def rough_like(text: str) -> str:
    """A LIKE pattern (which folds A-Z only) that every match of any_case_glob(text)
    matches too: "_" for each character that a letter outside ASCII may stand for ("Ø",
    and "I" and "S", which the dotless i and the long s fold into), the others as they
    are (escaped with a backslash)."""
    classes = same_letter()

    def stand_in(c: str) -> str:
        if c.isascii() and classes.get(c, c).isascii():
            return "\\" + c if c in "\\%_" else c
        return "_"

    return "".join(stand_in(c) for c in fold_case(text))


class _AnyCase(Lookup):
    """Case-insensitive in every language, on both databases.

    PostgreSQL's UPPER() folds every letter, so there these are Django's own i-lookups:
    the same SQL, served by the same indexes. On SQLite, whose LIKE folds A-Z only, the
    match is a GLOB whose every letter is a class of the characters that fold alike
    (any_case_glob), after a LIKE has ruled out most rows faster than GLOB can
    (rough_like): in C, with no function called per row.
    """

    prepare_rhs = False
    django_lookup: type[Lookup]
    like: str  # the LIKE pattern around the text
    glob: str  # the GLOB pattern around the text

    def as_sql(self, compiler, connection):
        return compiler.compile(self.django_lookup(self.lhs, self.rhs))

    def as_sqlite(self, compiler, connection):
        if hasattr(self.rhs, "resolve_expression"):
            raise TypeError(f"{self.lookup_name} compares with a text, not an expression")
        lhs, params = self.process_lhs(compiler, connection)
        text = str(self.rhs)
        return f"({lhs} LIKE %s ESCAPE '\\' AND {lhs} GLOB %s)", (
            *params,
            self.like % rough_like(text),
            *params,
            self.glob % any_case_glob(text),
        )


@models.CharField.register_lookup
@models.TextField.register_lookup
class UnicodeIExact(_AnyCase):
    lookup_name = "unicode_iexact"
    django_lookup = IExact
    like = glob = "%s"


@models.CharField.register_lookup
@models.TextField.register_lookup
class UnicodeIStartsWith(_AnyCase):
    lookup_name = "unicode_istartswith"
    django_lookup = IStartsWith
    like, glob = "%s%%", "%s*"


@models.CharField.register_lookup
@models.TextField.register_lookup
class UnicodeIContains(_AnyCase):
    lookup_name = "unicode_icontains"
    django_lookup = IContains
    like, glob = "%%%s%%", "*%s*"


class Company(models.Model):
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    our_contact = models.ForeignKey(
        Associate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="companies",
        verbose_name=_("our contact"),
        help_text=_("The associate who owns this company in the CRM."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        # Quick search: a name's start, or a city, in any case (followups.search).
        indexes = [
            models.Index(MatchKey("name"), name="crm_company_name_match"),
            models.Index(MatchKey("city"), name="crm_company_city_match"),
        ]

    def __str__(self) -> str:
        return self.name


def our_contact_of(company: Company | None, person: Person | None) -> Associate | None:
    """Whose "our contact" a row of a company and/or a person follows: a person at a
    company follows the company's our contact; a person with no company has their own.
    The same rule as a query: followed_by; in a generation's SQL: followups.rows."""
    if company is not None:
        return company.our_contact
    return person.our_contact if person is not None else None


def followed_by(contact_id: int | None) -> Q:
    """Persons whose our contact (our_contact_of) is `contact_id` (None: nobody)."""
    return Q(company__isnull=False, company__our_contact_id=contact_id) | Q(
        company__isnull=True, our_contact_id=contact_id
    )


class Person(models.Model):
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    company = models.ForeignKey(
        Company,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="persons",
        verbose_name=_("company"),
    )
    rank = models.PositiveIntegerField(
        _("rank in company"), default=1, help_text=_("1 is the company's first contact.")
    )
    our_contact = models.ForeignKey(
        Associate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="own_persons",
        verbose_name=_("our contact"),
        help_text=_("Used only for persons with no company; others follow their company."),
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            # Quick search: the start of a name or an e-mail address, in any case.
            models.Index(MatchKey("last_name"), name="crm_person_last_name_match"),
            models.Index(MatchKey("first_name"), name="crm_person_first_name_match"),
            models.Index(MatchKey("email"), name="crm_person_email_match"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def effective_our_contact(self) -> Associate | None:
        """A person at a company follows the company's our contact (our_contact_of)."""
        return our_contact_of(self.company, self)


class ProjectQuerySet(models.QuerySet):
    def active(self) -> ProjectQuerySet:
        return self.filter(active=True)

    def matching(self, text: str) -> ProjectQuerySet:
        """Projects whose name starts with `text`, case-insensitive in every language, in
        name order; a leading % means "contains" (as SuperOffice's type-ahead does).

        One index (on MatchKey, id) serves both the match and the order: a prefix is a
        range of it, and the first suggestions come straight off it with 100,000
        projects. "Contains" reads it in order until enough names match.
        """
        text = text.strip()
        contains = text.startswith("%")
        if contains:
            text = text[1:].strip()
        qs = self.annotate(match_key=MatchKey("name")).order_by("match_key", "id")
        if not text:
            return qs
        if contains:
            return qs.filter(name__unicode_icontains=text)
        return qs.filter(starting_with("match_key", text))


PROJECT_NAME_LENGTH = 200  # the longest project name, and so the longest text that finds one


class Project(models.Model):
    name = models.CharField(_("name"), max_length=PROJECT_NAME_LENGTH)
    number = models.CharField(_("number"), max_length=40, unique=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        indexes = [
            # Suggestions (ProjectQuerySet.matching): a prefix is a range of it, in the
            # order shown; "contains" reads the names off it, and the table only for a
            # name that matches.
            models.Index(MatchKey("name"), "id", "name", name="crm_project_name_match"),
        ]

    def __str__(self) -> str:
        return self.name

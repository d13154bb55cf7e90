"""The CRM core: associates (our users), user groups, companies, persons and projects.

Roles ("user levels") are Django auth groups; the rights the product checks are the
custom permissions declared on Associate below and read with ``user.has_perm``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.db.models.functions import Collate, Upper
from django.utils.translation import gettext_lazy as _

# The rights the product checks, as "app_label.codename" for user.has_perm().
PERM_CREATE_SELECTION_TASKS = "crm.create_selection_tasks"
PERM_ASSIGN_TO_OUR_CONTACT = "crm.assign_to_our_contact"
PERM_SEE_ALL_ASSOCIATES = "crm.see_all_associates"
PERM_MANAGE_SELECTIONS = "crm.manage_selections"


class UserGroup(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("user group")
        verbose_name_plural = _("user groups")

    def __str__(self) -> str:
        return self.name


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
        choices=DateStyle.choices,
        default=DateStyle.DAY_FIRST,
        help_text=_("How dates and times are shown and typed."),
    )

    objects = AssociateQuerySet.as_manager()

    class Meta:
        ordering = ["user__first_name", "user__last_name", "user__username"]
        verbose_name = _("associate")
        verbose_name_plural = _("associates")
        permissions = [
            ("create_selection_tasks", _("Can create tasks for a selection")),
            ("assign_to_our_contact", _("Can assign follow-ups to a company's our contact")),
            ("see_all_associates", _("Can see all associates")),
            ("manage_selections", _("Can manage selections")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def group_ids(self) -> list[int]:
        """The ids of every user group this associate belongs to, primary first."""
        if not hasattr(self, "_group_ids"):
            others = [g.pk for g in self.other_groups.all()]
            self._group_ids = [self.primary_group_id, *others]
        return self._group_ids


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
        indexes = [models.Index(Upper("name"), name="crm_company_upper_name")]

    def __str__(self) -> str:
        return self.name


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
            models.Index(Upper("last_name"), name="crm_person_upper_last"),
            models.Index(Upper("first_name"), name="crm_person_upper_first"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def effective_our_contact(self) -> Associate | None:
        """A person at a company follows the company's our contact."""
        if self.company_id is not None:
            return self.company.our_contact
        return self.our_contact


class ProjectQuerySet(models.QuerySet):
    def active(self) -> ProjectQuerySet:
        return self.filter(active=True)

    def matching(self, text: str) -> ProjectQuerySet:
        """Projects whose name starts with `text`, case-insensitive, in name order; a
        leading % means "contains" (as SuperOffice's type-ahead does).

        Written so that one index serves both the match and the order, and the first
        suggestions come straight off it with 100,000 projects: on PostgreSQL the
        upper-cased name in the "C" collation (LIKE 'AB%' becomes a range scan), on
        SQLite the name in NOCASE (its LIKE is case-insensitive already).
        """
        text = text.strip()
        contains = text.startswith("%")
        if contains:
            text = text[1:].strip()
        if connection.vendor == "postgresql":
            qs = self.annotate(match_key=Collate(Upper("name"), "C"))
            lookup = "match_key__contains" if contains else "match_key__startswith"
            return qs.filter(**{lookup: text.upper()}).order_by("match_key", "id")
        lookup = "name__icontains" if contains else "name__istartswith"
        return self.filter(**{lookup: text}).order_by(Collate("name", "NOCASE"), "id")


class Project(models.Model):
    name = models.CharField(_("name"), max_length=200)
    number = models.CharField(_("number"), max_length=40, unique=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        # The index for name suggestions depends on the database: migration 0004.

    def __str__(self) -> str:
        return self.name

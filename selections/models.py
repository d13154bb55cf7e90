"""Selections: named, static lists of companies and persons that tasks run on."""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import Associate, Company, Person, our_contact_of

DESCRIPTION_MAX_LENGTH = 2000


# The most members a "show all" page of a selection holds, and so the most a user can
# tick for a task (they tick members on the page they see).
SHOW_ALL_LIMIT = 5000


class Visibility(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    GROUP = "group", _("Owner's user group")
    OWNER = "owner", _("Owner only")


class SelectionQuerySet(models.QuerySet):
    def visible_to(self, associate: Associate) -> SelectionQuerySet:
        """The one rule for which selections an associate may see and run tasks on."""
        return self.filter(
            Q(visibility=Visibility.EVERYONE)
            | Q(owner=associate)
            | Q(visibility=Visibility.GROUP, owner__primary_group_id__in=associate.group_ids())
        )


class Selection(models.Model):
    class Kind(models.TextChoices):
        STATIC = "static", _("Static: members added by hand")
        DYNAMIC = "dynamic", _("Dynamic: saved criteria, evaluated when used")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STATIC)
    owner = models.ForeignKey(
        Associate, on_delete=models.PROTECT, related_name="selections", verbose_name=_("owner")
    )
    visibility = models.CharField(
        _("visible for"), max_length=10, choices=Visibility, default=Visibility.EVERYONE
    )
    description = models.TextField(
        _("description"), blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)]
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = SelectionQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("selection")
        verbose_name_plural = _("selections")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("selections:detail", args=[self.pk])

    @property
    def is_dynamic(self) -> bool:
        return self.kind == self.Kind.DYNAMIC


class SelectionMember(models.Model):
    """One row of a selection: a company, a person at a company, or a person with none.

    `company` is the person's company at the time it was added (null for a person with
    no company). The insertion order is the primary key: members get increasing ids as
    they are added, so "the member added first" is the lowest id.
    """

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="members")
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("selection member")
        verbose_name_plural = _("selection members")
        constraints = [
            models.CheckConstraint(
                condition=Q(company__isnull=False) | Q(person__isnull=False),
                name="selections_member_company_or_person",
            ),
            models.UniqueConstraint(
                fields=["selection", "person"],
                condition=Q(person__isnull=False),
                name="selections_member_unique_person",
            ),
            models.UniqueConstraint(
                fields=["selection", "company"],
                condition=Q(person__isnull=True),
                name="selections_member_unique_company_only",
            ),
        ]
        indexes = [models.Index(fields=["selection", "company", "id"])]

    def __str__(self) -> str:
        if self.person_id and self.company_id:
            return f"{self.person} ({self.company})"
        return str(self.person or self.company)

    @property
    def our_contact(self) -> Associate | None:
        """Whose follow-ups this member's are, by "our contact" (crm.models.our_contact_of)."""
        return our_contact_of(self.company, self.person)


class Criterion(models.Model):
    """One condition of a dynamic selection; a selection's criteria are ANDed."""

    # An our-contact criterion's associate by name, set by the selection page to show it.
    contact_name: str

    class Field(models.TextChoices):
        COMPANY_NAME_STARTS = "company_name_starts", _("Company name starts with")
        COMPANY_NAME_CONTAINS = "company_name_contains", _("Company name contains")
        CITY = "city", _("City is")
        CATEGORY = "category", _("Category is")
        OUR_CONTACT = "our_contact", _("Our contact is")
        COMPANY_ACTIVE = "company_active", _("Company is active")
        PERSON_HAS_EMAIL = "person_has_email", _("Person has an e-mail address")
        PERSON_RANK_AT_MOST = "person_rank_at_most", _("Person's rank in the company is at most")

    # Criteria on persons: with any of these, companies with no matching person drop out.
    PERSON_FIELDS = {Field.PERSON_HAS_EMAIL, Field.PERSON_RANK_AT_MOST}

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="criteria")
    field = models.CharField(_("criterion"), max_length=30, choices=Field.choices)
    value = models.CharField(_("value"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.value}".strip()

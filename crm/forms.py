"""Forms of the CRM core: an associate's own settings, and two administration forms (the
rights of each user level; a new associate with login, user level and user groups)."""

from __future__ import annotations

from datetime import datetime
from functools import reduce
from operator import or_
from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.template import defaultfilters
from django.utils.translation import gettext_lazy as _

from . import dates
from .models import Associate, DateStyle, UserGroup, default_time_zone, time_zone_names

# An example that tells day and month apart, and shows the clock: 1 December, 19:49.
EXAMPLE = datetime(2026, 12, 1, 19, 49)


# Settings ------------------------------------------------------------------------------


def _style_label(style: DateStyle) -> str:
    with dates.activate(style):
        example = defaultfilters.date(EXAMPLE, dates.get_format("SHORT_DATETIME_FORMAT"))
    return f"{style.label} ({example})"


class PreferencesForm(forms.ModelForm):
    """An associate's own settings: language, date style, and which e-mail they get."""

    class Meta:
        model = Associate
        fields = ["language", "date_style", "time_zone", "notify_assignments", "morning_digest"]
        widgets = {"date_style": forms.RadioSelect, "time_zone": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            ("", _("The browser's language")),
            *settings.LANGUAGES,
        ]
        self.fields["language"].help_text = ""
        cast(forms.ChoiceField, self.fields["date_style"]).choices = [
            (s.value, _style_label(s)) for s in DateStyle
        ]
        # A list of every IANA name; the model's validator refuses anything else.
        time_zone = self.fields["time_zone"]
        time_zone.widget.choices = [(name, name.replace("_", " ")) for name in time_zone_names()]
        time_zone.required = False  # not sent: kept as it is

    def clean_time_zone(self) -> str:
        return self.cleaned_data["time_zone"] or self.instance.time_zone or default_time_zone()


# User levels ---------------------------------------------------------------------------

# The rights the product checks, in the order of Associate.Meta.permissions, with what
# each of them opens.
RIGHTS: list[tuple[str, str]] = list(Associate._meta.permissions)
RIGHT_HINTS = {
    "create_selection_tasks": _(
        "The Task menu of a selection: Create follow-ups. Without it the menu is not shown."
    ),
    "assign_to_our_contact": _(
        "The owner choice “Company owner's (our contact's) activity list” in Create follow-ups."
    ),
    "see_all_associates": _(
        "“Other associate” lists every active associate, not only those who share a user group."
    ),
    "manage_selections": _(
        "New selections; adding and removing members and criteria; freezing (own selections only)."
    ),
    "spread_across_group": _(
        "The owner choice “Spread across a user group” in Create follow-ups (the groups that"
        " “Other associate” allows)."
    ),
}


def rights() -> QuerySet[Permission]:
    """The permissions behind RIGHTS."""
    return Permission.objects.filter(
        content_type=ContentType.objects.get_for_model(Associate),
        codename__in=[codename for codename, _label in RIGHTS],
    )


def user_levels() -> QuerySet[Group]:
    """Every user level (auth group) by name, with its number of users and its rights."""
    return (
        Group.objects.order_by("name")
        .annotate(user_count=Count("user"))
        .prefetch_related(Prefetch("permissions", queryset=rights(), to_attr="rights"))
    )


class UserLevelsForm(forms.Form):
    """The rights of every user level, a row of checkboxes each.

    Only what the administrator changed on the page is saved: each level carries the
    rights it had when the page was shown, and a save adds the rights ticked since and
    removes those unticked since. Its other permissions, and a change another
    administrator saved meanwhile to a right not touched here, stay as they are.
    """

    def __init__(self, *args, groups: list[Group], **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = groups
        for group in groups:
            # rights: prefetched by user_levels() (to_attr), unknown to the model's type.
            had = [permission.codename for permission in group.rights]  # type: ignore[attr-defined]
            self.fields[f"rights_{group.pk}"] = forms.MultipleChoiceField(
                label=_("Rights"),
                choices=RIGHTS,
                widget=forms.CheckboxSelectMultiple,
                required=False,
                initial=had,
            )
            self.fields[f"shown_{group.pk}"] = forms.MultipleChoiceField(
                choices=RIGHTS, widget=forms.MultipleHiddenInput, required=False, initial=had
            )

    def changes(self) -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
        """(group id, codename) pairs to add and to remove."""
        added, removed = set(), set()
        for group in self.groups:
            now = set(self.cleaned_data[f"rights_{group.pk}"])
            shown = set(self.cleaned_data[f"shown_{group.pk}"])
            added |= {(group.pk, codename) for codename in now - shown}
            removed |= {(group.pk, codename) for codename in shown - now}
        return added, removed

    def save(self) -> list[Group]:
        """Add and remove the changed rights in one transaction, set-based; returns the
        user levels that changed."""
        added, removed = self.changes()
        changed = {group_id for group_id, _codename in added | removed}
        if not changed:
            return []
        permission_ids = dict(rights().values_list("codename", "pk"))
        through = Group.permissions.through
        with transaction.atomic():
            # A user level deleted since the page was shown is left out.
            existing = set(
                Group.objects.select_for_update()
                .filter(pk__in=changed)
                .values_list("pk", flat=True)
            )
            through.objects.bulk_create(
                [
                    through(group_id=group_id, permission_id=permission_ids[codename])
                    for group_id, codename in added
                    if group_id in existing
                ],
                ignore_conflicts=True,
            )
            gone = [
                Q(group_id=group_id, permission_id=permission_ids[codename])
                for group_id, codename in removed
                if group_id in existing
            ]
            if gone:
                through.objects.filter(reduce(or_, gone)).delete()
        return [group for group in self.groups if group.pk in existing]


# New associate -------------------------------------------------------------------------


class NewAssociateForm(UserCreationForm):
    """A new login and its associate in one form: username, name, e-mail, password (with
    the site's password validators), user level and user groups."""

    role = forms.ModelChoiceField(
        label=_("User level"),
        queryset=Group.objects.order_by("name"),
        help_text=_("The role whose rights the associate gets."),
        error_messages={"required": _("Choose a user level.")},
    )
    primary_group = forms.ModelChoiceField(
        label=_("Primary user group"),
        queryset=UserGroup.objects.all(),
        error_messages={"required": _("Choose the primary user group.")},
    )
    other_groups = forms.ModelMultipleChoiceField(
        label=_("Other user groups"),
        queryset=UserGroup.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]  # absent from the stubs
        model = get_user_model()
        fields = ("username", "first_name", "last_name", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Another login already has this e-mail address."))
        return email

    def save(self, commit: bool = True) -> Associate:
        """The login, its user level, the associate and its user groups, all or none."""
        primary = self.cleaned_data["primary_group"]
        with transaction.atomic():
            user = super().save()
            user.groups.add(self.cleaned_data["role"])
            associate = Associate.objects.create(user=user, primary_group=primary)
            associate.other_groups.set(
                [group for group in self.cleaned_data["other_groups"] if group != primary]
            )
        return associate

"""The Generate follow-ups dialog's form: validates and normalises every field, and
checks every id from the browser against what this associate may use."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.dates import StyleDateField, hours_minutes
from crm.models import (
    PERM_ASSIGN_TO_OUR_CONTACT,
    PERM_SPREAD_ACROSS_GROUP,
    PROJECT_NAME_LENGTH,
    Associate,
    Company,
    Person,
    Project,
    UserGroup,
)
from crm.workdays import working_days_after
from selections import dynamic
from selections.models import SHOW_ALL_LIMIT, Selection

from .models import (
    DESCRIPTION_MAX_LENGTH,
    EARLIEST_START,
    LATEST_START,
    MAX_DURATION,
    MAX_SPREAD_DAYS,
    TIMED_KINDS,
    FollowUp,
    FollowUpType,
    OwnerMode,
    Priority,
    SpreadMethod,
    check_timing,
    timed_start,
)
from .rows import NO_CRITERIA_MESSAGE, NO_ONE_IN_GROUP_MESSAGE, Scope, Settings, spread_dates

MAX_SELECTED_MEMBERS = SHOW_ALL_LIMIT  # a user ticks members on the page they see
MAX_WORKING_DAYS = 250  # about a year


def find_projects(text: str):
    """Active projects matching what the user typed: the whole name or its start,
    case-insensitive; a leading % means "contains" (as SuperOffice's type-ahead)."""
    return Project.objects.active().matching(text)


def check_start_date(value: date) -> date:
    if not EARLIEST_START <= value <= LATEST_START:
        raise ValidationError(
            _("Choose a start date between %(first)s and %(last)s."),
            params={"first": EARLIEST_START.year, "last": LATEST_START.year},
        )
    return value


class DescriptionField(forms.CharField):
    """A description as the person sees it: a line break is one character (a browser
    sends each one as CR LF), so its length is what the dialog's counter shows."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n")

    def widget_attrs(self, widget):
        # No maxlength: a longer paste would be cut short without a word. The counter
        # under the field shows the excess, and Save answers with the error.
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


def resolve_project(
    text: str | None, picked: str | None, current: Project | None = None
) -> Project | None:
    """The project the Project combobox names: `current` (what the follow-up has) while
    the text still names it, even if deactivated since; the one picked from the list if
    the text still names it; otherwise the one active project the typed text matches (an
    exact name wins over names that merely start with it). Raises ValidationError
    otherwise."""
    text = (text or "").strip()
    picked = (picked or "").strip()
    if not text:
        return None
    if current is not None and text.casefold() == current.name.casefold():
        return current
    if picked.isascii() and picked.isdigit():
        project = Project.objects.active().filter(pk=picked).first()
        if project is not None and project.name.casefold() == text.casefold():
            return project
    matches = find_projects(text)
    if not text.startswith("%"):
        exact = list(matches.filter(name__unicode_iexact=text)[:2])
        if len(exact) == 1:
            return exact[0]
    found = list(matches[:2])
    if not found:
        raise ValidationError(_("No active project matches “%(text)s”."), params={"text": text})
    if len(found) > 1:
        count = matches.count()
        raise ValidationError(
            ngettext(
                "%(n)s project matches “%(text)s”; pick one from the list.",
                "%(n)s projects match “%(text)s”; pick one from the list.",
                count,
            ),
            params={"n": number_format(count, force_grouping=True), "text": text},
        )
    return found[0]


def format_ids(ids: Iterable[int]) -> str:
    """Ids as sorted ranges of consecutive ids: [3, 4, 5, 9, 11, 12] gives "3-5,9,11-12"."""
    runs: list[list[int]] = []
    for i in sorted(set(ids)):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ",".join(str(first) if first == last else f"{first}-{last}" for first, last in runs)


class MemberIdsInput(forms.HiddenInput):
    """One hidden input holding the ids as ranges ("12-511,530"). It reads every value
    of its name, so the list's checkboxes, one id each, are read too (a browser without
    JavaScript sends them so)."""

    def value_from_datadict(self, data, files, name):
        getlist = getattr(data, "getlist", None)
        return getlist(name) if getlist is not None else data.get(name)


class MemberIdsField(forms.Field):
    """The ticked members' ids: values of ids and ranges of ids ("12-511,530,540-600"),
    normalised to a sorted list without repeats, at most `max_count` of them. Whether
    they are members of the selection is checked in the form's clean()."""

    widget = MemberIdsInput
    default_error_messages = {
        "invalid": _("The ticked members could not be read; reload the page."),
        "too_many": _("Tick at most %(max)s members, or run the task on the whole selection."),
    }
    LARGEST_ID = 2**63 - 1  # a bigint

    def __init__(self, *, max_count: int = MAX_SELECTED_MEMBERS, **kwargs):
        self.max_count = max_count
        super().__init__(**kwargs)

    def to_python(self, value) -> list[int]:
        if value is None:
            return []
        texts = [text for text in (str(v).strip() for v in self._values(value)) if text]
        # Each part names at least one id, so more parts than that is too many: counted
        # before anything is split or expanded ("1-10000000" is never expanded).
        if sum(text.count(",") + 1 for text in texts) > self.max_count:
            raise self._too_many()
        runs = sorted(self._run(part) for text in texts for part in text.split(","))
        merged: list[list[int]] = []
        for first, last in runs:
            if merged and first <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        if sum(last - first + 1 for first, last in merged) > self.max_count:
            raise self._too_many()
        return [i for first, last in merged for i in range(first, last + 1)]

    def prepare_value(self, value) -> str:
        """The hidden input's value: the ids as ranges, or as sent if they cannot be read
        (the error then says so)."""
        try:
            return format_ids(self.to_python(value))
        except ValidationError:
            return ",".join(str(v) for v in self._values(value))

    @staticmethod
    def _values(value) -> list:
        return list(value) if isinstance(value, list | tuple) else [value]

    def _run(self, part: str) -> tuple[int, int]:
        first, dash, last = part.partition("-")
        start = self._id(first)
        end = self._id(last) if dash else start
        if start > end:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return start, end

    def _id(self, text: str) -> int:
        text = text.strip()
        if text.isascii() and text.isdigit() and len(text) <= 19:
            value = int(text)
            if 1 <= value <= self.LARGEST_ID:
                return value
        raise ValidationError(self.error_messages["invalid"], code="invalid")

    def _too_many(self) -> ValidationError:
        return ValidationError(
            self.error_messages["too_many"],
            code="too_many",
            params={"max": number_format(self.max_count, force_grouping=True)},
        )


class ProjectCombobox(forms.TextInput):
    """The Project combobox: a text input whose list of active projects the server fills
    as the user types (views.project_options; static/js/app.js does the keys). The id
    picked from the list goes into the form's hidden `project` input."""

    template_name = "followups/widgets/project_combobox.html"

    def __init__(self, attrs=None):
        super().__init__(
            {
                "autocomplete": "off",
                "spellcheck": "false",
                "role": "combobox",
                "aria-autocomplete": "list",
                "aria-expanded": "false",
                "placeholder": _("Type the start of the name"),
                "hx-trigger": "input changed delay:150ms, combobox:open",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                **(attrs or {}),
            }
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        listbox = "project-listbox"  # one per page; the options' next page names it
        widget["listbox"] = listbox
        widget["attrs"].update(
            {
                "aria-controls": listbox,
                "hx-get": reverse("followups:project_options"),
                "hx-target": f"#{listbox}",
                "hx-params": name,
            }
        )
        return context


class ProjectField(forms.CharField):
    """The Project combobox's text (the form's clean() resolves it to a project)."""

    widget = ProjectCombobox

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Project"),
            required=False,
            max_length=PROJECT_NAME_LENGTH,
            help_text=_("Optional. Start with % to find names that contain the text."),
            error_messages={"max_length": _("No project has a name that long.")},
            **kwargs,
        )


# Fields more than one form declares (each form gets its own copy).
START_DATE = StyleDateField(
    label=_("Start"), error_messages={"required": _("Enter the start date.")}
)
COMPLETED = forms.BooleanField(label=_("Completed"), required=False)


class PickedIdField(forms.CharField):
    """The id picked from the combobox's list, in a hidden input: anything but an id is
    no pick (the text then decides), never an error nobody could see."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value) -> str:
        text = str(value or "").strip()
        return text if text.isascii() and text.isdigit() and len(text) < 19 else ""


class TypeSelect(forms.Select):
    """The follow-up types, each option saying whether its kind has a time of day
    (data-timed): the form shows Start time and Duration only for those (static/js/app.js,
    select[data-kind-select])."""

    def __init__(self, attrs=None):
        super().__init__({"data-kind-select": True, **(attrs or {})})

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None and instance.kind in TIMED_KINDS:
            option["attrs"]["data-timed"] = True
        return option


class TimeInput(forms.TimeInput):
    """A time of day as text, 24-hour (a browser's own time field shows 12-hour clocks
    in an English browser, whatever the page's language)."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(
            {"autocomplete": "off", "size": 6, "data-time-field": True, **(attrs or {})},
            format="%H:%M",
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("placeholder", str(_("hh:mm")))
        return context


class DurationInput(forms.TextInput):
    """A duration as hours and minutes (1:30)."""

    def __init__(self, attrs=None):
        super().__init__(
            {"autocomplete": "off", "size": 6, "data-time-field": True, **(attrs or {})}
        )

    def format_value(self, value):
        return hours_minutes(value) if isinstance(value, timedelta) else value


class DurationMinutesField(forms.Field):
    """A duration typed as minutes (45) or hours and minutes (1:30, 1.30), more than
    nothing and at most MAX_DURATION."""

    widget = DurationInput
    default_error_messages = {
        "invalid": _("Enter the duration in minutes (45) or hours and minutes (1:30)."),
        "range": _("Enter a duration of more than 0 minutes and at most 24 hours."),
    }
    PATTERN = re.compile(r"^(?:(?P<minutes>\d{1,4})|(?P<h>\d{1,2})[:.](?P<m>[0-5]\d))$")

    def to_python(self, value) -> timedelta | None:
        if isinstance(value, timedelta):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        if text.startswith("-"):
            raise ValidationError(self.error_messages["range"], code="range")
        found = self.PATTERN.match(text)
        if found is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if found["minutes"] is not None:
            return timedelta(minutes=int(found["minutes"]))
        return timedelta(hours=int(found["h"]), minutes=int(found["m"]))

    def validate(self, value):
        super().validate(value)
        if value is not None and not timedelta(0) < value <= MAX_DURATION:
            raise ValidationError(self.error_messages["range"], code="range")


class FollowUpFields(forms.Form):
    """The fields of a follow-up as a person fills them in, with their rules, for every
    form that writes follow-ups: the Generate follow-ups dialog, a new follow-up, an
    edit (and, for the messages and limits, Django admin)."""

    type = forms.ModelChoiceField(
        label=_("Type"),
        queryset=FollowUpType.objects.active(),
        empty_label=None,
        widget=TypeSelect,
        error_messages={
            "required": _("Choose a follow-up type."),
            "invalid_choice": _("That follow-up type is no longer available; choose another."),
        },
    )
    start_date = START_DATE
    # Only for the kinds with a time of day (TIMED_KINDS); read in the associate's time
    # zone (the request's, crm.dates.TimeZoneMiddleware). clean() gives start_at.
    start_time = forms.TimeField(
        label=_("Start time"),
        required=False,
        widget=TimeInput,
        input_formats=["%H:%M", "%H.%M", "%H:%M:%S"],
        help_text=_("Optional, for appointments and phone calls: 24-hour, such as 10:30."),
        error_messages={"invalid": _("Enter a time of day from 00:00 to 23:59, such as 10:30.")},
    )
    duration = DurationMinutesField(
        label=_("Duration"),
        required=False,
        help_text=_("Optional: minutes (45) or hours and minutes (1:30)."),
    )
    description = DescriptionField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=DESCRIPTION_MAX_LENGTH,
        error_messages={
            "required": _("Describe the follow-up."),
            "max_length": _(
                "Keep the description to %(limit_value)s characters (it has %(show_value)s)."
            ),
        },
    )
    project_text = ProjectField()
    project = PickedIdField()
    priority = forms.ModelChoiceField(
        label=_("Priority"),
        queryset=Priority.objects.active(),
        required=False,
        empty_label="",
        error_messages={
            "invalid_choice": _("That priority is no longer available; choose another.")
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].help_text = _(
            "At most %(n)s characters. Lists show the first line."
        ) % {"n": number_format(DESCRIPTION_MAX_LENGTH, force_grouping=True)}

    def clean_start_date(self):
        return check_start_date(self.cleaned_data["start_date"])

    def description_length(self) -> int:
        """The description's characters as it would be saved (ends trimmed), where the
        counter under the field starts."""
        field = cast(forms.CharField, self.fields["description"])
        return len(field.to_python(self["description"].value()) or "")

    def current_project(self) -> Project | None:
        """The project the follow-up has now, kept while its name is unchanged."""
        return None

    def clean_timing(self) -> None:
        """Start time and duration: only for a type whose kind has a time; a duration
        needs a time; the time is read in the request's time zone, on the start date
        (cleaned_data["start_at"], None without a time)."""
        data = self.cleaned_data
        data["start_at"] = None
        if "start_time" not in self.fields:
            return
        at, duration, type_ = data.get("start_time"), data.get("duration"), data.get("type")
        if type_ is not None and type_.kind not in TIMED_KINDS:
            if at is not None:
                self.add_error(
                    "start_time",
                    _(
                        "Only appointments and phone calls have a start time; clear it for a %(type)s."
                    )
                    % {"type": type_.display_name},
                )
            if duration is not None:
                self.add_error(
                    "duration",
                    _("Only appointments and phone calls have a duration; clear it for a %(type)s.")
                    % {"type": type_.display_name},
                )
            return
        if duration is not None and at is None and "start_time" not in self.errors:
            self.add_error("duration", _("Enter a start time for the duration, or clear it."))
        day = data.get("start_date")
        if at is not None and day is not None and "start_date" not in self.errors:
            try:
                data["start_at"] = timed_start(day, at, timezone.get_current_timezone())
            except ValidationError as error:
                self.add_error("start_time", error)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        self.clean_timing()
        picked = data.get("project")  # the id picked from the list, if any
        data["project"] = None
        if "project_text" not in self.errors:
            try:
                data["project"] = resolve_project(
                    data.get("project_text"), picked, self.current_project()
                )
            except ValidationError as error:
                self.add_error("project_text", error)
        return data


class ScopeForm(forms.Form):
    """For whom the dialog's follow-ups are: the owner choice, one per company, the ticked
    members; checked against what this associate may use. What the preview binds."""

    owner_mode = forms.ChoiceField(
        label=_("Owner"),
        choices=OwnerMode.choices,
        initial=OwnerMode.MINE,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whose activity list the follow-ups go to.")},
    )
    owner_associate = forms.ModelChoiceField(
        label=_("Associate"),
        queryset=Associate.objects.none(),
        required=False,
        empty_label="",
        error_messages={"invalid_choice": _("You cannot assign follow-ups to that associate.")},
    )
    owner_group = forms.ModelChoiceField(
        label=_("User group"),
        queryset=UserGroup.objects.none(),
        required=False,
        empty_label="",
        error_messages={
            "invalid_choice": _("You cannot spread follow-ups across that user group.")
        },
    )
    spread_method = forms.ChoiceField(
        label=_("Share them"),
        choices=SpreadMethod.choices,
        initial=SpreadMethod.EVENLY,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose evenly or by open load.")},
    )
    one_per_company = forms.BooleanField(
        label=_("Create only one follow-up per company"), required=False
    )
    selected_only = forms.BooleanField(
        label=_("Perform task on selected members only"), required=False
    )
    members = MemberIdsField(required=False)

    def __init__(self, *args, selection: Selection, associate: Associate, **kwargs):
        super().__init__(*args, **kwargs)
        self.selection = selection
        self.associate = associate
        cast(forms.ModelChoiceField, self.fields["owner_associate"]).queryset = (
            Associate.objects.assignable_by(associate)
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "id")
        )
        cast(
            forms.ModelChoiceField, self.fields["owner_group"]
        ).queryset = UserGroup.objects.usable_by(associate).order_by("name", "id")

    @property
    def may_assign_to_our_contact(self) -> bool:
        return self.associate.user.has_perm(PERM_ASSIGN_TO_OUR_CONTACT)

    @property
    def may_spread_across_group(self) -> bool:
        return self.associate.user.has_perm(PERM_SPREAD_ACROSS_GROUP)

    def clean_owner_mode(self):
        value = self.cleaned_data["owner_mode"]
        if value == OwnerMode.OUR_CONTACT and not self.may_assign_to_our_contact:
            raise ValidationError(
                _("Your role does not allow assigning follow-ups to the companies' our contacts.")
            )
        if value == OwnerMode.GROUP and not self.may_spread_across_group:
            raise ValidationError(
                _("Your role does not allow spreading follow-ups across a user group.")
            )
        return value

    def clean_spread_method(self):
        return self.cleaned_data["spread_method"] or SpreadMethod.EVENLY

    def ticked_count(self) -> int:
        """How many members are ticked (none, if their ids cannot be read)."""
        try:
            members = cast(MemberIdsField, self.fields["members"])
            return len(members.to_python(self["members"].value()))
        except ValidationError:
            return 0

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if (
            data.get("owner_mode") == OwnerMode.OTHER
            and not data.get("owner_associate")
            and "owner_associate" not in self.errors
        ):
            self.add_error("owner_associate", _("Choose the associate to assign them to."))
        if data.get("owner_mode") == OwnerMode.GROUP and "owner_group" not in self.errors:
            group = data.get("owner_group")
            if group is None:
                self.add_error("owner_group", _("Choose the user group to spread them across."))
            elif not Associate.objects.in_group(group).exists():
                self.add_error("owner_group", NO_ONE_IN_GROUP_MESSAGE)
        if data.get("selected_only") and self.selection.is_dynamic:
            self.add_error(
                "members",
                _(
                    "A dynamic selection has no members to tick; freeze it first, or run the task on all of it."
                ),
            )
        elif data.get("selected_only"):
            ids = data.get("members")
            if ids == []:
                self.add_error(
                    "members",
                    _(
                        "Tick at least one member in the list, or create follow-ups for all members."
                    ),
                )
            elif ids:
                found = self.selection.members.filter(pk__in=ids).count()
                if found != len(ids):
                    self.add_error(
                        "members",
                        ngettext(
                            "%(n)d ticked member is no longer in this selection; reload the page.",
                            "%(n)d ticked members are no longer in this selection; reload the page.",
                            len(ids) - found,
                        )
                        % {"n": len(ids) - found},
                    )
        elif self.selection.is_dynamic and not self.selection.criteria.exists():
            raise ValidationError(NO_CRITERIA_MESSAGE)
        elif not dynamic.has_rows(self.selection, self.associate):
            raise ValidationError(
                _("This selection has no members, so there is nothing to create.")
            )
        return data

    def scope(self) -> Scope:
        data = self.cleaned_data
        return Scope(
            owner_mode=data["owner_mode"],
            owner_associate=data["owner_associate"],
            owner_group=data["owner_group"],
            spread_method=data["spread_method"],
            one_per_company=data["one_per_company"],
            member_ids=data["members"] if data["selected_only"] else None,
        )

    def preview_scope(self) -> Scope | None:
        """The scope the preview counts, once its fields are valid (the rest of the
        dialog may not be yet)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        if any(name in self.errors for name in (*ScopeForm.base_fields, "__all__")):
            return None
        return self.scope()


class StartFields(forms.Form):
    """The start as the dialog asks for it: a date, or "in N working days" from today
    (which then wins), and optionally spread over N working days."""

    start_date = START_DATE
    start_in_days = forms.IntegerField(
        label=_("or in working days"),
        required=False,
        min_value=0,
        max_value=MAX_WORKING_DAYS,
        help_text=_(
            "Counted from today; weekends and public holidays are skipped. Start then shows the date."
        ),
        widget=forms.NumberInput(attrs={"data-working-days": "", "inputmode": "numeric"}),
        error_messages={
            "invalid": _("Enter a whole number of working days, such as 3."),
            "min_value": _("Enter 0 or more working days."),
            "max_value": _("Enter at most %(limit_value)s working days."),
        },
    )
    spread_days = forms.IntegerField(
        label=_("Spread the start over"),
        required=False,
        min_value=1,
        max_value=MAX_SPREAD_DAYS,
        help_text=_(
            "Optional. Each owner's follow-ups start on the working days from Start on, in turn, instead of all on one day."
        ),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": _("Enter a whole number of working days, such as 5."),
            "min_value": _("Spread the start over 1 working day or more."),
            "max_value": _("Spread the start over at most %(limit_value)s working days."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = timezone.localdate

    def clean_start_date(self):
        return check_start_date(self.cleaned_data["start_date"])

    def working_start(self) -> date | None:
        """The start "in N working days" from today, when that field is filled in and
        valid (it then wins over Start)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        days = self.cleaned_data.get("start_in_days")
        if days is None:
            return None
        return working_days_after(timezone.localdate(), days)

    def spread_dates(self) -> list[date] | None:
        """The working days the start is spread over, when that field is filled in and
        valid, and Start is."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        start = self.cleaned_data.get("start_date")
        if start is None or "start_date" in self.errors:
            return None
        return spread_dates(start, self.cleaned_data.get("spread_days"))

    def clean(self):
        super().clean()
        data = self.cleaned_data
        working = self.working_start()
        if working is not None:
            self.errors.pop("start_date", None)
            data["start_date"] = check_start_date(working)
        return data


class PreviewForm(ScopeForm, StartFields):
    """What the dialog's live preview reads: the scope it counts, the start it shows,
    and Completed (completed follow-ups leave a spread's open loads as they are)."""

    completed = COMPLETED


class GenerateFollowUpsForm(PreviewForm, FollowUpFields):
    """The Generate follow-ups dialog: a follow-up's fields, the start, the scope, and the
    one-time key; every id from the browser checked against what this associate may
    use. Its answer is settings() and scope()."""

    key = forms.UUIDField(
        widget=forms.HiddenInput,
        initial=uuid.uuid4,
        error_messages={
            "required": _("This dialog is out of date: close it and open it again."),
            "invalid": _("This dialog is out of date: close it and open it again."),
        },
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        # The time on the start as "in N working days" may have moved it (StartFields).
        at, day = data.get("start_time"), data.get("start_date")
        if at is not None and day is not None and "start_time" not in self.errors:
            try:
                timed_start(day, at, timezone.get_current_timezone())
            except ValidationError as error:
                self.add_error("start_time", error)
        return data

    def settings(self) -> Settings:
        data = self.cleaned_data
        timed = data.get("start_at") is not None
        return Settings(
            type=data["type"],
            start_date=data["start_date"],
            description=data["description"],
            project=data["project"],
            priority=data["priority"],
            completed=data["completed"],
            spread_days=data.get("spread_days"),
            start_time=data["start_time"] if timed else None,
            duration=data.get("duration") if timed else None,
            time_zone=timezone.get_current_timezone_name() if timed else "",
        )


def with_current(allowed: QuerySet, current_pk: int | None) -> QuerySet:
    """The choices `allowed`, plus the value a saved row already has: a follow-up may
    keep a type, priority, owner or project that has been deactivated since, as long as
    it is unchanged, but never be given one."""
    return allowed.model.objects.filter(Q(pk__in=allowed.values("pk")) | Q(pk=current_pk))


class FollowUpRulesForm(forms.ModelForm):
    """The rules of every form that writes one follow-up, in the app and in admin: an
    active type and priority, an owner from owner_choices(), a start date within the
    dialog's range, a description of at most DESCRIPTION_MAX_LENGTH characters that is
    not blank, with FollowUpFields' labels and messages. What the follow-up already has
    is kept if unchanged (with_current)."""

    def owner_choices(self) -> QuerySet:
        """Who may own the follow-up: those who may receive follow-ups."""
        return Associate.objects.active()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        followup = self.instance
        shared = FollowUpFields.base_fields
        for name in ("type", "start_date", "description", "priority"):
            self.fields[name].error_messages.update(shared[name].error_messages)
            self.fields[name].label = shared[name].label
        type_ = cast(forms.ModelChoiceField, self.fields["type"])
        type_.queryset = with_current(FollowUpType.objects.active(), followup.type_id).order_by(
            "rank", "name"
        )
        type_.empty_label = None
        priority = cast(forms.ModelChoiceField, self.fields["priority"])
        priority.queryset = with_current(Priority.objects.active(), followup.priority_id).order_by(
            "rank", "name"
        )
        priority.empty_label = ""
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = (
            with_current(self.owner_choices(), followup.owner_id)
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "id")
        )
        self.fields["owner"].label = _("Owner")
        self.fields["owner"].error_messages["invalid_choice"] = _(
            "You cannot assign follow-ups to that associate."
        )
        cast(forms.CharField, self.fields["description"]).max_length = DESCRIPTION_MAX_LENGTH

    def clean_start_date(self):
        return check_start_date(self.cleaned_data["start_date"])

    def clean(self):
        super().clean()
        data = self.cleaned_data
        # Django admin edits start_at and duration as they are (the app's forms ask for
        # a time of day instead): the same rules, in the administrator's time zone.
        type_, day = data.get("type"), data.get("start_date")
        if "start_at" in self.fields and type_ is not None and day is not None:
            try:
                check_timing(
                    kind=type_.kind,
                    start_date=day,
                    start_at=data.get("start_at"),
                    duration=data.get("duration"),
                    zone=timezone.get_current_timezone(),
                )
            except ValidationError as error:
                self.add_error("start_at", error)
        return data


class FollowUpEditForm(FollowUpFields, FollowUpRulesForm):
    """Edit one open follow-up: the dialog's fields and rules (FollowUpFields), and an
    owner this associate may assign to. Completing it is the page's own button."""

    field_order = [
        "type",
        "start_date",
        "start_time",
        "duration",
        "description",
        "project_text",
        "priority",
        "owner",
    ]

    class Meta:
        model = FollowUp
        fields = ["type", "start_date", "description", "priority", "owner"]

    def __init__(self, *args, associate: Associate, **kwargs):
        self.associate = associate
        super().__init__(*args, **kwargs)
        followup = self.instance
        if followup.project_id and not self.is_bound:
            self.initial["project_text"] = followup.project.name
            self.initial["project"] = followup.project_id
        if followup.start_at is not None and not self.is_bound:
            # As typed in this associate's time zone (the request's).
            local = timezone.localtime(followup.start_at)
            self.initial["start_date"] = local.date()
            self.initial["start_time"] = local.time()
            self.initial["duration"] = followup.duration

    def owner_choices(self) -> QuerySet:
        return Associate.objects.assignable_by(self.associate)

    def current_project(self) -> Project | None:
        return self.instance.project if self.instance.project_id else None

    def changes(self) -> dict:
        """The edited fields' new values (services.followup_save_changes saves them over
        the row as it is then, not over the copy the form was shown with)."""
        data = self.cleaned_data
        return {
            **{name: data[name] for name in self._meta.fields or ()},
            "project": data.get("project"),
            "start_at": data.get("start_at"),
            "duration": data.get("duration") if data.get("start_at") else None,
        }


class FollowUpNewForm(FollowUpEditForm):
    """One new follow-up, with the edit form's fields and rules (and so the dialog's),
    plus Completed; at a company, a person, or both (the person's company then)."""

    completed = COMPLETED
    company = forms.ModelChoiceField(
        queryset=Company.objects.all(), required=False, widget=forms.HiddenInput
    )
    person = forms.ModelChoiceField(
        queryset=Person.objects.select_related("company"), required=False, widget=forms.HiddenInput
    )
    field_order = [*FollowUpEditForm.field_order, "completed"]

    class Meta(FollowUpEditForm.Meta):
        fields = [*FollowUpEditForm.Meta.fields, "completed"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # a new instance's values are empty: today, for this user
            self.initial["owner"] = self.initial.get("owner") or self.associate.pk
            self.initial["start_date"] = self.initial.get("start_date") or timezone.localdate()

    def clean(self):
        super().clean()
        data = self.cleaned_data
        person, company = data.get("person"), data.get("company")
        if person is not None:
            if company is not None and person.company_id not in (None, company.pk):
                raise ValidationError(_("That person is not at that company; reload the page."))
            data["company"] = person.company
        return data

    def values(self) -> dict:
        """What services.followup_create writes."""
        data = self.cleaned_data
        return {
            **self.changes(),
            "completed": bool(data.get("completed")),
            "company": data.get("company"),
            "person": data.get("person"),
        }

"""Changing many follow-ups at once from a list (the activity list, a generation's page):
the form under the list, its confirmation with the counts, the change, and its undo."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from crm.access import CrmRequest, associate_required, local_path
from crm.dates import StyleDateField
from crm.models import Associate

from . import bulk, lists
from .forms import MemberIdsField, check_start_date
from .lists import FILTERS, activity_rows
from .models import BulkAction, BulkChange, Generation, Priority

TEMPLATE = "followups/bulk_confirm.html"
PARAMETERS = ("start_date", "days", "owner", "priority")  # the fields of one action or another
MAX_ID = 2**63 - 1
# The lists with a bulk bar.
SOURCES = ("activities", "history", "generation", "company", "person")


class BulkForm(forms.Form):
    """Which rows (ticked, or all that match the list), and what to do to them."""

    source = forms.ChoiceField(
        choices=[(name, name) for name in SOURCES],
        widget=forms.HiddenInput,
    )
    show = forms.CharField(required=False, widget=forms.HiddenInput)
    # Ids (a generation, a bulk change, a company or person): within what a row id can be.
    generation = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_ID, widget=forms.HiddenInput
    )
    bulk_change = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_ID, widget=forms.HiddenInput
    )
    card = forms.IntegerField(  # the company's or the person's
        required=False, min_value=0, max_value=MAX_ID, widget=forms.HiddenInput
    )
    filters = forms.CharField(required=False, max_length=600, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
    scope = forms.ChoiceField(
        label=gettext_lazy("Which follow-ups"),
        choices=[
            ("ticked", gettext_lazy("The ticked ones")),
            ("all", gettext_lazy("All that match the list")),
        ],
        initial="ticked",
        widget=forms.RadioSelect,
    )
    ids = MemberIdsField(
        required=False,
        error_messages={
            "invalid": gettext_lazy("The ticked follow-ups could not be read; reload the page."),
            "too_many": gettext_lazy("Tick at most %(max)s follow-ups, or choose all that match."),
        },
    )
    action = forms.ChoiceField(
        label=gettext_lazy("What to change"),
        choices=BulkAction.choices,
        error_messages={"required": gettext_lazy("Choose what to change.")},
    )
    start_date = StyleDateField(label=gettext_lazy("Move the start to"), required=False)
    days = forms.IntegerField(
        label=gettext_lazy("or by days"),
        required=False,
        min_value=-bulk.MAX_DAYS,
        max_value=bulk.MAX_DAYS,
        widget=forms.NumberInput(attrs={"placeholder": "+7"}),
        error_messages={"invalid": gettext_lazy("Enter a whole number of days, such as 7 or -3.")},
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Reassign to"),
        queryset=Associate.objects.none(),
        required=False,
        empty_label=gettext_lazy("Choose an associate"),
        error_messages={
            "invalid_choice": gettext_lazy("You cannot assign follow-ups to that associate.")
        },
    )
    priority = forms.ModelChoiceField(
        label=gettext_lazy("Priority"),
        queryset=Priority.objects.active().order_by("rank", "name"),
        required=False,
        empty_label=gettext_lazy("(none)"),
        error_messages={
            "invalid_choice": gettext_lazy("That priority is no longer available; choose another.")
        },
    )

    def __init__(self, *args, associate: Associate, **kwargs):
        super().__init__(*args, **kwargs)
        self.associate = associate
        owner = cast(forms.ModelChoiceField, self.fields["owner"])
        if not self.is_bound:  # under a list: only the action is shown (no rights read)
            return
        owner.queryset = (
            Associate.objects.assignable_by(associate)
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "id")
        )

    def clean_start_date(self):
        value = self.cleaned_data["start_date"]
        return check_start_date(value) if value is not None else None

    def clean(self):
        super().clean()
        data = self.cleaned_data
        action = data.get("action")
        if data.get("scope") == "ticked" and "ids" not in self.errors and not data.get("ids"):
            self.add_error("ids", _("Tick at least one follow-up, or choose all that match."))
        if action == BulkAction.MOVE and not self.errors.keys() & {"start_date", "days"}:
            if data.get("start_date") is None and not data.get("days"):
                self.add_error("start_date", _("Enter the new start, or a number of days."))
            elif data.get("start_date") is not None and data.get("days"):
                self.add_error("days", _("Enter a new start or a number of days, not both."))
        if action == BulkAction.REASSIGN and "owner" not in self.errors and not data.get("owner"):
            self.add_error("owner", _("Choose who gets the follow-ups."))
        return data

    def change(self) -> bulk.Change:
        data = self.cleaned_data
        action = data["action"]
        return bulk.Change(
            action=action,
            start_date=data.get("start_date") if action == BulkAction.MOVE else None,
            days=data.get("days") if action == BulkAction.MOVE else None,
            owner=data.get("owner") if action == BulkAction.REASSIGN else None,
            priority=data.get("priority") if action == BulkAction.PRIORITY else None,
        )


def scope_of(request: CrmRequest, form: BulkForm) -> QuerySet:
    """The rows the form names, among those the list shows this associate (with the
    list's filter bar, as lists.py defines each list)."""
    data = form.cleaned_data
    source = data["source"]
    if source == "generation":
        generation = get_object_or_404(
            Generation.objects.visible_to(request.associate), pk=data.get("generation") or 0
        )
        rows = lists.generation_rows(request.associate, generation)
    elif source == "history":
        rows = lists.history_rows(request.associate)
    elif source in ("company", "person"):
        rows = lists.card_rows(request.associate, **{source: data.get("card") or 0})
    else:
        show = data.get("show") or ""
        if show not in FILTERS:
            show = "open"
        # The activity list of one generation or one bulk change (a notice's link)
        # changes only those.
        rows = activity_rows(
            request.associate, show, data.get("generation"), data.get("bulk_change")
        )
    rows = lists.narrowed(rows, lists.filter_values(QueryDict(data.get("filters") or "")))
    if data["scope"] == "ticked":
        rows = rows.filter(pk__in=data["ids"])
    return rows


def _back(request: CrmRequest) -> str:
    """The list the form was sent from."""
    return local_path(request, request.POST.get("next")) or reverse("followups:activity_list")


def bulk_form_for(request: CrmRequest, **initial) -> BulkForm:
    """The form under a list, with what the list is."""
    return BulkForm(
        associate=request.associate,
        initial={"next": request.get_full_path(), "scope": "ticked", **initial},
        auto_id="bulk_%s",
    )


@require_POST
@associate_required
def bulk_confirm(request: CrmRequest) -> HttpResponse:
    """What the change would do: how many change, how many are skipped and why; or the
    form's errors next to its fields."""
    form = BulkForm(request.POST, associate=request.associate, auto_id="bulk_%s")
    context = {"form": form, "back": _back(request), "lines": None}
    if request.POST.get("fresh") and not form.is_valid():
        # Just chosen under the list: the action's own fields are still to be filled in.
        for name in PARAMETERS:
            if not form.data.get(name):
                form.errors.pop(name, None)
    elif form.is_valid():
        change = form.change()
        counts = bulk.bulk_counts(scope_of(request, form), change, request.associate)
        context.update(counts=counts, lines=bulk.counts_text(counts, change), change=change)
    template = TEMPLATE + "#dialog" if request.htmx else TEMPLATE
    return render(request, template, context)


@require_POST
@associate_required
def bulk_apply(request: CrmRequest) -> HttpResponse:
    """Make the change, then back to the list with the counts and an Undo."""
    form = BulkForm(request.POST, associate=request.associate, auto_id="bulk_%s")
    if not form.is_valid():
        return render(request, TEMPLATE, {"form": form, "back": _back(request)}, status=400)
    change = form.change()
    record = bulk.bulk_apply(scope_of(request, form), change, request.associate)
    n = number_format(record.changed_count, force_grouping=True)
    text = ngettext(
        "%(what)s: %(n)s follow-up.", "%(what)s: %(n)s follow-ups.", record.changed_count
    ) % {"what": record.summary, "n": n}
    if record.changed_count:
        url = reverse("followups:bulk_detail", args=[record.pk])
        messages.success(request, format_html('{} <a href="{}">{}</a>', text, url, _("Undo…")))
    else:
        messages.info(request, text)
    return HttpResponseRedirect(_back(request))


def _own_change(request: CrmRequest, pk: int) -> BulkChange:
    record = BulkChange.objects.select_related("undone_by__user").filter(pk=pk).first()
    if record is None or record.created_by_id != request.associate.pk:
        raise Http404
    return record


@require_GET
@associate_required
def bulk_detail(request: CrmRequest, pk: int) -> HttpResponse:
    """A bulk change and what its undo would do."""
    record = _own_change(request, pk)
    restorable, kept = bulk.undo_counts(record)
    return render(
        request,
        "followups/bulk_detail.html",
        {"record": record, "restorable": restorable, "kept": kept},
    )


@require_POST
@associate_required
def bulk_undo(request: CrmRequest, pk: int) -> HttpResponse:
    record = _own_change(request, pk)
    result = bulk.bulk_undo(record, request.associate)
    if result.already_undone:
        messages.info(request, _("This change was already undone; nothing more was put back."))
    else:
        text = ngettext(
            "Put back %(n)s follow-up as it was.",
            "Put back %(n)s follow-ups as they were.",
            result.restored,
        ) % {"n": number_format(result.restored, force_grouping=True)}
        if result.kept:
            text += " " + ngettext(
                "Kept %(n)s that was changed since.",
                "Kept %(n)s that were changed since.",
                result.kept,
            ) % {"n": number_format(result.kept, force_grouping=True)}
        messages.success(request, text)
    return redirect("followups:bulk_detail", pk=pk)

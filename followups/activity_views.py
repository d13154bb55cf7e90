"""Where follow-ups land: the activity list, the counters, quick search, the history
list, and marking a follow-up completed or open again."""

from __future__ import annotations

import copy
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from crm.access import CrmRequest, associate_required, local_path
from crm.models import PERM_CREATE_SELECTION_TASKS, Company, Person

from . import export, lists, search, services
from .bulk_views import bulk_form_for
from .forms import FollowUpEditForm, FollowUpNewForm
from .generation_views import selection_visible
from .lists import FILTERS, ListFilters, activity_parts, activity_rows, sort_of
from .models import BulkChange, FollowUp, Generation


@require_GET
@associate_required
def activity_list(request: CrmRequest) -> HttpResponse:
    """The current associate's open follow-ups by start date, overdue first (or sorted by
    another column), narrowed by the filter bar. One completed today stays, struck
    through, until tomorrow."""
    show = request.GET.get("show", "")
    if show not in FILTERS:
        show = "open"
    today = timezone.localdate()
    # Only those of one generation or one bulk change (the links in owners' notices); an
    # id that is not one, or a change that gave this associate nothing, lists nothing.
    generation = _generation_filter(request)
    generation_id = generation.pk if generation is not None else None
    change = _bulk_filter(request)
    bulk_id = change.pk if change is not None else None
    filters = ListFilters(request.GET)
    open_, done_today = (
        filters.apply(part)
        for part in activity_parts(request.associate, show, today, generation_id, bulk_id)
    )
    sort = sort_of(request.GET.get("sort"), "start")
    page = lists.list_page(request.GET.get("page"), filters, sort, open_, done_today)
    # How many on every page: each part counted off its own index.
    total = open_.count() + done_today.count()
    also = lists.list_query(
        urlencode({"generation": generation.pk}) if generation is not None else "",
        urlencode({"bulk": change.pk}) if change is not None else "",
        filters.query(),
        sort=sort,
        default="start",
    )
    query = lists.list_query(also, urlencode({"show": show}))
    return render(
        request,
        "followups/activity_list.html",
        {
            **lists.sorting(sort, "start", query),
            "page": page,
            "total": total,
            "show": show,
            "filters": FILTERS,
            **lists.filter_bar(
                filters, {"show": show, "generation": generation_id, "bulk": bulk_id}, sort, "start"
            ),
            "today": today,
            "show_owner": False,
            "bulk_form": bulk_form_for(
                request,
                source="activities",
                show=show,
                generation=generation_id,
                bulk_change=bulk_id,
                filters=filters.query(),
            ),
            "generation": generation,
            "change": change,
            "also": f"{also}&" if also else "",
            "list_query": query,
            "export_query": query,
        },
    )


def _generation_filter(request: CrmRequest) -> Generation | None:
    """The generation of ?generation=<id>, as the activity list shows it (its type and
    creator); a value that is no generation filters out everything."""
    value = request.GET.get("generation", "").strip()
    if not value:
        return None
    found = None
    if value.isascii() and value.isdigit() and len(value) <= 18:
        found = (
            Generation.objects.select_related("type", "created_by__user")
            .filter(pk=int(value))
            .first()
        )
    return found or Generation(pk=0)


def _bulk_filter(request: CrmRequest) -> BulkChange | None:
    """The bulk change of ?bulk=<id> (the link in a notice of follow-ups reassigned), as
    the activity list names it; a value that is no bulk change filters out everything."""
    value = request.GET.get("bulk", "").strip()
    if not value:
        return None
    found = None
    if value.isascii() and value.isdigit() and len(value) <= 18:
        found = BulkChange.objects.select_related("created_by__user").filter(pk=int(value)).first()
    return found or BulkChange(pk=0)


@require_GET
@associate_required
def history(request: CrmRequest) -> HttpResponse:
    """Every follow-up of the current associate, completed ones included, newest first
    (or sorted by another column), narrowed by the filter bar. By start, open and
    completed ones are read each from its own partial index (the activity list's, and its
    completed twin), only as far as the page goes, and merged: no index of its own,
    which every generation would have to write."""
    mine = lists.history_rows(request.associate)
    filters = ListFilters(request.GET)
    parts = [
        filters.apply(mine.filter(completed=False)),
        filters.apply(mine.filter(completed=True)),
    ]
    sort = sort_of(request.GET.get("sort"), "-start")
    page = lists.list_page(request.GET.get("page"), filters, sort, *parts)
    # How many on every page: open and completed counted each off its own index.
    total = sum(part.count() for part in parts)
    query = lists.list_query(filters.query(), sort=sort, default="-start")
    return render(
        request,
        "followups/history.html",
        {
            **lists.sorting(sort, "-start", query),
            "page": page,
            "total": total,
            "today": timezone.localdate(),
            "show_owner": False,
            **lists.filter_bar(filters, {}, sort, "-start"),
            "bulk_form": bulk_form_for(request, source="history", filters=filters.query()),
            "list_query": query,
            "export_query": lists.list_query("source=history", query),
        },
    )


@require_GET
@associate_required
def counters(request: CrmRequest) -> HttpResponse:
    """Badges for the navigation: overdue, due today, open. Completed never count."""
    return render(
        request, "base.html#counters", {"counts": services.followup_counts(request.associate)}
    )


@require_GET
@associate_required
def quick_search(request: CrmRequest) -> HttpResponse:
    """Type-ahead over the follow-ups this associate may see (completed ones are never
    found), and over companies and persons, each group on its own."""
    # PostgreSQL refuses a NUL character in a query, and no text holds one.
    text = (request.GET.get("q") or "").replace("\x00", "").strip()[:100]
    found = search.quick_search(request.associate, text)
    context = {
        "q": text,
        "results": found.followups,
        "companies": found.companies,
        "persons": found.persons,
        "min_length": search.SEARCH_MIN_LENGTH,
        "today": timezone.localdate(),
    }
    if request.htmx:
        return render(request, "followups/search.html#results", context)
    return render(request, "followups/search.html", context)


GONE = gettext_lazy(
    "This follow-up no longer exists: it was removed, most likely by an undo of the"
    " generation that created it. Nothing was changed."
)


def _gone(request: CrmRequest) -> HttpResponse:
    """The follow-up was removed between showing it and this change (an undo): say so,
    and show the activity list (htmx: the whole page, the row is gone)."""
    messages.error(request, GONE)
    if request.htmx:
        return HttpResponseClientRedirect(reverse("followups:activity_list"))
    return redirect("followups:activity_list")


@require_POST
@associate_required
def toggle_completed(request: CrmRequest, pk: int) -> HttpResponse:
    """Mark completed (recording the time) or open again (clearing it)."""
    followup = get_object_or_404(FollowUp.objects.visible_to(request.associate).for_lists(), pk=pk)
    if not followup.may_change(request.associate):
        raise PermissionDenied(_("Only its owner or creator can change this follow-up."))
    try:
        services.followup_set_completed(followup=followup, by=request.associate)
    except services.FollowUpGone:
        return _gone(request)
    except services.FollowUpLocked as error:
        raise PermissionDenied(str(error)) from None
    if not request.htmx:
        back = local_path(request, request.POST.get("next"))
        return HttpResponseRedirect(back) if back else redirect("followups:activity_list")
    response = render(
        request,
        "followups/activity_list.html#row",
        {
            "followup": followup,
            "today": timezone.localdate(),
            "show_owner": request.POST.get("show_owner") == "1",
            "bulk_form": request.POST.get("bulk") == "1",
            "next": request.POST.get("next", ""),
        },
    )
    return trigger_client_event(response, "followupChanged", {"id": followup.pk})


@require_http_methods(["GET", "POST"])
@associate_required
def followup_detail(request: CrmRequest, pk: int) -> HttpResponse:
    """View a follow-up; edit it while it is open (a completed one is read-only until it
    is opened again), if this associate may change it."""
    followup = get_object_or_404(
        FollowUp.objects.visible_to(request.associate)
        .for_lists()
        .select_related("created_by__user", "generation")
        .annotate(
            selection_visible=selection_visible(request.associate, "generation__selection_id")
        ),
        pk=pk,
    )
    may_change = followup.may_change(request.associate)
    editable = not followup.completed and may_change
    form = None
    if editable:
        form = FollowUpEditForm(
            request.POST if request.method == "POST" else None,
            # A copy: an invalid form leaves its input on the instance, and the page
            # around the form shows the follow-up as saved.
            instance=copy.copy(followup),
            associate=request.associate,
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.followup_save_changes(
                    followup=followup, changes=form.changes(), by=request.associate
                )
            except services.FollowUpGone:
                return _gone(request)
            except services.FollowUpLocked as error:
                messages.error(request, str(error))
                return redirect("followups:detail", pk=followup.pk)
            messages.success(request, _("Saved the follow-up."))
            return redirect("followups:detail", pk=followup.pk)
    elif request.method == "POST":
        raise PermissionDenied(_("This follow-up cannot be changed now."))
    return render(
        request,
        "followups/followup_detail.html",
        {
            "followup": followup,
            "form": form,
            "may_change": may_change,
            "today": timezone.localdate(),
        },
    )


EXPORTS = {"csv": export.csv_response, "xlsx": export.xlsx_response}


@require_GET
@associate_required
def export_list(request: CrmRequest, fmt: str) -> HttpResponseBase:
    """A list as a file, with its filters and sort, every page: the activity list
    (?show=, ?generation=, ?bulk=), the history (?source=history), a generation's
    follow-ups (?source=generation&generation=<id>) or a card's (?source=company&card=<id>,
    ?source=person&card=<id>)."""
    if fmt not in EXPORTS:
        raise Http404
    source = request.GET.get("source", "activities")
    default = "start"
    if source == "generation":
        generation = get_object_or_404(
            Generation.objects.visible_to(request.associate), pk=_id(request.GET.get("generation"))
        )
        rows = lists.generation_rows(request.associate, generation)
        name = f"generation-{generation.pk}"
    elif source == "history":
        rows, name, default = lists.history_rows(request.associate), "history", "-start"
    elif source in ("company", "person"):
        card = _id(request.GET.get("card"))
        rows, name, default = lists.card_rows(request.associate, **{source: card}), source, "-start"
    else:
        show = request.GET.get("show", "")
        if show not in FILTERS:
            show = "open"
        generation = _generation_filter(request)
        change = _bulk_filter(request)
        rows = activity_rows(
            request.associate,
            show,
            generation.pk if generation else None,
            change.pk if change else None,
        )
        name = f"activities-{show}"
    rows = lists.narrowed(rows, lists.filter_values(request.GET))
    sort = sort_of(request.GET.get("sort"), default)
    return EXPORTS[fmt](rows, f"{name}-{timezone.localdate():%Y-%m-%d}", lists.ordering(sort))


@require_http_methods(["GET", "POST"])
@associate_required
def followup_new(request: CrmRequest) -> HttpResponse:
    """A single follow-up, with the dialog's fields and rules; from a company's or a
    person's card, at that company or person (?company=, ?person=)."""
    if not request.user.has_perm(PERM_CREATE_SELECTION_TASKS):
        raise PermissionDenied(_("Your role does not allow creating follow-ups."))
    initial = {k: _id(request.GET.get(k)) or None for k in ("company", "person")}
    form = FollowUpNewForm(
        request.POST if request.method == "POST" else None,
        instance=FollowUp(),
        associate=request.associate,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        followup = services.followup_create(values=form.values(), by=request.associate)
        messages.success(request, _("Created the follow-up."))
        return redirect("followups:detail", pk=followup.pk)
    return render(
        request,
        "followups/followup_new.html",
        {
            "form": form,
            "company": Company.objects.filter(pk=_id(form["company"].value())).first(),
            "person": Person.objects.filter(pk=_id(form["person"].value())).first(),
        },
    )


def _id(value) -> int:
    """An id from a form's value, or 0 (which no row has) for anything else."""
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 19 else 0

"""Where follow-ups land: the activity list, the counters, quick search, the history
list, and marking a follow-up completed or open again."""

from __future__ import annotations

import copy
import heapq
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from crm.access import associate_required

from . import services
from .forms import FollowUpEditForm
from .generation_views import selection_visible
from .models import FollowUp, Generation
from .paging import page_number, page_of

PAGE_SIZE = 50
SEARCH_LIMIT = 10
SEARCH_MIN_LENGTH = 2
FILTERS = ("open", "overdue", "today", "week")


def start_of(day):
    """Midnight at the start of `day`, in the site's time zone."""
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))


@require_GET
@associate_required
def activity_list(request: HttpRequest) -> HttpResponse:
    """The current associate's open follow-ups by start date, overdue first. One
    completed today stays, struck through, until tomorrow."""
    show = request.GET.get("show") if request.GET.get("show") in FILTERS else "open"
    today = timezone.localdate()
    mine = FollowUp.objects.filter(owner=request.associate)
    # Only those of one generation (the link in an owner's notice); an id that is not
    # one, or a generation that gave this associate nothing, lists nothing.
    generation = _generation_filter(request)
    if generation is not None:
        mine = mine.filter(generation_id=generation.pk)
    # Open ones, and those completed today (a closed range, which SQLite's planner reads
    # from the index over completed follow-ups).
    open_ = mine.filter(completed=False)
    done_today = mine.filter(
        completed=True,
        completed_at__gte=start_of(today),
        completed_at__lt=start_of(today + timedelta(1)),
    )
    if show == "overdue":
        open_, done_today = open_.filter(start_date__lt=today), done_today.none()
    elif show == "today":
        open_, done_today = open_.filter(start_date=today), done_today.filter(start_date=today)
    elif show == "week":
        week = {"start_date__gte": today, "start_date__lt": today + timedelta(7)}
        open_, done_today = open_.filter(**week), done_today.filter(**week)
    # Each read in start-date order only as far as the page asked for, from its own index,
    # then merged: sorting the two together in the database would read every open row.
    number = page_number(request.GET.get("page"))
    enough = number * PAGE_SIZE + 1
    keys = heapq.merge(
        *(
            qs.order_by("start_date", "id").values_list("start_date", "id")[:enough]
            for qs in (open_, done_today)
        )
    )
    page = page_of(list(keys), number, PAGE_SIZE)
    ids = [pk for _start, pk in page.object_list]
    rows = FollowUp.objects.for_lists().in_bulk(ids)
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return render(
        request,
        "followups/activity_list.html",
        {
            "page": page,
            "show": show,
            "filters": FILTERS,
            "today": today,
            "show_owner": False,
            "generation": generation,
            "also": f"generation={generation.pk}&" if generation is not None else "",
        },
    )


def _generation_filter(request: HttpRequest) -> Generation | None:
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


@require_GET
@associate_required
def history(request: HttpRequest) -> HttpResponse:
    """Every follow-up of the current associate, completed ones included, newest first."""
    followups = FollowUp.objects.filter(owner=request.associate).for_lists()
    page = page_of(followups.order_by("-start_date", "-id"), request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "followups/history.html",
        {"page": page, "today": timezone.localdate(), "show_owner": False},
    )


@require_GET
@associate_required
def counters(request: HttpRequest) -> HttpResponse:
    """Badges for the navigation: overdue, due today, open. Completed never count."""
    return render(
        request, "base.html#counters", {"counts": services.followup_counts(request.associate)}
    )


@require_GET
@associate_required
def quick_search(request: HttpRequest) -> HttpResponse:
    """Type-ahead over the follow-ups this associate may see; completed ones are never
    found."""
    # PostgreSQL refuses a NUL character in a query, and no text holds one.
    text = (request.GET.get("q") or "").replace("\x00", "").strip()[:100]
    results = []
    if len(text) >= SEARCH_MIN_LENGTH:
        # Case-insensitive in every language, on SQLite too (crm.models.UnicodeIContains).
        words = Q(description__unicode_icontains=text) | Q(company__name__unicode_icontains=text)
        words |= Q(person__first_name__unicode_icontains=text)
        words |= Q(person__last_name__unicode_icontains=text)
        words |= Q(project__name__unicode_icontains=text)
        results = list(
            FollowUp.objects.visible_to(request.associate)
            .open()
            .filter(words)
            .for_lists()
            .order_by("start_date", "id")[:SEARCH_LIMIT]
        )
    context = {
        "q": text,
        "results": results,
        "min_length": SEARCH_MIN_LENGTH,
        "today": timezone.localdate(),
    }
    if request.htmx:
        return render(request, "followups/search.html#results", context)
    return render(request, "followups/search.html", context)


GONE = _lazy(
    "This follow-up no longer exists: it was removed, most likely by an undo of the"
    " generation that created it. Nothing was changed."
)


def _gone(request: HttpRequest) -> HttpResponse:
    """The follow-up was removed between showing it and this change (an undo): say so,
    and show the activity list (htmx: the whole page, the row is gone)."""
    messages.error(request, GONE)
    if request.htmx:
        return HttpResponseClientRedirect(reverse("followups:activity_list"))
    return redirect("followups:activity_list")


@require_POST
@associate_required
def toggle_completed(request: HttpRequest, pk: int) -> HttpResponse:
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
        back = request.POST.get("next", "")
        if back.startswith("/") and url_has_allowed_host_and_scheme(
            back, {request.get_host()}, request.is_secure()
        ):
            return HttpResponseRedirect(back)
        return redirect("followups:activity_list")
    response = render(
        request,
        "followups/activity_list.html#row",
        {
            "followup": followup,
            "today": timezone.localdate(),
            "show_owner": request.POST.get("show_owner") == "1",
            "next": request.POST.get("next", ""),
        },
    )
    return trigger_client_event(response, "followupChanged", {"id": followup.pk})


@require_http_methods(["GET", "POST"])
@associate_required
def followup_detail(request: HttpRequest, pk: int) -> HttpResponse:
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

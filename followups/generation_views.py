"""Generation history and undo."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from crm.access import CrmRequest, associate_required
from crm.models import Associate
from selections.models import Selection

from . import job_views, lists, services
from .bulk_views import bulk_form_for
from .lists import ListFilters
from .models import FollowUp, Generation
from .paging import PAGE_SIZE


def selection_visible(associate: Associate, selection_id: str = "selection_id") -> Exists:
    """Whether `associate` may see the selection whose id is the outer query's
    `selection_id` (Selection.objects.visible_to, the one rule): only then do pages show
    its name. Computed in the query that reads the rows, so it costs no query of its own."""
    return Exists(Selection.objects.visible_to(associate).filter(pk=OuterRef(selection_id)))


def _generations(request: CrmRequest):
    return (
        Generation.objects.visible_to(request.associate)
        .select_related(
            "created_by__user", "type", "owner_associate__user", "owner_group", "undone_by__user"
        )
        .annotate(selection_visible=selection_visible(request.associate))
    )


@require_GET
@associate_required
def generation_list(request: CrmRequest) -> HttpResponse:
    """Your generations (administrators: everyone's), newest first, with how many
    follow-ups each created and how many of those were changed since. The latter are
    counted from the index of changed follow-ups (FollowUp.Meta.indexes), which holds
    none that a generation wrote and nobody touched: the page reads no other follow-up,
    however many there are."""
    changed = (
        FollowUp.objects.changed()
        .filter(generation=OuterRef("pk"))
        .order_by()
        .values("generation")
        .annotate(n=Count("*"))
        .values("n")
    )
    generations = _generations(request).annotate(
        changed=Coalesce(Subquery(changed, output_field=IntegerField()), 0)
    )
    page = Paginator(generations.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "followups/generation_list.html",
        {"page": page, "jobs": job_views.jobs_for_list(request)},
    )


@require_GET
@associate_required
def generation_detail(request: CrmRequest, pk: int) -> HttpResponse:
    """A generation's settings and its follow-ups (those this associate may see)."""
    generation = get_object_or_404(_generations(request), pk=pk)
    filters = ListFilters(request.GET)
    rows = filters.apply(lists.generation_rows(request.associate, generation))
    sort = lists.sort_of(request.GET.get("sort"), "start")
    page = lists.list_page(request.GET.get("page"), filters, sort, rows)
    # How many on every page (the generation's follow-ups are found by its index).
    total = rows.count()
    query = lists.list_query(filters.query(), sort=sort, default="start")
    untouched, changed = services.generation_undo_counts(generation)
    return render(
        request,
        "followups/generation_detail.html",
        {
            **lists.sorting(sort, "start", query),
            "generation": generation,
            "page": page,
            "today": timezone.localdate(),
            "show_owner": True,
            "untouched": untouched,
            "changed": changed,
            **lists.filter_bar(filters, {}, sort, "start"),
            "bulk_form": bulk_form_for(
                request, source="generation", generation=generation.pk, filters=filters.query()
            ),
            "total": total,
            "list_query": query,
            "export_query": lists.list_query(
                f"source=generation&generation={generation.pk}", query
            ),
        },
    )


@require_http_methods(["GET", "POST"])
@associate_required
def generation_undo(request: CrmRequest, pk: int) -> HttpResponse:
    """GET: the confirmation, with the counts first. POST: undo."""
    generation = get_object_or_404(_generations(request), pk=pk)
    if request.method == "GET":
        untouched, changed = services.generation_undo_counts(generation)
        return render(
            request,
            "followups/generation_detail.html",
            {
                "generation": generation,
                "untouched": untouched,
                "changed": changed,
                "confirm": True,
                "page": None,
                "today": timezone.localdate(),
            },
        )
    result = services.generation_undo(generation=generation, by=request.associate)
    if result.already_undone:
        messages.info(request, _("This generation was already undone; nothing more was removed."))
    else:
        removed = number_format(result.removed, force_grouping=True)
        kept = number_format(result.kept, force_grouping=True)
        text = ngettext(
            "Removed %(removed)s follow-up", "Removed %(removed)s follow-ups", result.removed
        ) % {"removed": removed}
        if result.kept:
            text += ", " + ngettext(
                "kept %(kept)s that was changed since.",
                "kept %(kept)s that were changed since.",
                result.kept,
            ) % {"kept": kept}
        else:
            text += "."
        messages.success(request, text)
    return redirect("followups:generation_detail", pk=generation.pk)

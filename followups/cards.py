"""The Activities tab of the company and person cards (registered in crm.cards from
FollowupsConfig.ready()): the follow-ups this associate may see, completed ones
included, newest first (or sorted by another column), narrowed by the filter bar, with
the bulk bar and the New follow-up button."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy

from crm import cards
from crm.access import CrmRequest
from crm.models import Company, Person

from . import lists
from .bulk_views import bulk_form_for
from .lists import ListFilters

TEMPLATE = "followups/card_activities.html"


def activities_tab(request: CrmRequest, card: Company | Person) -> str:
    source = "person" if isinstance(card, Person) else "company"
    filters = ListFilters(request.GET)
    rows = filters.apply(lists.card_rows(request.associate, **{source: card}))
    sort = lists.sort_of(request.GET.get("sort"), "-start")
    page = lists.list_page(request.GET.get("page"), filters, sort, rows)
    query = lists.list_query(filters.query(), sort=sort, default="-start")
    context = {
        "source": source,
        "card": card,
        **lists.sorting(sort, "-start", query),
        "page": page,
        # How many on every page (from the company's or the person's index).
        "total": rows.count(),
        "today": timezone.localdate(),
        "show_owner": True,
        **lists.filter_bar(filters, {}, sort, "-start"),
        "bulk_form": bulk_form_for(request, source=source, card=card.pk, filters=filters.query()),
        "list_query": query,
        "export_query": lists.list_query(f"source={source}&card={card.pk}", query),
    }
    return render_to_string(TEMPLATE, context, request)


def register() -> None:
    cards.register(
        key="activities", label=gettext_lazy("Activities"), order=10, render=activities_tab
    )

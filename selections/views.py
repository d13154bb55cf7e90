from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from crm.access import associate_required
from crm.models import PERM_CREATE_SELECTION_TASKS, Company, Person

from . import services
from .forms import MemberAddForm, MemberSearchForm
from .models import Selection

PAGE_SIZE = 100
# "Show all" renders every member on one page; beyond this it would be a very long page
# (and a slow one), so the pager is the only way through bigger selections.
SHOW_ALL_LIMIT = 5000
SEARCH_LIMIT = 10


def _visible_selection(request: HttpRequest, pk: int) -> Selection:
    """The selection if this associate may see it, else 404 (as if it did not exist)."""
    qs = Selection.objects.visible_to(request.associate).select_related(
        "owner__user", "owner__primary_group"
    )
    return get_object_or_404(qs, pk=pk)


def _editable_selection(request: HttpRequest, pk: int) -> Selection:
    selection = _visible_selection(request, pk)
    if selection.owner_id != request.associate.pk:
        raise PermissionDenied(_("Only the selection's owner can change its members."))
    return selection


@require_GET
@associate_required
def selection_list(request: HttpRequest) -> HttpResponse:
    selections = (
        Selection.objects.visible_to(request.associate)
        .select_related("owner__user")
        .annotate(member_count=Count("members"))
    )
    return render(request, "selections/selection_list.html", {"selections": selections})


def _members_context(request: HttpRequest, selection: Selection) -> dict:
    members = selection.members.select_related(
        "company__our_contact__user", "person__our_contact__user"
    ).order_by("id")
    paginator = Paginator(members, PAGE_SIZE)
    show_all = request.GET.get("all") == "1" and paginator.count <= SHOW_ALL_LIMIT
    if show_all:
        page = None
        rows = list(members)
    else:
        page = paginator.get_page(request.GET.get("page"))
        rows = page.object_list
    return {
        "selection": selection,
        "member_count": paginator.count,
        "page": page,
        "rows": rows,
        "show_all": show_all,
        "can_show_all": PAGE_SIZE < paginator.count <= SHOW_ALL_LIMIT,
        "can_edit": selection.owner_id == request.associate.pk,
        "can_run_tasks": request.user.has_perm(PERM_CREATE_SELECTION_TASKS),
    }


@require_GET
@associate_required
def selection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    selection = _visible_selection(request, pk)
    context = _members_context(request, selection)
    return render(request, "selections/selection_detail.html", context)


@require_GET
@associate_required
def member_search(request: HttpRequest, pk: int) -> HttpResponse:
    selection = _editable_selection(request, pk)
    form = MemberSearchForm(request.GET)
    companies = persons = []
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
    if query:
        companies = Company.objects.filter(name__istartswith=query).order_by("name", "id")[
            :SEARCH_LIMIT
        ]
        persons = (
            Person.objects.filter(
                Q(first_name__istartswith=query) | Q(last_name__istartswith=query)
            )
            .select_related("company")
            .order_by("last_name", "first_name", "id")[:SEARCH_LIMIT]
        )
    context = {"selection": selection, "query": query, "companies": companies, "persons": persons}
    if request.htmx:
        return render(request, "selections/selection_detail.html#search-results", context)
    # Without JavaScript: the whole page, with the results under the search field.
    context |= _members_context(request, selection)
    return render(request, "selections/selection_detail.html", context)


@require_POST
@associate_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    selection = _editable_selection(request, pk)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("__all__", []) or [
            _("That company or person no longer exists.")
        ]:
            messages.error(request, error)
    elif form.cleaned_data["person"]:
        person = form.cleaned_data["person"]
        if services.selection_member_add_person(selection=selection, person=person):
            messages.success(request, _("Added %(name)s.") % {"name": person})
        else:
            messages.info(request, _("%(name)s is already in the selection.") % {"name": person})
    else:
        company = form.cleaned_data["company"]
        if services.selection_member_add_company(selection=selection, company=company):
            messages.success(request, _("Added %(name)s.") % {"name": company})
        else:
            messages.info(request, _("%(name)s is already in the selection.") % {"name": company})
    return _members_changed(request, selection)


@require_POST
@associate_required
def member_remove(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    selection = _editable_selection(request, pk)
    if services.selection_member_remove(selection=selection, member_id=member_id):
        messages.success(request, _("Removed the member."))
    else:
        messages.info(request, _("That member was already removed."))
    return _members_changed(request, selection)


def _members_changed(request: HttpRequest, selection: Selection) -> HttpResponse:
    if not request.htmx:
        return redirect(selection)
    context = _members_context(request, selection)
    response = render(request, "selections/selection_detail.html#members", context)
    return trigger_client_event(response, "membersChanged")

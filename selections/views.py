from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from crm.access import CrmRequest, associate_required
from crm.models import (
    PERM_CREATE_SELECTION_TASKS,
    PERM_MANAGE_SELECTIONS,
    Associate,
    Company,
    Person,
)

from . import dynamic, services
from .forms import CriterionForm, MemberAddForm, MemberSearchForm, SelectionForm
from .models import SHOW_ALL_LIMIT, Criterion, Selection, SelectionMember

PAGE_SIZE = 100
# "Show all" renders every member on one page; beyond this it would be a very long page
# (and a slow one), so the pager is the only way through bigger selections.
SEARCH_LIMIT = 10


def _visible_selection(request: CrmRequest, pk: int) -> Selection:
    """The selection if this associate may see it, else 404 (as if it did not exist)."""
    qs = Selection.objects.visible_to(request.associate).select_related(
        "owner__user", "owner__primary_group"
    )
    return get_object_or_404(qs, pk=pk)


def _check_may_manage(request: CrmRequest) -> None:
    """403 unless the associate's role grants "Can manage selections"."""
    if not request.user.has_perm(PERM_MANAGE_SELECTIONS):
        raise PermissionDenied(_("Your role does not allow changing selections."))


def _editable_selection(request: CrmRequest, pk: int, *, dynamic: bool = False) -> Selection:
    """The selection if this associate may manage selections and owns this one (else
    403), of the kind the change is for (members for a static selection, criteria for a
    dynamic one; else 400)."""
    selection = _visible_selection(request, pk)
    _check_may_manage(request)
    if selection.owner_id != request.associate.pk:
        raise PermissionDenied(_("Only the selection's owner can change it."))
    if selection.is_dynamic != dynamic:
        raise BadRequest(
            _("A dynamic selection has criteria, not members.")
            if selection.is_dynamic
            else _("A static selection has members, not criteria.")
        )
    return selection


@require_GET
@associate_required
def selection_list(request: CrmRequest) -> HttpResponse:
    # Each selection's members counted from the index on selection_id, one selection at
    # a time: a join of every member grouped by selection costs three times as much
    # (110-150 ms against 40 for a 100,000-member selection).
    counts = (
        SelectionMember.objects.filter(selection=OuterRef("pk"))
        .order_by()
        .values("selection")
        .annotate(n=Count("*"))
        .values("n")
    )
    selections = (
        Selection.objects.visible_to(request.associate)
        .select_related("owner__user")
        .annotate(member_count=Coalesce(Subquery(counts, output_field=IntegerField()), 0))
    )
    return render(
        request,
        "selections/selection_list.html",
        {"selections": selections, "can_create": request.user.has_perm(PERM_MANAGE_SELECTIONS)},
    )


def _members_context(request: CrmRequest, selection: Selection) -> dict:
    """The Company/person tab: a static selection's members, or a dynamic selection's
    current result, paged."""
    if selection.is_dynamic:
        prefetch_related_objects([selection], "criteria")  # read once, used twice
        members = dynamic.result_rows(selection, request.associate)
        paginator = Paginator(members, PAGE_SIZE)
    else:
        members = selection.members.select_related(
            "company__our_contact__user", "person__our_contact__user"
        ).order_by("id")
        # Paged by member id alone, which the index on (selection, …, id) answers even
        # 50,000 members deep; the page's members are then read with what they show.
        paginator = Paginator(
            selection.members.order_by("id").values_list("id", flat=True), PAGE_SIZE
        )
    show_all = request.GET.get("all") == "1" and paginator.count <= SHOW_ALL_LIMIT
    rows: Iterable[Any]
    if show_all:
        page = None
        rows = list(members)
    else:
        page = paginator.get_page(request.GET.get("page"))
        rows = page.object_list
        if not selection.is_dynamic:
            found = members.in_bulk(list(rows))
            rows = [found[pk] for pk in rows if pk in found]
    if selection.is_dynamic:
        rows = dynamic.display_rows(list(rows))
    can_edit = selection.owner_id == request.associate.pk and request.user.has_perm(
        PERM_MANAGE_SELECTIONS
    )
    context = {
        "selection": selection,
        "member_count": paginator.count,
        "page": page,
        "rows": rows,
        "show_all": show_all,
        "can_show_all": PAGE_SIZE < paginator.count <= SHOW_ALL_LIMIT,
        "can_edit": can_edit and not selection.is_dynamic,
        "can_edit_criteria": can_edit and selection.is_dynamic,
        "can_run_tasks": request.user.has_perm(PERM_CREATE_SELECTION_TASKS),
    }
    if selection.is_dynamic:
        criteria = list(selection.criteria.all())
        ids = [
            int(c.value)
            for c in criteria
            if c.field == Criterion.Field.OUR_CONTACT and c.value.isascii() and c.value.isdigit()
        ]
        names = Associate.objects.select_related("user").in_bulk(ids) if ids else {}
        for criterion in criteria:
            if (
                criterion.value.isascii()
                and criterion.value.isdigit()
                and int(criterion.value) in names
            ):
                criterion.contact_name = names[int(criterion.value)].name
        context["criteria"] = criteria
    return context


@require_GET
@associate_required
def selection_detail(request: CrmRequest, pk: int) -> HttpResponse:
    selection = _visible_selection(request, pk)
    context = _members_context(request, selection)
    if context["can_edit_criteria"]:
        context["criterion_form"] = CriterionForm(associate=request.associate)
    return render(request, "selections/selection_detail.html", context)


@require_GET
@associate_required
def member_search(request: CrmRequest, pk: int) -> HttpResponse:
    selection = _editable_selection(request, pk)
    form = MemberSearchForm(request.GET)
    companies: Iterable[Company] = []
    persons: Iterable[Person] = []
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
    if query:
        companies = Company.objects.filter(name__unicode_istartswith=query).order_by("name", "id")[
            :SEARCH_LIMIT
        ]
        persons = (
            Person.objects.filter(
                Q(first_name__unicode_istartswith=query) | Q(last_name__unicode_istartswith=query)
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
def member_add(request: CrmRequest, pk: int) -> HttpResponse:
    selection = _editable_selection(request, pk)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("__all__", []) or [
            _("That company or person no longer exists.")
        ]:
            messages.error(request, str(error))
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
def member_remove(request: CrmRequest, pk: int, member_id: int) -> HttpResponse:
    selection = _editable_selection(request, pk)
    if services.selection_member_remove(selection=selection, member_id=member_id):
        messages.success(request, _("Removed the member."))
    else:
        messages.info(request, _("That member was already removed."))
    return _members_changed(request, selection)


def _members_changed(request: CrmRequest, selection: Selection) -> HttpResponse:
    if not request.htmx:
        return redirect(selection)
    context = _members_context(request, selection)
    response = render(request, "selections/selection_detail.html#members", context)
    return trigger_client_event(response, "membersChanged")


@require_http_methods(["GET", "POST"])
@associate_required
def selection_new(request: CrmRequest) -> HttpResponse:
    """A new selection, owned by the current associate."""
    _check_may_manage(request)
    form = SelectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        selection = form.save(commit=False)
        selection.owner = request.associate
        selection.save()
        messages.success(request, _("Created the selection %(name)s.") % {"name": selection.name})
        return redirect(selection)
    return render(request, "selections/selection_new.html", {"form": form})


def _criteria_changed(request: CrmRequest, selection: Selection, form=None) -> HttpResponse:
    if not request.htmx:
        return redirect(selection)
    context = _members_context(request, selection)
    context["criterion_form"] = form or CriterionForm(associate=request.associate)
    context["oob"] = True  # the members list follows the criteria
    response = render(request, "selections/selection_detail.html#dynamic", context)
    return trigger_client_event(response, "membersChanged")


def _reload(selection: Selection) -> HttpResponse:
    """The page has gone stale (the selection was frozen or deleted in another tab):
    htmx loads it anew, with the message."""
    return HttpResponseClientRedirect(selection.get_absolute_url())


@require_GET
@associate_required
def criterion_form(request: CrmRequest, pk: int) -> HttpResponse:
    """The add-criterion form again, with the value control the chosen field needs."""
    selection = _editable_selection(request, pk, dynamic=True)
    form = CriterionForm(initial={"field": request.GET.get("field")}, associate=request.associate)
    form.data = {"field": request.GET.get("field", "")}  # value_choices() reads it
    return render(
        request,
        "selections/selection_detail.html#criterion-form",
        {"selection": selection, "criterion_form": form},
    )


@require_POST
@associate_required
def criterion_add(request: CrmRequest, pk: int) -> HttpResponse:
    selection = _editable_selection(request, pk, dynamic=True)
    form = CriterionForm(request.POST, associate=request.associate)
    if not form.is_valid():
        if not request.htmx:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))
            return redirect(selection)
        return _criteria_changed(request, selection, form)
    try:
        services.selection_criterion_add(
            selection=selection, field=form.cleaned_data["field"], value=form.cleaned_data["value"]
        )
    except services.SelectionChanged as error:
        messages.error(request, str(error))
        return _reload(selection) if request.htmx else redirect(selection)
    return _criteria_changed(request, selection)


@require_POST
@associate_required
def criterion_remove(request: CrmRequest, pk: int, criterion_id: int) -> HttpResponse:
    selection = _editable_selection(request, pk, dynamic=True)
    try:
        services.selection_criterion_remove(selection=selection, criterion_id=criterion_id)
    except services.SelectionChanged as error:
        messages.error(request, str(error))
        return _reload(selection) if request.htmx else redirect(selection)
    return _criteria_changed(request, selection)


@require_POST
@associate_required
def selection_freeze(request: CrmRequest, pk: int) -> HttpResponse:
    """Turn a dynamic selection into a static one holding its current result."""
    selection = _editable_selection(request, pk, dynamic=True)
    try:
        count = services.selection_freeze(selection=selection, viewer=request.associate)
    except services.SelectionChanged as error:
        messages.error(request, str(error))
        return redirect(selection)
    messages.success(
        request,
        ngettext(
            "Froze the selection: it now has %(n)s member, added by hand from now on.",
            "Froze the selection: it now has %(n)s members, added by hand from now on.",
            count,
        )
        % {"n": number_format(count, force_grouping=True)},
    )
    return redirect(selection)

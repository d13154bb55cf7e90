"""The Generate follow-ups task: the dialog, its live preview, the save, and the
project suggestions the dialog's Project combobox asks for."""

from __future__ import annotations

import logging
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from crm.access import CrmRequest, associate_required
from crm.models import PERM_CREATE_SELECTION_TASKS, PROJECT_NAME_LENGTH, Associate
from selections import dynamic
from selections.models import Selection

from . import background, job_views, services
from .forms import GenerateFollowUpsForm, MemberIdsField, find_projects
from .models import DESCRIPTION_MAX_LENGTH, FollowUp, Generation, OwnerMode

logger = logging.getLogger(__name__)

TEMPLATE = "followups/generate.html"
PROJECT_SUGGESTIONS = 20  # one page of the Project list; scrolling to its end loads the next
LAST_PROJECT_OFFSET = 1_000_000  # far beyond any list a person scrolls through
# How long the dialog waits for a save's answer before it asks whether the save committed:
# longer than the app server lets a request run (PostgreSQL's statement timeout, 2
# minutes by default, plus 30 s; gunicorn.conf.py), so by then the save has either
# committed or been stopped.
SAVE_TIMEOUT_MS = 180_000


def _task_selection(request: CrmRequest, pk: int) -> Selection:
    """The selection, if this associate may see it (else 404) and run tasks (else 403)."""
    selection = get_object_or_404(Selection.objects.visible_to(request.associate), pk=pk)
    if not request.user.has_perm(PERM_CREATE_SELECTION_TASKS):
        raise PermissionDenied(_("Your role does not allow tasks on selections."))
    return selection


def _dialog_context(form: GenerateFollowUpsForm, selection: Selection, *, as_page: bool) -> dict:
    """The dialog's heading says how many members the task is for; the form says where to
    ask whether its save committed, should the answer to it be lost."""
    if form.is_bound:
        selected_only = form["selected_only"].value()
    else:
        selected_only = form.initial.get("selected_only", False)
    return {
        "form": form,
        "selection": selection,
        "selected": selected_only,
        "members_for": form.ticked_count()
        if selected_only
        else dynamic.row_count(selection, form.associate),
        "as_page": as_page,
        "status_url": _status_url(form["key"].value()),
        "save_timeout_ms": SAVE_TIMEOUT_MS,
    }


def _status_url(key) -> str | None:
    """followups:generate_status for the dialog's one-time key (None for a key that
    cannot be read: the form then says the dialog is out of date)."""
    try:
        key = uuid.UUID(str(key))
    except ValueError:
        return None
    return reverse("followups:generate_status", args=[key])


@require_http_methods(["GET", "POST"])
@associate_required
def generate_dialog(request: CrmRequest, pk: int) -> HttpResponse:
    """The dialog, opened from the Task menu with the ticked members, if any. The menu
    posts them (there may be thousands): one value of id ranges, or one value per id
    from a browser without JavaScript."""
    selection = _task_selection(request, pk)
    data = request.POST if request.method == "POST" else request.GET
    members = data.getlist("members")
    errors = []
    try:
        members = MemberIdsField(required=False).clean(members)
    except ValidationError as error:
        errors = error.messages  # shown now; kept as sent, so Save says it again
    form = GenerateFollowUpsForm(
        initial={
            "key": uuid.uuid4(),
            "selected_only": data.get("selected_only") in {"on", "true", "1"},
            "members": members,
        },
        selection=selection,
        associate=request.associate,
    )
    context = _dialog_context(form, selection, as_page=not request.htmx)
    context["members_errors"] = errors
    return render(request, TEMPLATE + "#dialog" if request.htmx else TEMPLATE, context)


@require_POST
@associate_required
def generate_preview(request: CrmRequest, pk: int) -> HttpResponse:
    selection = _task_selection(request, pk)
    form = GenerateFollowUpsForm(request.POST, selection=selection, associate=request.associate)
    scope = form.preview_scope()
    preview = None
    # What stops any save on this selection (no members, no criteria) shows at once.
    unusable = " ".join(str(error) for error in form.non_field_errors()) or None
    if scope is not None:
        try:
            preview = services.followups_preview(
                selection=selection,
                creator=request.associate,
                scope=scope,
                completed=bool(form.cleaned_data.get("completed")),
            )
        except services.SelectionUnusable as error:
            unusable = str(error)
    working_start = form.working_start()
    start_oob = None
    if working_start is not None:
        # Start shows the date "in N working days" gives, swapped in beside the preview.
        start = form["start_date"]
        start_oob = start.field.widget.render(
            start.html_name, working_start, attrs={"id": start.auto_id, "hx-swap-oob": "true"}
        )
    return render(
        request,
        TEMPLATE + "#preview",
        {
            "preview": preview,
            "unusable": unusable,
            "form": form,
            "selection": selection,
            "working_start": working_start,
            "start_oob": start_oob,
            "spread_dates": form.spread_dates(),
        },
    )


@require_POST
@associate_required
def generate_save(request: CrmRequest, pk: int) -> HttpResponse:
    selection = _task_selection(request, pk)
    form = GenerateFollowUpsForm(request.POST, selection=selection, associate=request.associate)
    if not form.is_valid():
        return _invalid(request, form, selection)
    try:
        scope, settings = form.scope(), form.settings()
        total = services.followups_preview(
            selection=selection, creator=request.associate, scope=scope, top=0
        ).followups
        if background.runs_in_background(total):
            job, _created = background.generation_enqueue(
                selection=selection,
                creator=request.associate,
                scope=scope,
                settings=settings,
                key=form.cleaned_data["key"],
                total=total,
            )
            return job_views.job_fragment(request, job)
        generation, created = services.followups_generate(
            selection=selection,
            creator=request.associate,
            scope=scope,
            settings=settings,
            key=form.cleaned_data["key"],
        )
    except services.GenerationRefused:
        form.add_error(None, _("This dialog was already used by someone else; open it again."))
        return _invalid(request, form, selection)
    except services.SelectionUnusable as error:
        form.add_error(None, error.args[0])
        return _invalid(request, form, selection)
    except DatabaseError:
        # The transaction was rolled back whole, unless the connection was lost during
        # COMMIT. The answer needs no database (it may be the database that failed);
        # the one-time key stays in the browser's form, so Save can be tried again.
        logger.exception("generation failed on selection %s", selection.pk)
        connection.close_if_unusable_or_obsolete()
        try:
            # A connection lost during COMMIT leaves the outcome open: ask.
            found = Generation.objects.filter(key=form.cleaned_data["key"]).first()
        except DatabaseError:
            connection.close_if_unusable_or_obsolete()
            return _save_failed(request, selection, SAVE_UNREACHABLE)
        if found is None or found.created_by_id != request.associate.pk:
            return _save_failed(request, selection, SAVE_FAILED)
        generation, created = found, False
    return _saved(request, selection, generation, created)


def _saved(
    request: CrmRequest, selection: Selection | None, generation: Generation, created: bool
) -> HttpResponse:
    """The success message, with Undo; the page refreshes what it shows of follow-ups."""
    message: str
    if generation.created_count:
        # The message offers undo straight away (a link to the confirmation).
        undo = reverse("followups:generation_undo", args=[generation.pk])
        message = format_html(
            '{} <a href="{}">{}</a>',
            _result_message(generation, request.associate),
            undo,
            _("Undo…"),
        )
    else:
        message = _result_message(generation, request.associate)
    messages.success(request, message)
    if not request.htmx:
        return redirect(selection or reverse("followups:generation_detail", args=[generation.pk]))
    response = render(request, "base.html#messages")
    response = reswap(response, "none")
    return trigger_client_event(
        response,
        "followupsCreated",
        {"generation": generation.pk, "count": generation.created_count, "new": created},
    )


@require_GET
@associate_required
def generate_status(request: CrmRequest, key: uuid.UUID) -> HttpResponse:
    """Did the save with this one-time key commit? For a dialog whose connection was
    lost before the answer came: the same answer as the save's if it did, the progress
    if it went to the background (204 if neither)."""
    generation = Generation.objects.filter(key=key, created_by=request.associate).first()
    if generation is None:
        job = background.jobs_of(request.associate).filter(key=key).first()
        if job is not None and request.htmx:
            # The save went to the background: its progress in place of the form.
            response = job_views.job_fragment(request, background.job_refresh(job))
            return reswap(retarget(response, "#generate-form"), "outerHTML")
        return HttpResponse(status=204)
    return _saved(request, generation.selection, generation, created=False)


def _invalid(
    request: CrmRequest, form: GenerateFollowUpsForm, selection: Selection
) -> HttpResponse:
    """Invalid input: the dialog again, values kept, each error next to its field
    (status 200, so htmx swaps it in)."""
    context = _dialog_context(form, selection, as_page=not request.htmx)
    return render(request, TEMPLATE + "#form" if request.htmx else TEMPLATE, context)


SAVE_FAILED = gettext_lazy(
    "The follow-ups could not be saved, and nothing was saved. "
    "Please try again; if it keeps failing, tell your administrator."
)
SAVE_UNREACHABLE = gettext_lazy(
    "The database cannot be reached just now, so the follow-ups could not be saved. "
    "Press Save again in a moment: the same dialog never creates its follow-ups twice."
)


def _save_failed(request: CrmRequest, selection: Selection, failure) -> HttpResponse:
    """A failed save, told without touching the database. With htmx only the dialog's
    status line changes, so everything typed stays as it was and Save can be pressed
    again (the one-time key makes a retry safe)."""
    context = {"selection": selection, "failure": failure}
    if request.htmx:
        response = render(request, TEMPLATE + "#status", context)
        response = retarget(response, "#generate-status")
        return reswap(response, "innerHTML")
    return render(request, "followups/generate_failed.html", context, status=503)


def _result_message(generation: Generation, me) -> str:
    count = generation.created_count
    n = number_format(count, force_grouping=True)
    if generation.owner_mode == OwnerMode.MINE or count == 0:
        return ngettext(
            "Created %(n)s follow-up in your activity list.",
            "Created %(n)s follow-ups in your activity list.",
            count,
        ) % {"n": n}
    if generation.owner_mode == OwnerMode.OTHER and generation.owner_associate is not None:
        return ngettext(
            "Created %(n)s follow-up in %(name)s's activity list.",
            "Created %(n)s follow-ups in %(name)s's activity list.",
            count,
        ) % {"n": n, "name": generation.owner_associate.name}
    # Our contact, or a user group: say how they were spread, largest share first.
    shares = (
        FollowUp.objects.filter(generation=generation)
        .values("owner")
        .annotate(n=Count("id"))
        .order_by("-n", "owner")
    )
    shares = list(shares[: services.PREVIEW_TOP_OWNERS + 1])
    names = _associate_names([s["owner"] for s in shares], me)
    parts = [
        f"{names[s['owner']]} {number_format(s['n'], force_grouping=True)}"
        for s in shares[: services.PREVIEW_TOP_OWNERS]
    ]
    if len(shares) > services.PREVIEW_TOP_OWNERS:
        parts.append(_("others"))
    if generation.owner_mode == OwnerMode.GROUP:
        return ngettext(
            "Created %(n)s follow-up across the user group %(group)s: %(who)s.",
            "Created %(n)s follow-ups across the user group %(group)s: %(who)s.",
            count,
        ) % {
            "n": n,
            "group": generation.owner_group.name if generation.owner_group else "",
            "who": ", ".join(parts),
        }
    return ngettext(
        "Created %(n)s follow-up in the our contacts' activity lists: %(who)s.",
        "Created %(n)s follow-ups in the our contacts' activity lists: %(who)s.",
        count,
    ) % {"n": n, "who": ", ".join(parts)}


def _associate_names(ids, me) -> dict:
    found = Associate.objects.select_related("user").in_bulk(ids)
    return {pk: (_("you") if pk == me.pk else a.name) for pk, a in found.items()}


@require_GET
@associate_required
def project_options(request: CrmRequest) -> HttpResponse:
    """Suggestions for the Project combobox: active projects whose name starts with the
    typed text (case-insensitive), or contains it after a leading %; PROJECT_SUGGESTIONS
    at a time from `offset`, the last option asking for the next ones."""
    # No name holds a NUL character (PostgreSQL refuses one in a query: a 500).
    text = (request.GET.get("q") or request.GET.get("project_text") or "")[
        :PROJECT_NAME_LENGTH
    ].replace("\x00", "")
    offset = _offset(request.GET.get("offset"))
    projects = find_projects(text).only("id", "name", "number")  # in name order, off the index
    rows = list(projects[offset : offset + PROJECT_SUGGESTIONS + 1])
    more = len(rows) > PROJECT_SUGGESTIONS and offset + PROJECT_SUGGESTIONS <= LAST_PROJECT_OFFSET
    return render(
        request,
        TEMPLATE + "#project-options",
        {
            "projects": rows[:PROJECT_SUGGESTIONS],
            "more": more,
            "next_offset": offset + PROJECT_SUGGESTIONS,
            "first_page": offset == 0,
            "text": text,
        },
    )


def _offset(value: str | None) -> int:
    """Where a page of suggestions starts: 0 unless `value` is a small whole number."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 7:
        return min(int(value), LAST_PROJECT_OFFSET)
    return 0


@require_GET
@associate_required
def generate_help(request: CrmRequest) -> HttpResponse:
    """How to generate follow-ups, step by step, in the user's language (the dialog's Help)."""
    return render(
        request, "followups/generate_help.html", {"description_max": DESCRIPTION_MAX_LENGTH}
    )

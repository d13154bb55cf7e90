"""Background generations: their progress, Cancel and Try again (followups/background.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from crm.access import CrmRequest, associate_required

from . import background
from .models import Generation, JobStatus

JOB_TEMPLATE = "followups/generation_list.html#job"


def _job(request: CrmRequest, pk: int):
    """One of this associate's jobs, as it is now; anyone else's answers 404."""
    return background.job_refresh(get_object_or_404(background.jobs_of(request.associate), pk=pk))


def job_fragment(request: CrmRequest, job) -> HttpResponse:
    """The job's progress; once it is done, the page is told as after a synchronous save
    (the message with Undo, and the followupsCreated event that closes the dialog)."""
    if not request.htmx:
        return redirect("followups:generation_list")
    html = render_to_string(JOB_TEMPLATE, {"job": job}, request)
    if job.status != JobStatus.DONE:
        return HttpResponse(html)
    generation = Generation.objects.filter(pk=job.generation_pk).first()
    if generation is None:  # undone and removed by an administrator since: nothing to say
        return HttpResponse(html)
    from .views import _result_message

    undo = reverse("followups:generation_undo", args=[generation.pk])
    messages.success(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _result_message(generation, request.associate),
            undo,
            _("Undo…"),
        ),
    )
    html += render_to_string("base.html#messages", {}, request)
    return trigger_client_event(
        HttpResponse(html),
        "followupsCreated",
        {"generation": generation.pk, "count": generation.created_count, "new": False},
    )


@require_GET
@associate_required
def job_status(request: CrmRequest, pk: int) -> HttpResponse:
    """The progress bar, polled every second while the job is queued or running."""
    return job_fragment(request, _job(request, pk))


@require_POST
@associate_required
def job_cancel(request: CrmRequest, pk: int) -> HttpResponse:
    job = background.job_cancel(_job(request, pk))
    if not request.htmx:
        messages.info(request, _("The generation is being cancelled; nothing will be saved."))
    return job_fragment(request, job)


@require_POST
@associate_required
def job_retry(request: CrmRequest, pk: int) -> HttpResponse:
    job = background.job_retry(_job(request, pk))
    return job_fragment(request, job)


def jobs_for_list(request: CrmRequest) -> list:
    """The generations page's jobs: this associate's that are not done, newest first."""
    jobs = background.jobs_of(request.associate).exclude(status=JobStatus.DONE)[:10]
    return [background.job_refresh(job) for job in jobs]

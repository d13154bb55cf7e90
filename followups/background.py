"""Big generations in the background: enqueued by Save, run by a worker, all or nothing.

Save of a generation of more than BACKGROUND_GENERATION_ABOVE follow-ups records a
GenerationJob with the dialog's one-time key and choices, and enqueues one task (the
task queue is django-tasks with its database backend, django-tasks-db; `manage.py
db_worker` runs it), both committed before Save answers. The same key again enqueues
nothing.

The worker (job_run) runs services.followups_generate, unchanged but for writing the
rows in chunks: one transaction on "default", so that a cancel, an error or a worker
that dies leaves nothing (the transaction dies with its connection). After each chunk
it records the rows written and a heartbeat in the "jobs" database, which other
processes see at once (config/routers.py), and finds out there whether Cancel was
pressed; if so, it raises and everything is rolled back. A running job whose heartbeat
is older than BACKGROUND_GENERATION_STALE_SECONDS has lost its worker: it is shown as
failed (unless its generation did commit), and can be started again with the same key.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings as conf
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, override

from config.routers import JOBS
from crm.models import Associate
from selections.models import Selection

from . import rows, services
from .models import Generation, GenerationJob, JobStatus

logger = logging.getLogger(__name__)

# Stored in English, as the catalogue's ids; the page shows them in the reader's
# language (`{% translate job.error %}`).
WORKER_STOPPED = gettext_noop("The worker stopped; nothing was saved. Try again.")
FAILED = gettext_noop("The follow-ups could not be saved, and nothing was saved. Try again.")


class JobStopped(Exception):
    """Cancel was pressed, or the job was given up meanwhile: roll everything back."""


def runs_in_background(total: int) -> bool:
    return total > conf.BACKGROUND_GENERATION_ABOVE


def generation_enqueue(
    *,
    selection: Selection,
    creator: Associate,
    scope: rows.Scope,
    settings: rows.Settings,
    key: uuid.UUID,
    total: int,
) -> tuple[GenerationJob, bool]:
    """Record the job and enqueue its task, both committed on return. Returns (job,
    created); the same key again returns the first job with created=False. Raises
    services.GenerationRefused for another user's key."""
    from .tasks import generate_in_background

    existing = GenerationJob.objects.filter(key=key).first()
    if existing is None:
        with transaction.atomic(using=JOBS):
            job, created = GenerationJob.objects.get_or_create(
                key=key,
                defaults={
                    "created_by_pk": creator.pk,
                    "selection_pk": selection.pk,
                    "selection_name": selection.name,
                    "choices": rows.as_json(scope, settings),
                    "total": total,
                },
            )
            if created:
                generate_in_background.enqueue(job.pk)
    else:
        job, created = existing, False
    if job.created_by_pk != creator.pk:
        raise services.GenerationRefused
    if created:
        logger.info(
            "generation job %s: %s queued %d follow-ups from selection %s",
            job.pk,
            creator.user.get_username(),
            total,
            selection.pk,
        )
    return job, created


def _report(job: GenerationJob, written: int) -> None:
    """After a chunk: the rows written and a heartbeat, committed at once (autocommit on
    "jobs"), unless Cancel was pressed, or this run was given up (for silent) and maybe
    started again meanwhile."""
    now = timezone.now()
    reported = GenerationJob.objects.filter(
        pk=job.pk, status=JobStatus.RUNNING, cancel_requested=False, attempt=job.attempt
    ).update(written=written, heartbeat=now)
    if not reported:
        raise JobStopped
    pause = getattr(conf, "BACKGROUND_GENERATION_TEST_PAUSE", 0)
    if pause:
        time.sleep(pause)  # test settings only: a chance to cancel or kill mid-way


def job_run(job_id: int) -> None:
    """Run a queued job to its end: done, cancelled or failed. The worker's task."""
    now = timezone.now()
    started = GenerationJob.objects.filter(
        pk=job_id, status=JobStatus.QUEUED, cancel_requested=False
    ).update(
        status=JobStatus.RUNNING,
        attempt=F("attempt") + 1,
        started_at=now,
        heartbeat=now,
        written=0,
        error="",
    )
    if not started:
        GenerationJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELLED, finished_at=now
        )
        return  # cancelled while queued, or already run
    job = GenerationJob.objects.get(pk=job_id)
    try:
        selection = Selection.objects.filter(pk=job.selection_pk).first()
        if selection is None:
            raise services.SelectionUnusable(_("This selection was deleted meanwhile."))
        creator = Associate.objects.select_related("user").get(pk=job.created_by_pk)
        scope, settings = rows.from_json(job.choices)
        generation, _created = services.followups_generate(
            selection=selection,
            creator=creator,
            scope=scope,
            settings=settings,
            key=job.key,
            chunk_size=conf.BACKGROUND_GENERATION_CHUNK,
            on_chunk=lambda written: _report(job, written),
        )
    except JobStopped:
        GenerationJob.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, attempt=job.attempt
        ).update(status=JobStatus.CANCELLED, written=0, finished_at=timezone.now())
        logger.info("generation job %s cancelled; nothing was saved", job.pk)
        return
    except services.SelectionUnusable as error:
        with override("en"):
            _fail(job, str(error))
        return
    except Exception:
        logger.exception("generation job %s failed; nothing was saved", job.pk)
        _fail(job, FAILED)
        return
    GenerationJob.objects.filter(pk=job.pk, attempt=job.attempt).update(
        status=JobStatus.DONE,
        written=generation.created_count,
        total=generation.created_count,
        generation_pk=generation.pk,
        finished_at=timezone.now(),
        heartbeat=timezone.now(),
    )


def _fail(job: GenerationJob, message: str) -> None:
    GenerationJob.objects.filter(pk=job.pk, attempt=job.attempt).update(
        status=JobStatus.FAILED, written=0, error=message, finished_at=timezone.now()
    )


def job_refresh(job: GenerationJob) -> GenerationJob:
    """The job as it is now. A running job whose worker has been silent too long is
    settled: done if its generation committed (the worker stopped right after), else
    failed with WORKER_STOPPED."""
    stale_before = timezone.now() - timedelta(seconds=conf.BACKGROUND_GENERATION_STALE_SECONDS)
    if job.status == JobStatus.RUNNING and job.heartbeat and job.heartbeat < stale_before:
        generation = Generation.objects.filter(key=job.key).first()
        if generation is not None:
            update = {
                "status": JobStatus.DONE,
                "generation_pk": generation.pk,
                "written": generation.created_count,
            }
        else:
            update = {"status": JobStatus.FAILED, "written": 0, "error": WORKER_STOPPED}
        GenerationJob.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, heartbeat__lt=stale_before
        ).update(finished_at=timezone.now(), **update)
        job.refresh_from_db()
    return job


def job_cancel(job: GenerationJob) -> GenerationJob:
    """Cancel: a queued job is cancelled at once; a running one when its worker next
    reports (after the chunk under way), which rolls everything back."""
    GenerationJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, cancel_requested=True, finished_at=timezone.now()
    )
    GenerationJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


def job_retry(job: GenerationJob) -> GenerationJob:
    """Start a failed or cancelled job again, with the same key and choices (nothing of
    it was saved, and the key makes a second run of a saved one create nothing)."""
    from .tasks import generate_in_background

    with transaction.atomic(using=JOBS):
        again = GenerationJob.objects.filter(
            pk=job.pk, status__in=[JobStatus.FAILED, JobStatus.CANCELLED]
        ).update(
            status=JobStatus.QUEUED,
            cancel_requested=False,
            written=0,
            error="",
            started_at=None,
            heartbeat=None,
            finished_at=None,
        )
        if again:
            generate_in_background.enqueue(job.pk)
    job.refresh_from_db()
    return job


def jobs_of(associate: Associate):
    """This associate's jobs: the one rule for whose progress a user may see."""
    return GenerationJob.objects.filter(created_by_pk=associate.pk)

"""followups.background: big generations in the background, written in chunks in one
transaction, with progress, Cancel, a stopped worker, and the views that show them."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from demo.factories import AssociateFactory
from followups import background, services
from followups.models import FollowUp, Generation, GenerationJob, JobStatus, OwnerMode
from tests.helpers import HTMX, element, generation_choices

pytestmark = pytest.mark.django_db(databases="__all__")

COLUMNS = (
    "type_id",
    "start_date",
    "description",
    "project_id",
    "priority_id",
    "completed",
    "created_by_id",
    "owner_id",
    "company_id",
    "person_id",
)


@pytest.fixture
def choices(call_type):
    def _choices(**changes):
        values = {
            "type": call_type,
            "start_date": date(2026, 3, 2),
            "description": "Call about the spring offer",
        }
        values.update(changes)
        return generation_choices(**values)

    return _choices


def written(generation) -> list[tuple]:
    """The generation's follow-ups in the order they were written."""
    return list(FollowUp.objects.filter(generation=generation).order_by("id").values_list(*COLUMNS))


@pytest.mark.parametrize("one_per_company", [False, True])
@pytest.mark.parametrize("owner_mode", [OwnerMode.MINE, OwnerMode.OUR_CONTACT])
def test_it_writes_the_same_rows_in_chunks_as_in_one_statement(
    selection, salesperson, add_members, choices, owner_mode, one_per_company
):
    add_members(selection, 47)
    dialog = choices(owner_mode=owner_mode, one_per_company=one_per_company)
    whole, _ = services.followups_generate(
        selection=selection, creator=salesperson, **dialog, key=uuid.uuid4()
    )
    reports = []
    chunked, _ = services.followups_generate(
        selection=selection,
        creator=salesperson,
        **dialog,
        key=uuid.uuid4(),
        chunk_size=10,
        on_chunk=reports.append,
    )

    assert written(chunked) == written(whole)
    assert chunked.created_count == whole.created_count
    n = whole.created_count
    assert reports == [*range(10, n, 10), n] if n % 10 else list(range(10, n + 1, 10))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's numbering")
def test_on_sqlite_each_chunk_reads_a_rowid_range_of_the_numbered_rows(
    selection, salesperson, add_members, choices
):
    """The temporary table's number is its rowid: a chunk is a range of it, read in
    order, with no index of its own and no sort."""
    add_members(selection, 25)
    plans = []

    def on_chunk(written):
        chunk = [q["sql"] for q in ctx.captured_queries if "followup_rows r WHERE" in q["sql"]]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + chunk[-1])
            plans.append(" / ".join(row[-1] for row in cursor.fetchall()))

    with CaptureQueriesContext(connection) as ctx:
        services.followups_generate(
            selection=selection,
            creator=salesperson,
            **choices(),
            key=uuid.uuid4(),
            chunk_size=10,
            on_chunk=on_chunk,
        )

    assert len(plans) == 3
    for plan in plans:
        assert "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)" in plan, plan
        assert "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("failure", [background.JobStopped, DatabaseError])
def test_a_stop_or_a_failure_in_chunk_k_leaves_nothing(
    selection, salesperson, add_members, choices, failure
):
    add_members(selection, 30)

    def on_chunk(n):
        if n >= 20:  # the second chunk is written, the third never is
            raise failure

    with pytest.raises(failure):
        services.followups_generate(
            selection=selection,
            creator=salesperson,
            **choices(),
            key=uuid.uuid4(),
            chunk_size=10,
            on_chunk=on_chunk,
        )
    assert FollowUp.objects.count() == 0
    assert Generation.objects.count() == 0


def enqueue(selection, creator, dialog, *, key=None, total=30):
    return background.generation_enqueue(
        selection=selection,
        creator=creator,
        scope=dialog["scope"],
        settings=dialog["settings"],
        key=key or uuid.uuid4(),
        total=total,
    )


def test_a_job_runs_to_the_end_and_tells_the_owners_after_the_commit(
    selection,
    salesperson,
    add_members,
    choices,
    settings,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    settings.BACKGROUND_GENERATION_CHUNK = 7
    add_members(selection, 30)
    job, created = enqueue(selection, salesperson, choices(owner_mode=OwnerMode.OUR_CONTACT))
    assert created and job.status == JobStatus.QUEUED
    assert DBTaskResult.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        background.job_run(job.pk)

    job.refresh_from_db()
    generation = Generation.objects.get(key=job.key)
    assert (job.status, job.written, job.generation_pk) == (JobStatus.DONE, 30, generation.pk)
    assert FollowUp.objects.filter(generation=generation).count() == 30
    assert len(callbacks) == 1  # generation_notify, once
    assert len(mailoutbox) == 1  # the our contact of every company: one notice


def test_cancel_mid_way_leaves_nothing(
    selection, salesperson, add_members, choices, settings, monkeypatch
):
    settings.BACKGROUND_GENERATION_CHUNK = 10
    add_members(selection, 40)
    job, _ = enqueue(selection, salesperson, choices())
    report = background._report

    def cancel_after_the_first_chunk(job_, n):
        report(job_, n)
        background.job_cancel(GenerationJob.objects.get(pk=job_.pk))

    monkeypatch.setattr(background, "_report", cancel_after_the_first_chunk)
    background.job_run(job.pk)

    job.refresh_from_db()
    assert (job.status, job.written) == (JobStatus.CANCELLED, 0)
    assert FollowUp.objects.count() == 0
    assert Generation.objects.count() == 0


def test_a_job_cancelled_while_queued_never_runs(selection, salesperson, add_members, choices):
    add_members(selection, 10)
    job, _ = enqueue(selection, salesperson, choices())
    assert background.job_cancel(job).status == JobStatus.CANCELLED
    background.job_run(job.pk)
    assert FollowUp.objects.count() == 0


def test_the_same_key_enqueues_nothing_more(selection, salesperson, choices):
    key = uuid.uuid4()
    first, created = enqueue(selection, salesperson, choices(), key=key)
    again, created_again = enqueue(selection, salesperson, choices(), key=key)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert GenerationJob.objects.count() == 1
    assert DBTaskResult.objects.count() == 1
    with pytest.raises(services.GenerationRefused):
        enqueue(selection, AssociateFactory(), choices(), key=key)


def test_a_silent_worker_is_reported_failed_and_can_start_again(
    selection, salesperson, choices, settings
):
    settings.BACKGROUND_GENERATION_STALE_SECONDS = 60
    job, _ = enqueue(selection, salesperson, choices())
    GenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, written=10, heartbeat=timezone.now() - timedelta(seconds=61)
    )
    job = background.job_refresh(GenerationJob.objects.get(pk=job.pk))
    assert (job.status, job.written) == (JobStatus.FAILED, 0)
    assert job.error == "The worker stopped; nothing was saved. Try again."

    job = background.job_retry(job)
    assert job.status == JobStatus.QUEUED
    assert DBTaskResult.objects.count() == 2


# The views ------------------------------------------------------------------------------


def save_url(selection) -> str:
    return reverse("followups:generate_save", args=[selection.pk])


def test_above_the_threshold_save_enqueues_and_answers_at_once(
    login, salesperson, selection, add_members, dialog_data, settings
):
    settings.BACKGROUND_GENERATION_ABOVE = 20
    add_members(selection, 21)
    client = login(salesperson)
    data = dialog_data()

    response = client.post(save_url(selection), data, headers=HTMX)
    again = client.post(save_url(selection), data, headers=HTMX)  # a double click

    assert response.status_code == again.status_code == 200
    html = response.content.decode()
    assert element(html, "div", role="progressbar", aria_valuemax="21", aria_valuenow="0")
    assert FollowUp.objects.count() == 0
    job = GenerationJob.objects.get()
    assert (str(job.key), job.total, job.created_by_pk) == (data["key"], 21, salesperson.pk)
    assert DBTaskResult.objects.count() == 1


def test_at_the_threshold_save_stays_synchronous(
    login, salesperson, selection, add_members, dialog_data, settings
):
    settings.BACKGROUND_GENERATION_ABOVE = 21
    add_members(selection, 21)
    response = login(salesperson).post(save_url(selection), dialog_data(), headers=HTMX)
    assert json.loads(response["HX-Trigger"])["followupsCreated"]["count"] == 21
    assert GenerationJob.objects.count() == 0


def test_the_status_shows_progress_then_done(
    login, salesperson, selection, add_members, choices, settings
):
    add_members(selection, 12)
    job, _ = enqueue(selection, salesperson, choices(), total=12)
    GenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, written=6, started_at=timezone.now(), heartbeat=timezone.now()
    )
    client = login(salesperson)
    url = reverse("followups:job_status", args=[job.pk])

    running = client.get(url, headers=HTMX).content.decode()
    assert 'aria-valuenow="6"' in running and "6 of 12 written (50 %)" in running
    assert 'hx-trigger="every 1s"' in running

    GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    background.job_run(job.pk)
    done = client.get(url, headers=HTMX)
    assert json.loads(done["HX-Trigger"])["followupsCreated"]["count"] == 12
    assert "every 1s" not in done.content.decode()


@pytest.mark.parametrize("view", ["job_status", "job_cancel", "job_retry"])
def test_it_checks_ownership(login, salesperson, outsider, selection, choices, view):
    job, _ = enqueue(selection, salesperson, choices())
    client = login(outsider)
    url = reverse(f"followups:{view}", args=[job.pk])
    response = client.get(url, headers=HTMX) if view == "job_status" else client.post(url)
    assert response.status_code == 404
    job.refresh_from_db()
    assert (job.status, job.cancel_requested) == (JobStatus.QUEUED, False)


def test_cancel_from_the_page(login, salesperson, selection, choices):
    job, _ = enqueue(selection, salesperson, choices())
    response = login(salesperson).post(reverse("followups:job_cancel", args=[job.pk]), headers=HTMX)
    assert "Cancelled; nothing was saved." in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_the_generations_page_lists_jobs_under_way(login, salesperson, selection, choices):
    enqueue(selection, salesperson, choices(), total=25_000)
    html = login(salesperson).get(reverse("followups:generation_list")).content.decode()
    assert "In the background" in html and "Waiting for a worker to start" in html
    assert "Cancel generation" in html


def test_a_lost_answer_finds_the_job_in_the_background(
    login, salesperson, selection, add_members, dialog_data, settings
):
    settings.BACKGROUND_GENERATION_ABOVE = 5
    add_members(selection, 6)
    client = login(salesperson)
    data = dialog_data()
    client.post(save_url(selection), data, headers=HTMX)

    response = client.get(reverse("followups:generate_status", args=[data["key"]]), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#generate-form"
    assert element(response, "div", role="progressbar")


def test_a_job_no_worker_has_started_says_so(login, salesperson, selection, choices, settings):
    settings.BACKGROUND_GENERATION_STALE_SECONDS = 60
    job, _ = enqueue(selection, salesperson, choices())
    GenerationJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timedelta(seconds=61)
    )
    html = login(salesperson).get(reverse("followups:job_status", args=[job.pk]), headers=HTMX)
    assert "tell your administrator" in html.content.decode()


def test_a_run_given_up_and_started_again_stops_by_itself(
    selection, salesperson, add_members, choices, settings, monkeypatch
):
    """A worker silent for too long is given up; if it comes back after the job was
    started again, its next report fails and it rolls back: the new run wins."""
    settings.BACKGROUND_GENERATION_CHUNK = 10
    add_members(selection, 30)
    job, _ = enqueue(selection, salesperson, choices())
    report = background._report

    def started_again_meanwhile(job_, n):
        GenerationJob.objects.filter(pk=job_.pk).update(attempt=job_.attempt + 1)
        report(job_, n)

    monkeypatch.setattr(background, "_report", started_again_meanwhile)
    background.job_run(job.pk)

    assert FollowUp.objects.count() == 0
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING  # the newer run's to settle


def test_a_stopped_worker_is_told_in_the_readers_language(
    login, salesperson, selection, choices, settings
):
    settings.BACKGROUND_GENERATION_STALE_SECONDS = 60
    job, _ = enqueue(selection, salesperson, choices())
    GenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, heartbeat=timezone.now() - timedelta(seconds=61)
    )
    client = login(salesperson)
    url = reverse("followups:job_status", args=[job.pk])
    norwegian = client.get(url, headers={**HTMX, "Accept-Language": "nb"}).content.decode()
    english = client.get(url, headers={**HTMX, "Accept-Language": "en"}).content.decode()
    assert "Bakgrunnsprosessen stoppet; ingenting ble lagret." in norwegian
    assert "The worker stopped; nothing was saved." in english


def test_a_job_spreads_across_a_user_group_as_the_same_save_at_once_would(
    selection, salesperson, group, add_members, choices, settings
):
    """Every choice of the dialog reaches the worker: a job spreading across a user group,
    evenly, with the start spread over working days, writes the rows a save at
    once writes."""
    from demo.factories import AssociateFactory as Colleague
    from followups.models import SpreadMethod

    Colleague(primary_group=group, user__first_name="Ida")
    Colleague(primary_group=group, user__first_name="Jon")
    settings.BACKGROUND_GENERATION_CHUNK = 4
    add_members(selection, 15)
    dialog = choices(
        owner_mode=OwnerMode.GROUP,
        owner_group=group,
        spread_method=SpreadMethod.EVENLY,
        spread_days=3,
    )
    at_once, _ = services.followups_generate(
        selection=selection, creator=salesperson, **dialog, key=uuid.uuid4()
    )
    job, _ = enqueue(selection, salesperson, dialog)

    background.job_run(job.pk)

    job.refresh_from_db()
    in_background = Generation.objects.get(key=job.key)
    assert job.status == JobStatus.DONE
    assert (in_background.owner_group, in_background.spread_days) == (group, 3)
    assert written(in_background) == written(at_once)
    assert len({row.owner_id for row in FollowUp.objects.filter(generation=in_background)}) > 1

"""Background generations with a real worker process (`manage.py db_worker`) against
the test database: to the end, cancelled, and killed mid-way. PostgreSQL only: the
SQLite test databases live in this process's memory, where no other process sees them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from followups import background, services
from followups.models import FollowUp, Generation, GenerationJob, JobStatus

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True, databases="__all__"),
    pytest.mark.skipif(
        "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="a worker process needs a database it can reach: PostgreSQL",
    ),
]


def start_worker(*, pause: float = 0, batch: bool = False) -> subprocess.Popen:
    settings = connection.settings_dict
    url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**settings)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "SECRET_KEY": "worker-test",
        "TEST_GENERATION_CHUNK": "10",
        "TEST_GENERATION_PAUSE": str(pause),
    }
    env.pop("DEBUG", None)
    args = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload"]
    args += ["--interval", "0.1"] + (["--batch"] if batch else [])
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def wait_for(condition, timeout: float = 30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def queued(selection, salesperson, add_members, call_type):
    """A queued job for a 60-member selection (6 chunks of 10)."""
    add_members(selection, 60)
    job, _ = background.generation_enqueue(
        selection=selection,
        creator=salesperson,
        scope=services.Scope(),
        settings=services.Settings(
            type=call_type, start_date=date(2026, 3, 2), description="Spring offer"
        ),
        key=uuid.uuid4(),
        total=60,
    )
    return job


def job(pk) -> GenerationJob:
    return GenerationJob.objects.get(pk=pk)


def test_a_worker_runs_a_background_generation_to_the_end(queued):
    worker = start_worker(batch=True)
    output = worker.communicate(timeout=60)[0].decode()
    assert worker.returncode == 0, output

    done = job(queued.pk)
    generation = Generation.objects.get(key=queued.key)
    assert (done.status, done.written, done.generation_pk) == (JobStatus.DONE, 60, generation.pk)
    assert FollowUp.objects.filter(generation=generation).count() == 60


def test_a_worker_cancelled_mid_way_saves_nothing(queued):
    worker = start_worker(pause=0.3)
    try:
        wait_for(lambda: job(queued.pk).written >= 10)
        background.job_cancel(job(queued.pk))
        wait_for(lambda: job(queued.pk).status == JobStatus.CANCELLED)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=30)
    assert FollowUp.objects.count() == 0
    assert Generation.objects.count() == 0


def test_a_worker_killed_mid_way_saves_nothing_and_is_reported_failed(queued, settings):
    worker = start_worker(pause=0.3)
    try:
        wait_for(lambda: job(queued.pk).written >= 20)
    finally:
        worker.kill()  # SIGKILL: no chance to clean up
        worker.communicate(timeout=30)
    # The dead worker's transaction is rolled back by PostgreSQL when its connection drops.
    wait_for(lambda: not _open_transactions())
    assert FollowUp.objects.count() == 0
    assert Generation.objects.count() == 0

    settings.BACKGROUND_GENERATION_STALE_SECONDS = 1
    time.sleep(1.2)
    stopped = background.job_refresh(job(queued.pk))
    assert stopped.status == JobStatus.FAILED
    assert stopped.error == "The worker stopped; nothing was saved. Try again."

    # Started again, it runs to the end with the same key.
    background.job_retry(stopped)
    worker = start_worker(batch=True)
    worker.communicate(timeout=60)
    assert job(queued.pk).status == JobStatus.DONE
    assert FollowUp.objects.count() == 60


def _open_transactions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]

"""The tasks the worker (`manage.py db_worker`) runs."""

from __future__ import annotations

from django_tasks import task

from . import background


@task()
def generate_in_background(job_id: int) -> None:
    """A background generation (followups/background.py)."""
    background.job_run(job_id)

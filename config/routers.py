"""Where background generations' jobs and the task queue live: the "jobs" database.

A background generation writes all its follow-ups in one transaction on "default", so
that it is all or nothing, and reports its progress after each chunk. That report must
be seen (and a Cancel written) by other processes while the transaction is still open:

- On PostgreSQL, "jobs" is the same database reached through a second connection in
  autocommit (settings: a test mirror of "default"). Each progress report commits at
  once; the generation's transaction stays open beside it. The tables are migrated
  once, on "default".
- On SQLite, the generation's open transaction holds the file's one write lock, so no
  other connection could write a progress report (or a Cancel, or a new task) to it
  until the end. "jobs" is therefore a file of its own, and the jobs' and the task
  queue's tables are migrated there only (`manage.py migrate --database jobs`); nothing
  else is migrated there.

No foreign key crosses between the two: a job holds the ids of its selection, creator
and generation as plain numbers.
"""

from __future__ import annotations

from django.conf import settings

JOBS = "jobs"
JOB_APPS = {"django_tasks_db"}
JOB_MODELS = {("followups", "generationjob")}


def _is_job_model(app_label: str, model_name: str | None) -> bool:
    return app_label in JOB_APPS or (app_label, model_name) in JOB_MODELS


def jobs_share_default() -> bool:
    """True where "jobs" is the default database through a second connection."""
    return bool(settings.DATABASES[JOBS].get("TEST", {}).get("MIRROR"))


class JobsRouter:
    def db_for_read(self, model, **hints):
        if _is_job_model(model._meta.app_label, model._meta.model_name):
            return JOBS
        return None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if jobs_share_default():
            return db != JOBS
        if _is_job_model(app_label, model_name):
            return db == JOBS
        if db == JOBS:
            # The migration records only (django_migrations); no other table.
            return False
        return None

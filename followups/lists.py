"""Which follow-ups each list shows: one definition for the page and for a change made
to all of its rows."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import FollowUp

FILTERS = ("open", "overdue", "today", "week")


def start_of(day):
    """Midnight at the start of `day`, in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def activity_parts(
    associate, show: str, today, generation_id: int | None = None
) -> tuple[QuerySet, QuerySet]:
    """The activity list's two parts for a filter: open follow-ups, and those completed
    today (a closed range, which SQLite's planner reads from the index over completed
    follow-ups); only those of one generation with `generation_id`."""
    mine = FollowUp.objects.filter(owner=associate)
    if generation_id is not None:
        mine = mine.filter(generation_id=generation_id)
    open_ = mine.filter(completed=False)
    done_today = mine.filter(
        completed=True,
        completed_at__gte=start_of(today),
        completed_at__lt=start_of(today + timedelta(1)),
    )
    if show == "overdue":
        open_, done_today = open_.filter(start_date__lt=today), done_today.none()
    elif show == "today":
        open_, done_today = open_.filter(start_date=today), done_today.filter(start_date=today)
    elif show == "week":
        week = {"start_date__gte": today, "start_date__lt": today + timedelta(7)}
        open_, done_today = open_.filter(**week), done_today.filter(**week)
    return open_, done_today


def activity_rows(associate, show: str, generation_id: int | None = None) -> QuerySet:
    """Every row the activity list shows with that filter, on all its pages."""
    open_, done_today = activity_parts(associate, show, timezone.localdate(), generation_id)
    return open_ | done_today

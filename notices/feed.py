"""The personal calendar feed: an associate's open follow-ups as an iCalendar (RFC 5545)
file, streamed: all-day events on their start date, and timed events (DTSTART, and DTEND
with a duration, in UTC) for the appointments and phone calls that have a time.

The calendar and every value in it are encoded by the icalendar library: the calendar's
own properties by its Calendar component, each event's text and date properties by its
value types (vText, vDate) and content lines (Contentline, which escapes and folds).
Building a Component per event costs about a millisecond each, far too slow for 20,000
follow-ups; so each distinct line is encoded once and remembered for the request (the
follow-ups of one generation share their type, start date and description, many share
a start date or a company), and lines that are the same for every value (the UID, the stamp, the
link) are formatted directly. The UID is the follow-up's id and the site's host, so a
calendar client updates an event rather than adding it twice; DTSTAMP is the follow-up's
last change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar, Parameters, vDate, vDatetime, vText
from icalendar.parser import Contentline

from crm.models import Associate
from followups.models import FollowUp, FollowUpType

PRODID = "-//CRM follow-ups//Calendar feed//EN"
CHUNK = 2000  # rows read at a time
FLUSH = 500  # events per piece of the streamed answer
LINE_LIMIT = 75  # octets a line may hold before it is folded (RFC 5545, 3.1)
ONE_DAY = timedelta(days=1)


def _line(name: str, value, **parameters) -> str:
    """One content line, escaped by icalendar's value type and folded by its Contentline
    (a line of at most LINE_LIMIT octets needs no folding: it is used as it is)."""
    line = f"{name}{_params(parameters)}:{value.to_ical().decode()}"
    if len(line.encode()) > LINE_LIMIT:
        line = Contentline(line).to_ical().decode()
    return line + "\r\n"


def _params(parameters: dict) -> str:
    if not parameters:
        return ""
    return ";" + Parameters(parameters).to_ical().decode()


class _Lines(dict):
    """Each distinct (name, value) encoded once. DTSTART and DTEND take the start date
    (a date, or its ISO text as SQLite gives it): an all-day event ends the day after."""

    def __missing__(self, key):
        name, value = key
        if name in {"DTSTART", "DTEND"}:
            day = value if isinstance(value, date) else date.fromisoformat(value)
            encoded = _line(name, vDate(day + ONE_DAY if name == "DTEND" else day), VALUE="DATE")
        else:
            encoded = _line(name, vText(value))
        self[key] = encoded
        return encoded


def _moment(value) -> datetime:
    """An aware datetime as the database gives it: aware on PostgreSQL, UTC text on
    SQLite."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _length(value) -> timedelta:
    """A duration as the database gives it: a timedelta, or microseconds on SQLite."""
    return value if isinstance(value, timedelta) else timedelta(microseconds=int(value))


def _timed(start_at, duration) -> str:
    """DTSTART (and DTEND, with a duration) of a timed event, in UTC."""
    start = _moment(start_at).replace(microsecond=0)
    lines = _line("DTSTART", vDatetime(start))
    if duration is not None:
        lines += _line("DTEND", vDatetime(start + _length(duration)))
    return lines


def feed_name(associate: Associate) -> str:
    with translation.override(associate.mail_language):
        return translation.gettext("Follow-ups: %(name)s") % {"name": associate.name}


def calendar_chunks(associate: Associate, types: dict[int, str]) -> Iterator[bytes]:
    """The feed in pieces: the calendar's head, the events FLUSH at a time, its end.
    `types` names each follow-up type (in the associate's language). One query, read
    CHUNK rows at a time; the completed follow-ups are left out.

    Each event: UID, DTSTAMP (this answer's time: the feed has no METHOD, so it says
    when the calendar was last revised), DTSTART and DTEND (an all-day event on the
    start date; for a follow-up with a time, its start, and its end if it has a
    duration, in UTC), SUMMARY (type and the description's first line), LOCATION (the
    company), DESCRIPTION and URL (the follow-up's page)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", feed_name(associate))
    calendar.add("x-published-ttl", vText("PT1H"))
    whole = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    yield whole[: -len(end)]

    site = settings.SITE_URL
    host = urlsplit(site).hostname or "localhost"
    detail = site + reverse("followups:detail", args=[0]).removesuffix("0/")
    stamp = vDatetime(timezone.now().astimezone(UTC).replace(microsecond=0)).to_ical().decode()
    # The lines that hold an id are ASCII and need no escaping; folded only when a long
    # host name makes them too long.
    longest = "9" * 19
    fold = max(len(f"UID:followup-{longest}@{host}"), len(f"URL:{detail}{longest}/")) > LINE_LIMIT
    lines = _Lines()
    # What follow-ups share: the start (DTSTART and DTEND, in one piece), and the type
    # and description (SUMMARY and DESCRIPTION), each encoded once.
    days: dict = {}
    texts: dict[tuple, tuple[str, str]] = {}
    piece: list[str] = []
    for pk, start, type_id, description, company, start_at, duration in _open_followups(associate):
        key = (start, start_at, duration)
        when = days.get(key)
        if when is None:
            if start_at is not None:
                when = days[key] = _timed(start_at, duration)
            else:
                when = days[key] = f"{lines['DTSTART', start]}{lines['DTEND', start]}"
        text = texts.get((type_id, description))
        if text is None:
            title = description.strip().split("\n", 1)[0].strip()
            summary = _line("SUMMARY", vText(f"{types.get(type_id, '')}: {title}"))
            text = texts[type_id, description] = (summary, lines["DESCRIPTION", description])
        common = (when + text[0], text[1])
        uid, url = f"UID:followup-{pk}@{host}", f"URL:{detail}{pk}/"
        if fold:
            uid, url = Contentline(uid).to_ical().decode(), Contentline(url).to_ical().decode()
        piece.append(
            f"BEGIN:VEVENT\r\n{uid}\r\nDTSTAMP:{stamp}\r\n{common[0]}"
            f"{lines['LOCATION', company] if company else ''}{common[1]}"
            f"{url}\r\nEND:VEVENT\r\n"
        )
        if len(piece) >= FLUSH:
            yield "".join(piece).encode()
            piece = []
    yield "".join(piece).encode() + end


def _open_followups(associate: Associate) -> Iterator[tuple]:
    """(id, start date, type id, description, company name, start_at, duration) of the
    associate's open follow-ups by start date, from the index over them, CHUNK rows at
    a time (a server-side cursor on PostgreSQL). The rows are read as the database
    gives them, without the ORM's per-row conversion (a third of the time for 20,000
    rows): the start date may be its ISO text, start_at UTC text, a duration
    microseconds."""
    queryset = (
        FollowUp.objects.filter(owner=associate, completed=False)
        .order_by("start_date", "id")
        .values_list(
            "id", "start_date", "type_id", "description", "company__name", "start_at", "duration"
        )
    )
    sql, params = queryset.query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            yield from rows


def type_names(associate: Associate) -> dict[int, str]:
    """Every follow-up type's name in the associate's language (one small query)."""
    with translation.override(associate.mail_language):
        return {t.pk: t.display_name for t in FollowUpType.objects.all()}

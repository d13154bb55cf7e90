"""A list of follow-ups as a file: CSV or Excel (.xlsx), in the user's language and date
style, at constant memory whatever the number of rows.

The rows are read in chunks by a server-side cursor (QuerySet.iterator); type, priority
and owner names come from their small tables, read once. CSV is streamed as it is
written. An .xlsx file is a zip archive that can only be finished at the end, so
XlsxWriter writes it row by row to a temporary file (its constant-memory mode keeps one
row in memory) and the file is then streamed.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator

import xlsxwriter
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from crm.dates import get_format, hours_minutes
from crm.models import Associate

from .models import FollowUpType, Priority

CHUNK = 2000
FIELDS = [
    "start_date",
    "type_id",
    "description",
    "company__name",
    "person__first_name",
    "person__last_name",
    "project__name",
    "priority_id",
    "owner_id",
    "completed",
    "completed_at",
    "start_at",
    "duration",
]
# strftime-style directives of Django's date formats, for Excel's number format.
EXCEL_PARTS = {
    "d": "dd",
    "j": "d",
    "m": "mm",
    "n": "m",
    "Y": "yyyy",
    "y": "yy",
    "H": "hh",
    "i": "mm",
    "P": "h:mm AM/PM",
}


def headings() -> list[str]:
    return [
        _("Start"),
        _("Type"),
        _("Description"),
        _("Company"),
        _("Person"),
        _("Project"),
        _("Priority"),
        _("Owner"),
        _("Completed"),
        _("Completed at"),
        _("Start time"),
        _("Duration"),
    ]


def _rows(followups: QuerySet, ordering=None) -> Iterator[list]:
    """Each follow-up as its cells, in the list's order (`ordering`, lists.ordering; by
    start without one): dates as dates, names in the active language. The names are
    read at once, in the request's language; the rows as they are consumed."""
    types = {t.pk: t.display_name for t in FollowUpType.objects.all()}
    priorities = {p.pk: p.display_name for p in Priority.objects.all()}
    owners = {a.pk: a.name for a in Associate.objects.select_related("user")}
    yes, no = _("yes"), _("no")
    # The request's time zone, read now: the rows are written after the view returned.
    zone = timezone.get_current_timezone()
    values = followups.order_by(*(ordering or ["start_date", "id"])).values_list(*FIELDS)

    def rows() -> Iterator[list]:
        for row in values.iterator(chunk_size=CHUNK):
            (start, type_id, description, company, first, last) = row[:6]
            (project, priority_id, owner_id, done, done_at, start_at, duration) = row[6:]
            yield [
                start,
                types.get(type_id, ""),
                description,
                company or "",
                f"{first or ''} {last or ''}".strip(),
                project or "",
                priorities.get(priority_id, ""),
                owners.get(owner_id, ""),
                yes if done else no,
                timezone.localtime(done_at, zone) if done_at else None,
                timezone.localtime(start_at, zone) if start_at else None,
                duration,
            ]

    return rows()


class _Echo:
    """A file that hands back what is written to it: csv.writer's output, line by line."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """The file's lines. It is sent after the view has returned, outside the request's
    language and date style, so both are read here, at once."""
    writer = csv.writer(_Echo())
    short_date = get_format("SHORT_DATE_FORMAT")
    short_datetime = get_format("SHORT_DATETIME_FORMAT")
    time_format = get_format("TIME_FORMAT")
    first = ["\ufeff", writer.writerow(headings())]  # the mark: Excel reads UTF-8 (æ, ø, å)

    def lines() -> Iterator[str]:
        yield from first
        for row in rows:
            row[0] = date_format(row[0], short_date)
            row[9] = date_format(row[9], short_datetime) if row[9] else ""
            row[10] = date_format(row[10], time_format) if row[10] else ""
            row[11] = hours_minutes(row[11])
            yield writer.writerow([_safe(cell) for cell in row])

    return lines()


def _safe(cell):
    """A text a spreadsheet would run as a formula (=, +, -, @) is written as text."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def csv_response(followups: QuerySet, name: str, ordering=None) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        _csv_lines(_rows(followups, ordering)), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def excel_format(django_format: str) -> str:
    """Django's "d.m.Y" as Excel's "dd.mm.yyyy"."""
    return "".join(EXCEL_PARTS.get(c, c) for c in django_format)


def xlsx_response(followups: QuerySet, name: str, ordering=None) -> FileResponse:
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    book = xlsxwriter.Workbook(
        handle, {"constant_memory": True, "tmpdir": tempfile.gettempdir(), "in_memory": False}
    )
    sheet = book.add_worksheet(_("Follow-ups")[:31])
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": excel_format(get_format("SHORT_DATE_FORMAT"))})
    moment = book.add_format({"num_format": excel_format(get_format("SHORT_DATETIME_FORMAT"))})
    clock = book.add_format({"num_format": excel_format(get_format("TIME_FORMAT"))})
    hours = book.add_format({"num_format": "[h]:mm"})
    for column, heading in enumerate(headings()):
        sheet.write_string(0, column, heading, bold)
    sheet.set_column(0, 0, 12)
    sheet.set_column(2, 2, 40)
    sheet.set_column(9, 9, 17)
    for number, row in enumerate(_rows(followups, ordering), start=1):
        sheet.write_datetime(number, 0, row[0], day)
        for column in range(1, 9):
            if row[column]:
                sheet.write_string(number, column, row[column])
        if row[9]:
            sheet.write_datetime(number, 9, row[9].replace(tzinfo=None), moment)
        if row[10]:
            sheet.write_datetime(number, 10, row[10].time().replace(tzinfo=None), clock)
        if row[11]:
            sheet.write_datetime(number, 11, row[11], hours)
    book.close()
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{name}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

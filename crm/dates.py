"""The associate's date style: how dates and times are shown and typed.

Each language's own formats (config/formats/) are day first and 24-hour. An associate may
choose another style on their settings page; it is kept in the session at login and
when saved, so that no page needs a query for it. DateStyleMiddleware makes it the
request's style, and then:

- the template filters `date` and `time` (crm/templatetags/dates.py, a builtin that
  replaces Django's filters of the same name) show SHORT_DATE_FORMAT, DATETIME_FORMAT and
  the others in the style;
- StyleDateField reads the dates of the style and writes its own value in it.

Django's localisation itself (`{{ value }}` without a filter, the admin's change lists)
follows the language's formats, which are the day-first style.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal, overload

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import DateStyle, zone_of

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

SESSION_KEY = "crm_date_style"
TIME_ZONE_SESSION_KEY = "crm_time_zone"

# What each style changes; the day-first style is the language's own formats. The first
# input format is the one a text field shows.
STYLE_FORMATS: dict[str, dict[str, str | list[str]]] = {
    DateStyle.DAY_FIRST: {},
    DateStyle.ISO: {
        "DATE_FORMAT": "Y-m-d",
        "DATETIME_FORMAT": "Y-m-d H:i",
        "TIME_FORMAT": "H:i",
        "SHORT_DATE_FORMAT": "Y-m-d",
        "SHORT_DATETIME_FORMAT": "Y-m-d H:i",
        "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
        "DATETIME_INPUT_FORMATS": ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    },
    DateStyle.US: {
        "DATE_FORMAT": "N j, Y",
        "DATETIME_FORMAT": "N j, Y, P",
        "TIME_FORMAT": "P",
        "SHORT_DATE_FORMAT": "m/d/Y",
        "SHORT_DATETIME_FORMAT": "m/d/Y P",
        "DATE_INPUT_FORMATS": ["%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d"],
        "DATETIME_INPUT_FORMATS": ["%m/%d/%Y %H:%M", "%m/%d/%y %H:%M", "%Y-%m-%d %H:%M"],
    },
}

# What a text field for a date says it expects.
PLACEHOLDERS: dict[str, StrPromise] = {
    DateStyle.DAY_FIRST: _("dd.mm.yyyy"),
    DateStyle.ISO: _("yyyy-mm-dd"),
    DateStyle.US: _("mm/dd/yyyy"),
}

_style: ContextVar[str] = ContextVar("crm_date_style", default=DateStyle.DAY_FIRST)


def current_style() -> str:
    """The request's date style (day first outside a request)."""
    return _style.get()


def style_of(value: object) -> str:
    """A stored style, or the default for anything else (an old or tampered session)."""
    return value if isinstance(value, str) and value in STYLE_FORMATS else DateStyle.DAY_FIRST


InputFormatName = Literal["DATE_INPUT_FORMATS", "DATETIME_INPUT_FORMATS", "TIME_INPUT_FORMATS"]


# A name of an input format gives a list, any other name a string (a name held in a plain
# str is taken for a display format, hence the overlap).
@overload
def get_format(name: InputFormatName) -> list[str]: ...  # type: ignore[overload-overlap]
@overload
def get_format(name: str) -> str: ...
def get_format(name: str) -> str | list[str]:
    """As django.utils.formats.get_format, in the request's style: a format setting's
    name ("SHORT_DATE_FORMAT") gives the style's format; anything else, such as "Y-m-d",
    is left as it is."""
    name = str(name)
    found = STYLE_FORMATS[current_style()].get(name)
    return formats.get_format(name) if found is None else found


@contextmanager
def activate(style: str | None) -> Iterator[None]:
    """`with activate(style):` formats in that style (a request does it through
    DateStyleMiddleware)."""
    token = _style.set(style_of(style))
    try:
        yield
    finally:
        _style.reset(token)


class DateStyleMiddleware:
    """The associate's date style, from the session, for the rest of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        with activate(session.get(SESSION_KEY) if session is not None else None):
            return self.get_response(request)


def remember(request: HttpRequest, style: str, time_zone: str | None = None) -> None:
    """Keep the associate's style (and time zone) in their session: at login and when
    they change them."""
    request.session[SESSION_KEY] = style_of(style)
    if time_zone is not None:
        request.session[TIME_ZONE_SESSION_KEY] = zone_of(time_zone).key


class TimeZoneMiddleware:
    """The associate's time zone, from the session (kept there as the date style is),
    active for the rest of the request: aware times render in it, timezone.localdate()
    is their today, and a time typed into a form is read in it. Without one, the site's
    TIME_ZONE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        name = session.get(TIME_ZONE_SESSION_KEY) if session is not None else None
        if name is None:
            return self.get_response(request)
        with timezone.override(zone_of(name)):
            return self.get_response(request)


def hours_minutes(value: timedelta | None) -> str:
    """A duration as hours and minutes, as it is typed: 0:45, 1:30, 24:00."""
    if value is None:
        return ""
    minutes = int(value.total_seconds()) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def _date_input_formats() -> list[str]:
    return list(get_format("DATE_INPUT_FORMATS"))


def input_format() -> str:
    """How a date is written into a text field in the request's style ("%d.%m.%Y")."""
    return _date_input_formats()[0]


def _invalid_date_message() -> str:
    example = timezone.localdate().strftime(input_format())
    return gettext("Enter a real date, such as %(example)s.") % {"example": example}


invalid_date_message = lazy(_invalid_date_message, str)


class StyleDateInput(forms.DateInput):
    """A text field for a date in the associate's style (01.12.2026, 2026-12-01 or
    12/01/2026), with the style as its placeholder.

    `<input type="date">` shows the date as the browser's own language has it, whatever
    the language of the page: an English Chromium shows 12/01/2026 on a Norwegian page.
    With script, a button beside the field opens the browser's calendar
    (static/js/app.js, input[data-date-picker]) and writes the date chosen in the style.
    """

    input_type = "text"

    def __init__(self, attrs: dict | None = None):
        super().__init__({"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, date):
            return value.strftime(input_format())
        return value

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs.setdefault("placeholder", str(PLACEHOLDERS[current_style()]))
        widget_attrs["data-date-picker"] = input_format()
        widget_attrs["data-picker-label"] = gettext("Choose a date")
        return context


class StyleDateField(forms.DateField):
    """A date typed in the associate's style; ISO (2026-12-01) is always understood,
    so a browser's own date field still works."""

    widget = StyleDateInput
    input_formats = lazy(_date_input_formats, list)()
    default_error_messages = {"invalid": invalid_date_message()}

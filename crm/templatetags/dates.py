"""The `date` and `time` filters in the associate's date style (crm/dates.py).

A builtin of the template engine (TEMPLATES in config/settings.py), loaded after
Django's own, so `{{ followup.start_date|date:"SHORT_DATE_FORMAT" }}` in any template
shows 01.12.2026, 2026-12-01 or 12/01/2026 as the associate chose. A format string such
as "Y-m-d" is used as it is, as Django's filters do.
"""

from __future__ import annotations

from django import template
from django.template import defaultfilters

from crm.dates import get_format, hours_minutes

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's `date` filter, in the associate's style."""
    return defaultfilters.date(value, get_format(arg or "DATE_FORMAT"))


@register.filter(expects_localtime=True, is_safe=False)
def time(value, arg=None):
    """Django's `time` filter, in the associate's style."""
    return defaultfilters.time(value, get_format(arg or "TIME_FORMAT"))


@register.filter(is_safe=False)
def duration_text(value):
    """A duration as hours and minutes (1:30)."""
    return hours_minutes(value) if value else ""

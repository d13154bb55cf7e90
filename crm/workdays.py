"""Working days: weekdays that are not public holidays in the country of the setting
HOLIDAY_COUNTRY (Norway by default), from the `holidays` library."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from django.conf import settings


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def is_working_day(day: date, country: str | None = None) -> bool:
    country = country or settings.HOLIDAY_COUNTRY
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def working_days_after(start: date, n: int, country: str | None = None) -> date:
    """The n-th working day after `start` (for 0: `start` if it is one, else the next).
    In Norway, 1 working day after the Wednesday before Easter is the Tuesday after it
    (Maundy Thursday, Good Friday and Easter Monday are holidays)."""
    day = start
    while not is_working_day(day, country):
        day += timedelta(days=1)
    for _ in range(n):
        day += timedelta(days=1)
        while not is_working_day(day, country):
            day += timedelta(days=1)
    return day

"""Norwegian Bokmål: Django's own formats, with a day-first date first among the input
formats (it starts with ISO), so a text field shows 01.12.2026."""

DATE_FORMAT = "j. F Y"  # 1. desember 2026
DATETIME_FORMAT = "j. F Y H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j. F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = [
    "%d.%m.%Y",  # 01.12.2026, 1.12.2026
    "%d.%m.%y",  # 01.12.26
    "%Y-%m-%d",  # 2026-12-01
]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
]

"""English as a Norwegian team reads it: 01.12.2026 19:49, not 12/01/2026 7:49 p.m.

Numbers keep Django's English formats; only dates and times are set here.
"""

DATE_FORMAT = "j F Y"  # 1 December 2026
DATETIME_FORMAT = "j F Y H:i"  # 1 December 2026 19:49
TIME_FORMAT = "H:i"  # 19:49
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d.m.Y"  # 01.12.2026
SHORT_DATETIME_FORMAT = "d.m.Y H:i"  # 01.12.2026 19:49
FIRST_DAY_OF_WEEK = 1  # Monday
# The first is how a date is written into a text field. Only unambiguous forms are
# read: day first with dots, or ISO; never 01/12/2026, which an American reads as
# 12 January.
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

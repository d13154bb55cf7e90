"""Pages of a list without counting the whole list first.

Django's Paginator counts every row to number the pages: for an associate with 100,000
follow-ups that COUNT costs more than the page itself. The follow-up lists page with
"previous" and "next" instead, asking for one row more than a page to know whether
there is a next one. The counters already say how many are open.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Page:
    object_list: list
    number: int
    has_more: bool

    def has_next(self) -> bool:
        return self.has_more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_more or self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def __len__(self) -> int:
        return len(self.object_list)


def page_of(queryset, number, size: int) -> Page:
    """Page `number` (1-based; anything else is page 1) of `queryset`: 1 query."""
    try:
        number = max(1, min(int(number), 100_000))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(rows[:size], number, len(rows) > size)

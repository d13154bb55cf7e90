"""Pages of a list without counting the whole list first.

Django's Paginator counts every row to number the pages: for an associate with 100,000
follow-ups that COUNT costs more than the page itself. The follow-up lists page with
"previous" and "next" instead, asking for one row more than a page to know whether
there is a next one. The counters already say how many are open.
"""

from __future__ import annotations

from dataclasses import dataclass

# Rows on a page of every follow-up list and of the generations page.
PAGE_SIZE = 50


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


def page_number(value) -> int:
    """The page asked for, 1-based; anything that is not a page number is page 1."""
    try:
        return max(1, min(int(value), 100_000))
    except (TypeError, ValueError):
        return 1


def page_of(rows, number, size: int) -> Page:
    """Page `number` (see page_number) of a queryset (1 query) or a list."""
    number = page_number(number)
    start = (number - 1) * size
    rows = list(rows[start : start + size + 1])
    return Page(rows[:size], number, len(rows) > size)

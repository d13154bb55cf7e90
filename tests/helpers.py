"""Small helpers shared by the tests."""

from __future__ import annotations

import contextlib
import re
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone


def day(offset: int) -> date:
    """Today (in the site's time zone) plus `offset` days."""
    return timezone.localdate() + timedelta(days=offset)


def rows(response) -> dict[int, str]:
    """{follow-up id: the row's class}, in the order a follow-up list shows them."""
    found = re.findall(r'<tr id="followup-(\d+)" class="([^"]*)"', response.content.decode())
    return {int(pk): css for pk, css in found}


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def rolled_back():
    """Run one example of a property test in a savepoint that is always rolled back, so
    that every example starts from the same rows."""
    with contextlib.suppress(_Rollback), transaction.atomic():
        yield
        raise _Rollback


def generation_choices(**values) -> dict:
    """The scope and settings of a generation from one set of values, as the keyword
    arguments services.followups_generate takes: followups_generate(…, **generation_choices(…))."""
    from followups.rows import split

    scope, settings = split(values)
    return {"scope": scope, "settings": settings}


def tags(html: str, tag_name: str, /, **attrs) -> list[dict]:
    """The attributes of each <tag_name> element whose attributes include `attrs` (in any
    order, as a browser reads them)."""
    from html.parser import HTMLParser

    found: list[dict] = []

    class Finder(HTMLParser):
        def handle_starttag(self, tag, pairs):
            values = {k: ("" if v is None else v) for k, v in pairs}
            if tag == tag_name and all(values.get(k) == v for k, v in attrs.items()):
                found.append(values)

    Finder().feed(html)
    return found

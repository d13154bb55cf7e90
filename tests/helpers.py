"""Small helpers shared by the tests of the follow-up lists."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.utils import timezone


def day(offset: int) -> date:
    """Today (in the site's time zone) plus `offset` days."""
    return timezone.localdate() + timedelta(days=offset)


def rows(response) -> dict[int, str]:
    """{follow-up id: the row's class}, in the order a follow-up list shows them."""
    found = re.findall(r'<tr id="followup-(\d+)" class="([^"]*)"', response.content.decode())
    return {int(pk): css for pk, css in found}

"""The personal calendar feed, reached by its secret address (no login: calendar
programs fetch it on their own)."""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from crm.models import Associate

from . import feed

# What Associate.new_calendar_token makes (secrets.token_urlsafe): anything else is
# refused before the database sees it (PostgreSQL refuses a NUL character, say).
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> StreamingHttpResponse:
    """The associate's open follow-ups as iCalendar; 404 for an address that is not (or
    no longer) anyone's, or an inactive associate's."""
    if not TOKEN.fullmatch(token):
        raise Http404
    associate = (
        Associate.objects.active().select_related("user").filter(calendar_token=token).first()
    )
    if associate is None:
        raise Http404
    types = feed.type_names(associate)
    response = StreamingHttpResponse(
        feed.calendar_chunks(associate, types), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="followups.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response

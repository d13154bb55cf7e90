"""Middleware of the whole site (order and place: MIDDLEWARE in config/settings.py)."""

from __future__ import annotations

import codecs
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# Forms are read as UTF-8; ASCII is part of it. Names as codecs spells them, so that
# "UTF8", "utf_8" and "US-ASCII" count too.
FORM_CHARSETS = {"utf-8", "ascii"}


class FormCharsetMiddleware:
    """A form posted in a charset other than UTF-8 (or ASCII) is answered 415 with one
    line of text, before anything reads it.

    Django refuses such a urlencoded body when a view or the CSRF check first reads it,
    with a traceback in the log (and with DEBUG on, the error page reads it again and
    answers 500); an unknown charset it silently reads as UTF-8. Browsers send no
    charset with a form, so only a hand-made request is refused. A charset that names
    UTF-8 another way is accepted and the form read as UTF-8.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type in FORM_TYPES:
            charset = (request.content_params or {}).get("charset")
            if charset is not None:
                if _codec_name(charset) not in FORM_CHARSETS:
                    return HttpResponse(
                        "Form data must be sent as UTF-8.\n",
                        status=415,
                        content_type="text/plain; charset=utf-8",
                    )
                request.encoding = "utf-8"
        return self.get_response(request)


def _codec_name(charset: str) -> str | None:
    try:
        return codecs.lookup(charset).name
    except (LookupError, ValueError):  # unknown; a NUL in the name
        return None


class NoStoreForUsersMiddleware:
    """Every answer to a logged-in user (pages, HTMX fragments, redirects) says
    `Cache-Control: private, no-store`: neither the browser's cache nor a shared proxy
    keeps a copy of someone's CRM data. Static files are answered by whitenoise before
    this runs and stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

"""Who is asking: every app page works for a logged-in associate."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from .models import Associate


class HtmxRequest(HttpRequest):
    """A request after django-htmx's middleware: `request.htmx` says whether htmx sent it.
    For type checking only; Django builds the requests."""

    htmx: HtmxDetails


class CrmRequest(HtmxRequest):
    """A request to a view behind `associate_required`: `request.associate` is the
    logged-in, active associate."""

    associate: Associate


def local_path(request: HttpRequest, url: str | None) -> str | None:
    """`url` if it is a path on this site (a form's "next"), else None: never another
    site, never a scheme-relative "//host"."""
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return None


def _page_shown(request: HtmxRequest) -> str:
    """The path of the page the user is on: the request's own for a page load, else the
    page that sent it (htmx says which; a plain form post has its Referer). A POST-only
    address is never the place to come back to after logging in."""
    if request.method == "GET" and not request.htmx:
        return request.get_full_path()
    for url in (request.headers.get("HX-Current-URL"), request.headers.get("Referer")):
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(url)
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def session_ended(request: HtmxRequest) -> HttpResponse:
    """Not logged in (any more: a logout in another tab, a session that timed out).

    A page load goes to the login page and back. A request from a page already shown
    (htmx) answers 401 with a short message and a login link to that page, so the page,
    and what was typed into it, stays as it is; the script shows the message where the
    request came from. A plain form post goes to the login page, then back to the page
    it was posted from (not to the POST-only address)."""
    back = _page_shown(request)
    if request.htmx:
        login = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
        return render(request, "registration/session_ended.html", {"login_url": login}, status=401)
    return redirect_to_login(back)


def associate_required(view):
    """Logged in (else session_ended), then the request's associate as
    `request.associate` (403 if the login has no active associate: an
    administrator-only account, say)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return session_ended(request)
        try:
            associate = (
                Associate.objects.select_related("user", "primary_group")
                .prefetch_related("other_groups")
                .get(user=request.user)
            )
        except Associate.DoesNotExist:
            raise PermissionDenied(_("Your login is not linked to an associate.")) from None
        if not associate.active:
            raise PermissionDenied(_("Your associate is inactive."))
        associate.user = request.user  # share the permission cache
        request.associate = associate
        return view(request, *args, **kwargs)

    return wrapper

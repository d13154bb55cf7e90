"""Company and person cards, with the tabs other apps give them (crm.cards); logging
in, the language switch and the associate's own settings."""

from __future__ import annotations

import logging
from typing import Literal, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import cards, dates
from .access import CrmRequest, associate_required
from .forms import PreferencesForm
from .models import Associate, Company, Person

logger = logging.getLogger(__name__)


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    """The same cookie as Django's set_language sets; blank: the browser's language."""
    # The setting is one of these (Django's check); its stub says only str.
    samesite = cast(Literal["Lax", "Strict", "None"] | None, settings.LANGUAGE_COOKIE_SAMESITE)
    if not language:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=samesite,
        )
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=samesite,
    )


class LoginView(auth_views.LoginView):
    """Log in, then show the app in the associate's own language and date style."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        associate = Associate.objects.filter(user=form.get_user()).first()
        if associate:
            dates.remember(self.request, associate.date_style)
            if associate.language:
                _set_language_cookie(response, associate.language)
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (cookie, safe redirect), remembered on the associate."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and check_for_language(language or ""):
        Associate.objects.filter(user=request.user).update(language=language)
    return response


@require_http_methods(["GET", "POST"])
@associate_required
def preferences(request: CrmRequest) -> HttpResponse:
    """The associate's own settings: language, date style, e-mail, and the address of
    their calendar feed."""
    form = PreferencesForm(request.POST or None, instance=request.associate)
    if request.method == "POST" and form.is_valid():
        associate = form.save(commit=False)
        associate.save(update_fields=PreferencesForm.Meta.fields)
        dates.remember(request, associate.date_style)
        response = redirect("crm:settings")
        _set_language_cookie(response, associate.language)
        # In the language just chosen (the next page's).
        with translation.override(associate.language or translation.get_language()):
            messages.success(request, _("Your settings are saved."))
        return response
    token = request.associate.calendar_token
    feed_url = settings.SITE_URL + reverse("calendar_feed", args=[token]) if token else ""
    return render(request, "crm/settings.html", {"form": form, "feed_url": feed_url})


@require_POST
@associate_required
def calendar_token(request: CrmRequest) -> HttpResponse:
    """A new secret address for the associate's calendar feed; the old one answers 404
    from now on."""
    had = bool(request.associate.calendar_token)
    request.associate.new_calendar_token()
    if had:
        messages.success(
            request, _("Your calendar has a new address. The old address no longer works.")
        )
    else:
        messages.success(request, _("Your calendar has an address now."))
    return redirect(reverse("crm:settings") + "#calendar")


@require_GET
@associate_required
def company_detail(request: CrmRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company.objects.select_related("our_contact__user"), pk=pk)
    persons = company.persons.order_by("rank", "last_name", "id")[:200]
    tabs, shown = cards.card_tabs(request, company)
    context = {"company": company, "persons": persons, "tabs": tabs, "shown": shown}
    return render(request, "crm/company_detail.html", context)


@require_GET
@associate_required
def person_detail(request: CrmRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(
        Person.objects.select_related("company__our_contact__user", "our_contact__user"), pk=pk
    )
    tabs, shown = cards.card_tabs(request, person)
    context = {"person": person, "tabs": tabs, "shown": shown}
    return render(request, "crm/person_detail.html", context)


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For a load balancer or a process supervisor: 200 when both databases answer (the
    main one and the jobs' one, config/routers.py), else 503. No login; nothing said
    about the failure beyond its kind (the log has the rest)."""
    from django.db import DatabaseError, connections

    for alias in ("default", "jobs"):
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            logger.exception("health check: database %s does not answer", alias)
            connections[alias].close_if_unusable_or_obsolete()
            return HttpResponse(
                f"database {alias} unavailable\n", status=503, content_type="text/plain"
            )
    return HttpResponse("ok\n", content_type="text/plain")

"""Two administration pages for setting up the CRM, inside Django admin (their URLs come
from GroupAdmin and AssociateAdmin in crm/admin.py; admin_view lets only active staff
in, and each page asks for the permissions Django admin itself would).

- User levels: the CRM rights of every role, a short row of checkboxes each.
- New associate: a login, its associate, user level and user groups in one form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import ModelAdmin, helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from .forms import RIGHT_HINTS, RIGHTS, NewAssociateForm, UserLevelsForm, user_levels


class AdminRequest(HttpRequest):
    """A request to an admin page: admin_view lets only a logged-in staff user in. For
    type checking only."""

    user: User


USER_LEVELS_PERMS = ["auth.change_group"]
NEW_ASSOCIATE_PERMS = ["auth.add_user", "auth.change_user", "crm.add_associate"]


def _context(request: HttpRequest, model_admin: ModelAdmin, title: str, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        **extra,
    }


def _level_description(group) -> str:
    users = ngettext(
        "%(n)s user has this user level.", "%(n)s users have this user level.", group.user_count
    ) % {"n": group.user_count}
    return format_html(
        '{} <a href="{}">{}</a>',
        users,
        reverse("admin:auth_group_change", args=[group.pk]),
        _("All its permissions"),
    )


@require_http_methods(["GET", "POST"])
def user_levels_page(request: AdminRequest, model_admin: ModelAdmin) -> HttpResponse:
    """The roles and their CRM rights; saving changes only those rights."""
    if not request.user.has_perms(USER_LEVELS_PERMS):
        raise PermissionDenied(_("Changing user levels needs the permission to change groups."))
    groups = list(user_levels())
    form = UserLevelsForm(request.POST or None, groups=groups)
    if request.method == "POST" and form.is_valid():
        changed = form.save()
        if changed:
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=changed,
                action_flag=CHANGE,
                change_message=[{"changed": {"fields": ["permissions"]}}],
            )
            names = ", ".join(group.name for group in changed)
            messages.success(request, _("Saved the rights of: %(names)s.") % {"names": names})
        else:
            messages.info(request, _("No rights were changed."))
        return redirect("admin:auth_group_user_levels")
    fieldsets = [
        (
            group.name,
            {
                "fields": [f"rights_{group.pk}", f"shown_{group.pk}"],
                "description": _level_description(group),
            },
        )
        for group in groups
    ]
    context = _context(
        request,
        model_admin,
        _("User levels"),
        # AdminForm takes any form; the stubs ask for a ModelForm.
        adminform=helpers.AdminForm(form, fieldsets, {}),  # type: ignore[arg-type]
        form=form,
        levels=groups,
        rights=[(label, RIGHT_HINTS[codename]) for codename, label in RIGHTS],
    )
    return TemplateResponse(request, "admin/auth/group/user_levels.html", context)


@require_http_methods(["GET", "POST"])
def new_associate_page(request: AdminRequest, model_admin: ModelAdmin) -> HttpResponse:
    """A new associate with login, user level and user groups, saved all or nothing."""
    if not request.user.has_perms(NEW_ASSOCIATE_PERMS):
        raise PermissionDenied(
            _(
                "Adding an associate needs the permissions to add and change users and to add associates."
            )
        )
    form = NewAssociateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            associate = form.save()
        except IntegrityError:  # the same username, saved by someone else a moment ago
            form.add_error("username", _("A user with that username already exists."))
        else:
            model_admin.log_addition(request, associate, [{"added": {}}])
            messages.success(
                request,
                _("Added %(name)s (login %(username)s) as %(level)s.")
                % {
                    "name": associate.name,
                    "username": associate.user.get_username(),
                    "level": form.cleaned_data["role"].name,
                },
            )
            if model_admin.has_view_or_change_permission(request):
                return redirect("admin:crm_associate_changelist")
            return redirect("admin:index")
    fieldsets = [
        (
            _("Login"),
            {
                "fields": [
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "password1",
                    "password2",
                ]
            },
        ),
        (_("In the CRM"), {"fields": ["role", "primary_group", "other_groups"]}),
    ]
    context = _context(
        request,
        model_admin,
        _("New associate with login"),
        adminform=helpers.AdminForm(form, fieldsets, {}),
        form=form,
        errors=helpers.AdminErrorList(form, []),
    )
    return TemplateResponse(request, "admin/crm/associate/new.html", context)

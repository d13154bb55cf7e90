"""Who is asking: every app page works for a logged-in associate."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import Associate


def associate_required(view):
    """login_required, then the request's associate as `request.associate` (403 if the
    login has no active associate: an administrator-only account, say)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
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

from django.contrib import admin

from .models import DigestSent


@admin.register(DigestSent)
class DigestSentAdmin(admin.ModelAdmin):
    """The log of morning digests: read-only (the digest command writes it)."""

    list_display = ["day", "associate", "sent_at"]
    list_filter = ["day"]
    list_select_related = ["associate__user"]
    search_fields = ["associate__user__username", "associate__user__last_name"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

from django.contrib import admin
from django.db.models import Count

from .models import Selection, SelectionMember


class SelectionMemberInline(admin.TabularInline):
    model = SelectionMember
    fields = ["company", "person", "added_at"]
    readonly_fields = ["added_at"]
    autocomplete_fields = ["company", "person"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company", "person")


@admin.register(Selection)
class SelectionAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "visibility", "member_count", "created_at"]
    list_filter = ["visibility"]
    list_select_related = ["owner__user"]
    search_fields = ["name", "description", "owner__user__username"]
    autocomplete_fields = ["owner"]
    inlines = [SelectionMemberInline]

    # A selection can hold 100,000 members; an inline of them all would be unusable, so
    # bigger selections are edited on their own page (or under "Selection members").
    INLINE_LIMIT = 300

    def get_inline_instances(self, request, obj=None):
        if obj is not None and obj.members.count() > self.INLINE_LIMIT:
            return []
        return super().get_inline_instances(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


@admin.register(SelectionMember)
class SelectionMemberAdmin(admin.ModelAdmin):
    list_display = ["id", "selection", "company", "person", "added_at"]
    list_select_related = ["selection", "company", "person"]
    search_fields = ["selection__name", "company__name", "person__last_name"]
    autocomplete_fields = ["selection", "company", "person"]

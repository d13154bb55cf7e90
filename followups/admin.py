from typing import cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.models import Project

from . import services
from .forms import FollowUpRulesForm, with_current
from .models import BulkChange, FollowUp, FollowUpType, Generation, GenerationJob, Priority


class FollowUpAdminForm(FollowUpRulesForm):
    """The app's rules for a follow-up (FollowUpRulesForm): active type, priority and
    owner, the start date range, the description's length; and an active project. A
    value the follow-up already has may stay, even if deactivated since."""

    class Meta:
        model = FollowUp
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["project"]).queryset = with_current(
            Project.objects.active(), self.instance.project_id
        )
        self.fields["project"].error_messages["invalid_choice"] = _(
            "That project is no longer available; choose another."
        )


@admin.register(FollowUpType)
class FollowUpTypeAdmin(admin.ModelAdmin):
    """Types in use cannot be deleted (PROTECT; admin lists the follow-ups that use
    them): deactivate them instead, and they are never offered again. Each has a name
    in English and one in Norwegian (blank: the English one), shown in the user's
    language everywhere else."""

    list_display = ["name", "name_nb", "kind", "colour", "rank", "active"]
    list_filter = ["active", "kind"]
    search_fields = ["name", "name_nb"]


@admin.register(Priority)
class PriorityAdmin(admin.ModelAdmin):
    list_display = ["name", "name_nb", "rank", "active"]
    list_filter = ["active"]
    search_fields = ["name", "name_nb"]


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    form = FollowUpAdminForm
    list_display = ["title", "type", "start_date", "owner", "company", "person", "completed"]
    list_filter = ["completed", "type", "priority"]
    list_select_related = ["type", "owner__user", "company", "person"]
    search_fields = ["description", "company__name", "person__last_name", "project__name"]
    autocomplete_fields = ["owner", "company", "person", "project", "created_by"]
    raw_id_fields = ["generation"]
    date_hierarchy = "start_date"
    readonly_fields = ["created_at", "updated_at"]

    def get_object(self, request, object_id, from_field=None):
        """On a save, the row is locked from here to the end of the admin's transaction,
        as the app's own edits do: an undo waits for it (and then keeps the changed
        follow-up), and one that removed it first leaves nothing to save ("does not
        exist"), instead of the save creating it again."""
        if request.method == "POST":
            queryset = self.get_queryset(request).select_for_update(of=("self",))
            model = queryset.model
            field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
            try:
                return queryset.get(**{field.name: field.to_python(object_id)})
            except (model.DoesNotExist, ValidationError, ValueError):
                return None
        return super().get_object(request, object_id, from_field)

    def save_model(self, request, obj, form, change):
        services.followup_admin_save(
            followup=obj, change=change, changed=form.changed_data, user=request.user
        )


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    """The audit trail: read-only."""

    list_display = [
        "created_at",
        "created_by",
        "selection_name",
        "type",
        "start_date",
        "owner_mode",
        "one_per_company",
        "completed",
        "created_count",
    ]
    list_filter = ["owner_mode", "one_per_company", "completed", "type"]
    list_select_related = ["created_by__user", "type"]
    search_fields = ["selection_name", "description", "created_by__user__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BulkChange)
class BulkChangeAdmin(admin.ModelAdmin):
    """Changes made to many follow-ups at once, and their undo: read-only."""

    list_display = ["created_at", "created_by", "summary", "changed_count", "undone_at"]
    list_filter = ["action"]
    list_select_related = ["created_by__user"]
    search_fields = ["summary", "created_by__user__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    """Background generations, as their workers left them: read-only (Cancel and Try
    again are on the Generations page)."""

    list_display = [
        "created_at",
        "selection_name",
        "created_by_pk",
        "status",
        "written",
        "total",
        "heartbeat",
        "generation_pk",
    ]
    list_filter = ["status"]
    search_fields = ["selection_name", "key"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

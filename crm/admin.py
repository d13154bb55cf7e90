from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.urls import path

from . import admin_views
from .models import Associate, Company, Person, Project, UserGroup

# Roles (user levels) are auth groups: Django's own admin, plus the page of their CRM
# rights (crm/admin_views.py).
admin.site.unregister(Group)


@admin.register(Group)
class UserLevelAdmin(GroupAdmin):
    def get_urls(self):
        page = self.admin_site.admin_view(self.user_levels_view)
        return [path("user-levels/", page, name="auth_group_user_levels"), *super().get_urls()]

    def user_levels_view(self, request):
        return admin_views.user_levels_page(request, self)


@admin.register(UserGroup)
class UserGroupAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Associate)
class AssociateAdmin(admin.ModelAdmin):
    list_display = ["__str__", "username", "primary_group", "roles", "active"]
    list_filter = [
        "active",
        "primary_group",
        "user__groups",
        "notify_assignments",
        "morning_digest",
    ]
    list_select_related = ["user", "primary_group"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user", "primary_group"]
    filter_horizontal = ["other_groups"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("user__groups")

    def get_urls(self):
        page = self.admin_site.admin_view(self.new_associate_view)
        return [path("new/", page, name="crm_associate_new"), *super().get_urls()]

    def new_associate_view(self, request):
        return admin_views.new_associate_page(request, self)

    @admin.display(description="login", ordering="user__username")
    def username(self, obj):
        return obj.user.get_username()

    @admin.display(description="role (user level)")
    def roles(self, obj):
        return ", ".join(group.name for group in obj.user.groups.all()) or "—"


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "category", "our_contact", "active"]
    list_filter = ["active", "category"]
    list_select_related = ["our_contact__user"]
    search_fields = ["name", "city"]
    autocomplete_fields = ["our_contact"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["__str__", "company", "rank", "email", "phone", "our_contact"]
    list_select_related = ["company", "our_contact__user"]
    search_fields = ["first_name", "last_name", "email", "company__name"]
    autocomplete_fields = ["company", "our_contact"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "number", "active"]
    list_filter = ["active"]
    search_fields = ["name", "number"]

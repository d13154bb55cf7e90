"""The right "Can manage selections" (create selections, change their members and
criteria, freeze them), granted to the sales roles; Read only may look, not change."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTED_TO = ["Salesperson", "Sales manager"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure ours exists now.
    app_config = apps.get_app_config("crm")
    app_config.models_module = True  # the migration state's stub has none
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perm = Permission.objects.get(content_type__app_label="crm", codename="manage_selections")
    for group in Group.objects.filter(name__in=GRANTED_TO):
        group.permissions.add(perm)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="crm", codename="manage_selections").delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_project_name_index")]

    operations = [
        migrations.AlterModelOptions(
            name="associate",
            options={
                "ordering": ["user__first_name", "user__last_name", "user__username"],
                "permissions": [
                    ("create_selection_tasks", "Can create tasks for a selection"),
                    ("assign_to_our_contact", "Can assign follow-ups to a company's our contact"),
                    ("see_all_associates", "Can see all associates"),
                    ("manage_selections", "Can manage selections"),
                ],
                "verbose_name": "associate",
                "verbose_name_plural": "associates",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]

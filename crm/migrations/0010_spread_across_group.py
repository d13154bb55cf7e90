"""The right "Can spread follow-ups across a user group", granted to every role that
has "Can assign follow-ups to a company's our contact" (Sales manager by default)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure ours exists now.
    app_config = apps.get_app_config("crm")
    app_config.models_module = True  # the migration state's stub has none
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perm = Permission.objects.get(content_type__app_label="crm", codename="spread_across_group")
    roles = Group.objects.filter(
        permissions__content_type__app_label="crm",
        permissions__codename="assign_to_our_contact",
    )
    for group in roles:
        group.permissions.add(perm)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(
        content_type__app_label="crm", codename="spread_across_group"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_name_match_indexes")]

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
                    ("spread_across_group", "Can spread follow-ups across a user group"),
                ],
                "verbose_name": "associate",
                "verbose_name_plural": "associates",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]

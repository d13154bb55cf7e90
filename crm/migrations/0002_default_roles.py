"""The default roles (user levels): Django auth groups carrying the product's rights."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Salesperson": ["create_selection_tasks"],
    "Sales manager": ["create_selection_tasks", "assign_to_our_contact", "see_all_associates"],
    "Read only": [],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure ours exist now.
    app_config = apps.get_app_config("crm")
    app_config.models_module = True  # the migration state's stub has none
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="crm", codename__in=codenames)
        group.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]

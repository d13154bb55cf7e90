"""Sales managers see and may undo every generation (the administrators' right)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    app_config = apps.get_app_config("followups")
    app_config.models_module = True  # the migration state's stub has none
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perm = Permission.objects.get(content_type__app_label="followups", codename="manage_all_generations")
    for group in Group.objects.filter(name="Sales manager"):
        group.permissions.add(perm)


class Migration(migrations.Migration):
    dependencies = [("followups", "0003_undo"), ("crm", "0002_default_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

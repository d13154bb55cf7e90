"""Project suggestions: one index that serves both the prefix match and the name order
(see ProjectQuerySet.matching). The right one depends on the database."""

from django.db import migrations

INDEX = "crm_project_name_match"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON crm_project ((UPPER(name) COLLATE "C"), id)'
        )
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON crm_project (name COLLATE NOCASE, id)"
        )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0003_associate_language")]

    operations = [
        migrations.RemoveIndex(model_name="project", name="crm_project_upper_name"),
        migrations.RunPython(create, drop),
    ]

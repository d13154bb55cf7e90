"""Project suggestions match Æ, Ø, Å (and every other letter) in any case on SQLite too.

Migration 0004 created the suggestions' index by hand: on SQLite over name in NOCASE,
which folds A-Z only. It is now declared on the model, over MatchKey(name), id, name: UNICODE_UPPER(name) on
SQLite (crm.models registers the function on every connection), and on PostgreSQL the
same UPPER(name) COLLATE "C" as before. The name itself comes last, so that "contains"
reads it off the index.
"""

from django.db import migrations, models

import crm.models

INDEX = "crm_project_name_match"


def drop_hand_made_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


def restore_hand_made_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON crm_project ((UPPER(name) COLLATE "C"), id)'
        )
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON crm_project (name COLLATE NOCASE, id)"
        )


class Migration(migrations.Migration):
    dependencies = [("crm", "0006_associate_date_style")]

    operations = [
        migrations.RunPython(drop_hand_made_index, restore_hand_made_index),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(
                crm.models.MatchKey("name"), models.F("id"), models.F("name"), name=INDEX
            ),
        ),
    ]

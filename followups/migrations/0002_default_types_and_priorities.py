"""The starting lists: priorities High, Medium, Low and a few common follow-up types.
Administrators change them in Django admin afterwards."""

from django.db import migrations

PRIORITIES = [("High", 10), ("Medium", 20), ("Low", 30)]
TYPES = [
    ("Meeting", "appointment", "#2f6fd0", 10),
    ("Phone call", "phone_call", "#1e8a4c", 20),
    ("To-do", "task", "#b26b00", 30),
    ("Presentation", "appointment", "#7a3fb5", 40),
    ("Send offer", "task", "#c0392b", 50),
]


def create(apps, schema_editor):
    Priority = apps.get_model("followups", "Priority")
    FollowUpType = apps.get_model("followups", "FollowUpType")
    for name, rank in PRIORITIES:
        Priority.objects.get_or_create(name=name, defaults={"rank": rank})
    for name, kind, colour, rank in TYPES:
        FollowUpType.objects.get_or_create(
            name=name, defaults={"kind": kind, "colour": colour, "rank": rank}
        )


class Migration(migrations.Migration):
    dependencies = [("followups", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

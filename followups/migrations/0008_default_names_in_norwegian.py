"""The Norwegian names of the starting lists of migration 0002 (the help page's own
words for the priorities: høy, middels og lav)."""

from django.db import migrations

NORWEGIAN = {
    "Priority": {"High": "Høy", "Medium": "Middels", "Low": "Lav"},
    "FollowUpType": {
        "Meeting": "Møte",
        "Phone call": "Telefonsamtale",
        "To-do": "Gjøremål",
        "Presentation": "Presentasjon",
        "Send offer": "Send tilbud",
    },
}


def name_in_norwegian(apps, schema_editor):
    """Each default row that still has its English name and no Norwegian one gets its
    Norwegian name, unless another row already shows that name in Norwegian (say a type
    an administrator named "Møte"): names shown in one language stay unique."""
    for model_name, names in NORWEGIAN.items():
        model = apps.get_model("followups", model_name)
        rows = list(model.objects.all())
        for row in rows:
            norwegian = names.get(row.name)
            if not norwegian or row.name_nb:
                continue
            shown = {(other.name_nb or other.name).upper() for other in rows if other != row}
            if norwegian.upper() not in shown:
                row.name_nb = norwegian
                row.save(update_fields=["name_nb"])


class Migration(migrations.Migration):
    dependencies = [("followups", "0007_names_in_norwegian")]

    operations = [migrations.RunPython(name_in_norwegian, migrations.RunPython.noop)]

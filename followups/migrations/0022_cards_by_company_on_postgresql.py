"""On PostgreSQL the company's and the person's follow-ups are found off single-column
indexes, followups_by_company (company) and followups_by_person (person), instead of
the indexes led by the generation (0016), which SQLite keeps.

Led by the generation, a card reads one range per generation that has rows, and quick
search one per generation and matching company: with 5,000 generations quick search took
131-135 ms a keystroke at 1,000,000 follow-ups (target 50), and it grows with every
generation. On PostgreSQL the single-column indexes cost a generation nothing that could
be measured (a 100,000-row generation onto 1,000,000 follow-ups: 0.789 / 0.771 x the lean
floor with them, 0.79 / 0.769 x with the generation-led ones, my list / our contact,
medians of 3). On SQLite they cost much more (rows land on pages all over them, written
at COMMIT), so there the cards keep reading one range per generation (models.party_parts).
"""

from django.db import migrations

SWAPS = [
    ("followups_company_by_gen", "generation_id, company_id", "followups_by_company", "company_id"),
    ("followups_person_by_gen", "generation_id, person_id", "followups_by_person", "person_id"),
]


def by_party(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for led, _led_columns, single, column in SWAPS:
        schema_editor.execute(f"CREATE INDEX {single} ON followups_followup ({column})")
        schema_editor.execute(f"DROP INDEX {led}")


def by_generation(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for led, led_columns, single, _column in SWAPS:
        schema_editor.execute(f"CREATE INDEX {led} ON followups_followup ({led_columns})")
        schema_editor.execute(f"DROP INDEX {single}")


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0021_bulk_row_change_checked_once"),
    ]

    operations = [migrations.RunPython(by_party, by_generation)]

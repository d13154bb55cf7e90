"""On SQLite a generation's open follow-ups by start date come off a partial index on
(generation, start date) of the open generated rows, followups_open_by_generation,
instead of followups_by_generation (generation, completed, start date, id), which
PostgreSQL keeps.

Only quick search reads a generation's open rows in start order; undo and the
generations page read all of a generation's rows, which SQLite finds as the start of
followups_company_by_gen (generation, company). Two keys instead of four cost a
generation less than half as much to write: a 100,000-row generation onto 1,000,000
follow-ups ran 3,586 million instructions without the index, 4,292 million with the four
keys and 3,821 million with the two (callgrind, the insert and its COMMIT). PostgreSQL
has no other index led by the generation (0022), so there the four keys stay.
"""

from django.db import migrations, models

OLD = ("followups_by_generation", '("generation_id", "completed", "start_date", "id")', "")
NEW = (
    "followups_open_by_generation",
    '("generation_id", "start_date")',
    ' WHERE (NOT "completed" AND "generation_id" IS NOT NULL)',
)


def _swap(schema_editor, make, drop) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    name, columns, where = make
    schema_editor.execute(f'CREATE INDEX "{name}" ON "followups_followup" {columns}{where}')
    schema_editor.execute(f'DROP INDEX "{drop[0]}"')


def open_by_generation(apps, schema_editor):
    _swap(schema_editor, NEW, OLD)


def by_generation(apps, schema_editor):
    _swap(schema_editor, OLD, NEW)


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0022_cards_by_company_on_postgresql"),
    ]

    # The models describe SQLite's indexes, which a rebuilt table is made with; on
    # PostgreSQL, whose tables are altered in place, the database keeps its own.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="followup", name="followups_by_generation"),
                migrations.AddIndex(
                    model_name="followup",
                    index=models.Index(
                        condition=models.Q(("completed", False), ("generation__isnull", False)),
                        fields=["generation", "start_date"],
                        name="followups_open_by_generation",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(open_by_generation, by_generation)],
        )
    ]

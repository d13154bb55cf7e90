"""On SQLite one index, followups_party_by_gen (generation, company, person), finds both
a company's and a person's generated follow-ups, in place of followups_company_by_gen
and followups_person_by_gen (0016); PostgreSQL has single-column ones (0022).

A generation writes its rows in company order, so the new index is written at its end,
in order; the person index had its keys arrive in no order at all. A person's rows are
found by (generation, company, person) for each company the person has been seen at,
from followups_person_company. The rows created one by one (no generation) and those
without a company are in followups_loose_by_person (person), which a generation writes
only for its members without a company.

followups_person_company holds every (person, company) pair a generated follow-up can
have, kept by triggers where such a pair arises: a person's company (on insert and
update), a selection member (on insert and update), and a follow-up's own company or
person changed. A generation takes its pairs from its members, or, for a dynamic
selection, from the persons' companies, so each of its rows has a pair there; a row
with a generation saved on its own records its pair (models.record_pair). Pairs are
never removed; one left over from a deleted person or company only costs a card a
lookup that finds nothing.

A 100,000-row generation onto 1,000,000 follow-ups ran 3,821 million instructions with
the two indexes and 3,369 million with the one (callgrind, the insert and its COMMIT).
"""

from django.db import migrations, models

PAIRS = "followups_person_company"


def _pair(person: str, company: str) -> str:
    return f'INSERT OR IGNORE INTO "{PAIRS}" ("person_id", "company_id") VALUES ({person}, {company})'


TRIGGERS = {
    "followups_pair_person_added": (
        'AFTER INSERT ON "crm_person" WHEN NEW."company_id" IS NOT NULL',
        _pair('NEW."id"', 'NEW."company_id"'),
    ),
    "followups_pair_person_moved": (
        'AFTER UPDATE OF "company_id" ON "crm_person" WHEN NEW."company_id" IS NOT NULL',
        _pair('NEW."id"', 'NEW."company_id"'),
    ),
    "followups_pair_member_added": (
        'AFTER INSERT ON "selections_selectionmember"'
        ' WHEN NEW."person_id" IS NOT NULL AND NEW."company_id" IS NOT NULL',
        _pair('NEW."person_id"', 'NEW."company_id"'),
    ),
    "followups_pair_member_changed": (
        'AFTER UPDATE OF "company_id", "person_id" ON "selections_selectionmember"'
        ' WHEN NEW."person_id" IS NOT NULL AND NEW."company_id" IS NOT NULL',
        _pair('NEW."person_id"', 'NEW."company_id"'),
    ),
    "followups_pair_followup_changed": (
        'AFTER UPDATE OF "company_id", "person_id", "generation_id" ON "followups_followup"'
        ' WHEN NEW."person_id" IS NOT NULL AND NEW."company_id" IS NOT NULL',
        _pair('NEW."person_id"', 'NEW."company_id"'),
    ),
}

FORWARD = [
    f'CREATE TABLE "{PAIRS}" ("person_id" integer NOT NULL, "company_id" integer NOT NULL,'
    ' PRIMARY KEY ("person_id", "company_id")) WITHOUT ROWID',
    *(
        f'CREATE TRIGGER "{name}" {when} BEGIN {action}; END'
        for name, (when, action) in TRIGGERS.items()
    ),
    *(
        f'INSERT OR IGNORE INTO "{PAIRS}" ("person_id", "company_id")'
        f' SELECT DISTINCT {person}, "company_id" FROM "{table}"'
        f' WHERE {person} IS NOT NULL AND "company_id" IS NOT NULL'
        for table, person in [
            ("crm_person", '"id"'),
            ("selections_selectionmember", '"person_id"'),
            ("followups_followup", '"person_id"'),
        ]
    ),
    'CREATE INDEX "followups_party_by_gen" ON "followups_followup"'
    ' ("generation_id", "company_id", "person_id")',
    'CREATE INDEX "followups_loose_by_person" ON "followups_followup" ("person_id")'
    ' WHERE ("generation_id" IS NULL OR "company_id" IS NULL)',
    'DROP INDEX "followups_company_by_gen"',
    'DROP INDEX "followups_person_by_gen"',
]

BACKWARD = [
    'CREATE INDEX "followups_company_by_gen" ON "followups_followup"'
    ' ("generation_id", "company_id")',
    'CREATE INDEX "followups_person_by_gen" ON "followups_followup" ("generation_id", "person_id")',
    'DROP INDEX "followups_party_by_gen"',
    'DROP INDEX "followups_loose_by_person"',
    *(f'DROP TRIGGER "{name}"' for name in TRIGGERS),
    f'DROP TABLE "{PAIRS}"',
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0023_open_by_generation_on_sqlite"),
    ]

    # The models describe SQLite's indexes, as in 0023.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="followup", name="followups_company_by_gen"),
                migrations.RemoveIndex(model_name="followup", name="followups_person_by_gen"),
                migrations.AddIndex(
                    model_name="followup",
                    index=models.Index(
                        fields=["generation", "company", "person"], name="followups_party_by_gen"
                    ),
                ),
                migrations.AddIndex(
                    model_name="followup",
                    index=models.Index(
                        condition=models.Q(
                            ("generation__isnull", True), ("company__isnull", True), _connector="OR"
                        ),
                        fields=["person"],
                        name="followups_loose_by_person",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_run(FORWARD), _run(BACKWARD))],
        )
    ]

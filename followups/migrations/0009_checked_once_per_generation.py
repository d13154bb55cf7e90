"""Follow-ups' indexes for both writes and reads, and their references to rows that
hold one value per generation checked once per statement on PostgreSQL.

Indexes: the history per company and per person become single-column indexes (the cards
sort the few hundred rows they read); type, project, priority and creator lose theirs
(they served only an administrator's delete, which now reads the table once). A partial
index holds the follow-ups changed since they were created, and none of the rows a
generation wrote that nobody touched: the generations page counts those per generation.

References: owner, company and person differ from row to row and keep their foreign
keys. On PostgreSQL, type, project, priority, creator and generation, which a generation
writes with one value for all its rows, lose their per-row foreign-key check (one index
lookup per row and key at COMMIT, most of a large generation's time) for triggers that
keep the same guarantee:
- after an INSERT, once per statement, each distinct value among the new rows is looked
  up and locked FOR KEY SHARE until the transaction ends, as a foreign-key check locks
  it: a concurrent delete of that row waits, and a row deleted first is missing and
  refuses the INSERT;
- after an UPDATE that changes one of them, the same for that row;
- after a DELETE (or a change of id) of a type, project, priority, associate or
  generation, once per statement, a row still referenced refuses it. The check runs
  after the delete has waited for those locks, so it sees every follow-up committed
  meanwhile.
Both raise foreign_key_violation (Django's IntegrityError), as the constraints did.
SQLite keeps all its foreign keys: its checks cost little there, and its one writer at a
time serialises a generation and a delete.
"""

import django.db.models.deletion
from django.db import migrations, models

# (column, referenced table); the triggers below name them literally.
CHECKED_ONCE = [
    ("type_id", "followups_followuptype"),
    ("project_id", "crm_project"),
    ("priority_id", "followups_priority"),
    ("created_by_id", "crm_associate"),
    ("generation_id", "followups_generation"),
]


def _missing(column, table, value):
    return (
        f'RAISE EXCEPTION \'insert or update on table "followups_followup" violates'
        f" foreign key \"followups_followup_{column}\"' USING ERRCODE = 'foreign_key_violation',"
        f" DETAIL = format('Key ({column})=(%s) is not present in table \"{table}\".', {value});"
    )


LOCK_REFERENCES = f"""
CREATE FUNCTION followups_followup_lock_references(
    p_type_id bigint, p_project_id bigint, p_priority_id bigint,
    p_created_by_id bigint, p_generation_id bigint
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM followups_followuptype WHERE id = p_type_id FOR KEY SHARE;
    IF NOT FOUND THEN {_missing("type_id", "followups_followuptype", "p_type_id")} END IF;
    IF p_project_id IS NOT NULL THEN
        PERFORM 1 FROM crm_project WHERE id = p_project_id FOR KEY SHARE;
        IF NOT FOUND THEN {_missing("project_id", "crm_project", "p_project_id")} END IF;
    END IF;
    IF p_priority_id IS NOT NULL THEN
        PERFORM 1 FROM followups_priority WHERE id = p_priority_id FOR KEY SHARE;
        IF NOT FOUND THEN {_missing("priority_id", "followups_priority", "p_priority_id")} END IF;
    END IF;
    PERFORM 1 FROM crm_associate WHERE id = p_created_by_id FOR KEY SHARE;
    IF NOT FOUND THEN {_missing("created_by_id", "crm_associate", "p_created_by_id")} END IF;
    IF p_generation_id IS NOT NULL THEN
        PERFORM 1 FROM followups_generation WHERE id = p_generation_id FOR KEY SHARE;
        IF NOT FOUND THEN
            {_missing("generation_id", "followups_generation", "p_generation_id")}
        END IF;
    END IF;
END $$;

-- After an INSERT: each distinct combination once (one for a generation's rows).
CREATE FUNCTION followups_followup_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM followups_followup_lock_references(
        n.type_id, n.project_id, n.priority_id, n.created_by_id, n.generation_id)
    FROM (SELECT DISTINCT type_id, project_id, priority_id, created_by_id, generation_id
          FROM new_rows) n;
    RETURN NULL;
END $$;
CREATE TRIGGER followups_followup_references_inserted
    AFTER INSERT ON followups_followup REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followups_followup_inserted();

-- After an UPDATE that changes one of them: that row.
CREATE FUNCTION followups_followup_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM followups_followup_lock_references(
        NEW.type_id, NEW.project_id, NEW.priority_id, NEW.created_by_id, NEW.generation_id);
    RETURN NULL;
END $$;
CREATE TRIGGER followups_followup_references_updated
    AFTER UPDATE OF type_id, project_id, priority_id, created_by_id, generation_id
    ON followups_followup FOR EACH ROW
    WHEN (OLD.type_id IS DISTINCT FROM NEW.type_id
          OR OLD.project_id IS DISTINCT FROM NEW.project_id
          OR OLD.priority_id IS DISTINCT FROM NEW.priority_id
          OR OLD.created_by_id IS DISTINCT FROM NEW.created_by_id
          OR OLD.generation_id IS DISTINCT FROM NEW.generation_id)
    EXECUTE FUNCTION followups_followup_updated();

-- After a DELETE (or a change of id) of a referenced row: none may still be referenced.
-- The argument is the follow-ups' column that references the table.
CREATE FUNCTION followups_followup_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    key bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        EXECUTE format(
            'SELECT o.id FROM old_rows o WHERE EXISTS'
            ' (SELECT 1 FROM followups_followup f WHERE f.%I = o.id) LIMIT 1', TG_ARGV[0])
        INTO key;
    ELSE
        EXECUTE format(
            'SELECT o.id FROM old_rows o'
            ' WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id)'
            ' AND EXISTS (SELECT 1 FROM followups_followup f WHERE f.%I = o.id) LIMIT 1',
            TG_ARGV[0])
        INTO key;
    END IF;
    IF key IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "%" violates foreign key'
            ' "followups_followup_%" on table "followups_followup"', TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (id)=(%s) is still referenced from table "followups_followup".',
                            key);
    END IF;
    RETURN NULL;
END $$;
""" + "".join(
    f"""
CREATE TRIGGER followups_followup_{column}_deleted
    AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followups_followup_referenced('{column}');
CREATE TRIGGER followups_followup_{column}_renumbered
    AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followups_followup_referenced('{column}');
"""
    for column, table in CHECKED_ONCE
)

DROP_TRIGGERS = (
    "".join(
        f"DROP TRIGGER followups_followup_{column}_deleted ON {table};"
        f" DROP TRIGGER followups_followup_{column}_renumbered ON {table};"
        for column, table in CHECKED_ONCE
    )
    + " DROP TRIGGER followups_followup_references_inserted ON followups_followup;"
    " DROP TRIGGER followups_followup_references_updated ON followups_followup;"
    " DROP FUNCTION followups_followup_referenced(); DROP FUNCTION followups_followup_updated();"
    " DROP FUNCTION followups_followup_inserted();"
    " DROP FUNCTION followups_followup_lock_references(bigint, bigint, bigint, bigint, bigint);"
)


def check_once_per_statement(apps, schema_editor):
    """PostgreSQL: the five foreign keys' constraints make way for the triggers."""
    if schema_editor.connection.vendor != "postgresql":
        return
    FollowUp = apps.get_model("followups", "FollowUp")
    table = FollowUp._meta.db_table
    columns = {column for column, _table in CHECKED_ONCE}
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    for name, info in constraints.items():
        if info["foreign_key"] and len(info["columns"]) == 1 and info["columns"][0] in columns:
            schema_editor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(LOCK_REFERENCES)  # no parameters: its % are format()'s


def check_per_row(apps, schema_editor):
    """Back to the foreign keys' constraints (checked for the rows there now)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP_TRIGGERS)
    FollowUp = apps.get_model("followups", "FollowUp")
    for column, _table in CHECKED_ONCE:
        field = FollowUp._meta.get_field(column.removesuffix("_id"))
        schema_editor.execute(
            schema_editor._create_fk_sql(FollowUp, field, "_fk_%(to_table)s_%(to_column)s")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_project_name_match_every_language"),
        ("followups", "0008_default_names_in_norwegian"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="followup",
            name="followups_company_history",
        ),
        migrations.RemoveIndex(
            model_name="followup",
            name="followups_person_history",
        ),
        migrations.AlterField(
            model_name="followup",
            name="created_by",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="crm.associate",
                verbose_name="created by",
            ),
        ),
        migrations.AlterField(
            model_name="followup",
            name="priority",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="followups",
                to="followups.priority",
                verbose_name="priority",
            ),
        ),
        migrations.AlterField(
            model_name="followup",
            name="project",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="followups",
                to="crm.project",
                verbose_name="project",
            ),
        ),
        migrations.AlterField(
            model_name="followup",
            name="type",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="followups",
                to="followups.followuptype",
                verbose_name="type",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(fields=["company"], name="followups_by_company"),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(fields=["person"], name="followups_by_person"),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(("updated_at", models.F("created_at")), _negated=True),
                fields=["generation"],
                name="followups_changed",
            ),
        ),
        migrations.RunPython(check_once_per_statement, check_per_row),
    ]

"""A bulk change's record rows reference their change checked once per statement on
PostgreSQL, as a follow-up's generation is (0009_checked_once_per_generation).

A bulk change of 100,000 follow-ups writes 100,000 record rows, all with the one change
written just before them in the same transaction; the foreign key's per-row check
(one index lookup per row at COMMIT) was more than half of what the record cost. The
triggers keep the same guarantee:
- after an INSERT into the record rows, once per statement, each distinct change among
  the new rows is looked up and locked FOR KEY SHARE until the transaction ends (a
  concurrent delete of it waits, and a change deleted first refuses the INSERT);
- after an UPDATE of a row's change, the same for that row;
- after a DELETE (or a change of id) of a change, once per statement, a change that
  still has record rows refuses it (Django deletes them first: on_delete=CASCADE).
Both raise foreign_key_violation (Django's IntegrityError), as the constraint did.
SQLite keeps the foreign key.
"""

from django.db import migrations

ROWS = "followups_bulkchangerow"
CHANGES = "followups_bulkchange"

CHECKS = f"""
CREATE FUNCTION followups_bulkchangerow_lock_change(p_change_id bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM {CHANGES} WHERE id = p_change_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insert or update on table "{ROWS}" violates foreign key'
            ' "{ROWS}_change_id"' USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (change_id)=(%s) is not present in table "{CHANGES}".',
                            p_change_id);
    END IF;
END $$;

CREATE FUNCTION followups_bulkchangerow_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM followups_bulkchangerow_lock_change(n.change_id)
    FROM (SELECT DISTINCT change_id FROM new_rows) n;
    RETURN NULL;
END $$;
CREATE TRIGGER followups_bulkchangerow_change_inserted
    AFTER INSERT ON {ROWS} REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followups_bulkchangerow_inserted();

CREATE FUNCTION followups_bulkchangerow_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM followups_bulkchangerow_lock_change(NEW.change_id);
    RETURN NULL;
END $$;
CREATE TRIGGER followups_bulkchangerow_change_updated
    AFTER UPDATE OF change_id ON {ROWS} FOR EACH ROW
    WHEN (OLD.change_id IS DISTINCT FROM NEW.change_id)
    EXECUTE FUNCTION followups_bulkchangerow_updated();

CREATE FUNCTION followups_bulkchange_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    key bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT o.id INTO key FROM old_rows o
        WHERE EXISTS (SELECT 1 FROM {ROWS} r WHERE r.change_id = o.id) LIMIT 1;
    ELSE
        SELECT o.id INTO key FROM old_rows o
        WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id)
          AND EXISTS (SELECT 1 FROM {ROWS} r WHERE r.change_id = o.id) LIMIT 1;
    END IF;
    IF key IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "{CHANGES}" violates foreign key'
            ' "{ROWS}_change_id" on table "{ROWS}"' USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (id)=(%s) is still referenced from table "{ROWS}".', key);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER followups_bulkchange_deleted
    AFTER DELETE ON {CHANGES} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followups_bulkchange_referenced();
CREATE TRIGGER followups_bulkchange_renumbered
    AFTER UPDATE ON {CHANGES} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION followups_bulkchange_referenced();
"""

DROP_CHECKS = f"""
DROP TRIGGER followups_bulkchange_renumbered ON {CHANGES};
DROP TRIGGER followups_bulkchange_deleted ON {CHANGES};
DROP TRIGGER followups_bulkchangerow_change_updated ON {ROWS};
DROP TRIGGER followups_bulkchangerow_change_inserted ON {ROWS};
DROP FUNCTION followups_bulkchange_referenced();
DROP FUNCTION followups_bulkchangerow_updated();
DROP FUNCTION followups_bulkchangerow_inserted();
DROP FUNCTION followups_bulkchangerow_lock_change(bigint);
"""


def check_once_per_statement(apps, schema_editor):
    """PostgreSQL: the foreign key's constraint makes way for the triggers."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, ROWS)
    for name, info in constraints.items():
        if info["foreign_key"] and info["columns"] == ["change_id"]:
            schema_editor.execute(f'ALTER TABLE {ROWS} DROP CONSTRAINT "{name}"')
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(CHECKS)  # no parameters: its % are format()'s


def check_per_row(apps, schema_editor):
    """Back to the foreign key's constraint (checked for the rows there now)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP_CHECKS)
    BulkChangeRow = apps.get_model("followups", "BulkChangeRow")
    field = BulkChangeRow._meta.get_field("change")
    schema_editor.execute(
        schema_editor._create_fk_sql(BulkChangeRow, field, "_fk_%(to_table)s_%(to_column)s")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0020_owner_indexes_include_type_and_priority"),
    ]

    operations = [migrations.RunPython(check_once_per_statement, check_per_row)]

"""On PostgreSQL the database itself refuses to edit or delete an event (a correction is a
new entry). TRUNCATE, used only by test flushes, is not a row operation and stays possible."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION supervision_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the events log is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER supervision_event_append_only
    BEFORE UPDATE OR DELETE ON supervision_event
    FOR EACH ROW EXECUTE FUNCTION supervision_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS supervision_event_append_only ON supervision_event;
DROP FUNCTION IF EXISTS supervision_event_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # no placeholders: keep "%" literal


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]

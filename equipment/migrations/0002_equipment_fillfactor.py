"""Room in each page of the equipment table, so that telemetry's state updates are HOT
(heap-only: no index is touched when only state, times and status change)."""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE equipment_equipment SET (fillfactor = 50)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE equipment_equipment RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("equipment", "0001_initial")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]

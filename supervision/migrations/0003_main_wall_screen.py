"""The supervision room's main wall, so a fresh install has one screen to show."""

from django.db import migrations

PANELS = ["map", "alerts", "interventions", "health", "figures", "markets", "commands"]
LAYERS = ["districts", "equipment", "teams", "interventions", "alerts", "markets", "priority"]


def create_main_screen(apps, schema_editor):
    apps.get_model("supervision", "WallScreen").objects.get_or_create(
        slug="main",
        defaults={"name": "Main wall", "panels": PANELS, "map_layers": LAYERS, "zoom": 12},
    )


class Migration(migrations.Migration):
    dependencies = [("supervision", "0002_events_append_only")]

    operations = [migrations.RunPython(create_main_screen, migrations.RunPython.noop)]

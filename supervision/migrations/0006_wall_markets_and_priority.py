"""Issue 7 on the wall: the markets panel and the markets and priority map layers.

Panels and layers are JSON lists checked against WallScreen's choices, so there is no schema
change; the main screen created by 0003 gets them, as a fresh install's main wall would.
"""

from django.db import migrations


def add_to_main_screen(apps, schema_editor):
    screen = apps.get_model("supervision", "WallScreen").objects.filter(slug="main").first()
    if screen is None:
        return
    screen.panels = [*screen.panels, *[p for p in ["markets"] if p not in screen.panels]]
    screen.map_layers = [
        *screen.map_layers,
        *[layer for layer in ["markets", "priority"] if layer not in screen.map_layers],
    ]
    screen.save(update_fields=["panels", "map_layers"])


def remove_from_main_screen(apps, schema_editor):
    screen = apps.get_model("supervision", "WallScreen").objects.filter(slug="main").first()
    if screen is None:
        return
    screen.panels = [p for p in screen.panels if p != "markets"]
    screen.map_layers = [layer for layer in screen.map_layers if layer not in ("markets", "priority")]
    screen.save(update_fields=["panels", "map_layers"])


class Migration(migrations.Migration):
    dependencies = [("supervision", "0005_merge_20261127_0818")]

    operations = [migrations.RunPython(add_to_main_screen, remove_from_main_screen)]

"""Issue 7 on the wall: the commands panel (commands to equipment in flight, and today's
acknowledged and failed ones).

Panels are a JSON list checked against WallScreen's choices, so there is no schema change; the
main screen created by 0003 gets the panel, as a fresh install's main wall would.
"""

from django.db import migrations


def add_to_main_screen(apps, schema_editor):
    screen = apps.get_model("supervision", "WallScreen").objects.filter(slug="main").first()
    if screen is None or "commands" in screen.panels:
        return
    screen.panels = [*screen.panels, "commands"]
    screen.save(update_fields=["panels"])


def remove_from_main_screen(apps, schema_editor):
    screen = apps.get_model("supervision", "WallScreen").objects.filter(slug="main").first()
    if screen is None:
        return
    screen.panels = [p for p in screen.panels if p != "commands"]
    screen.save(update_fields=["panels"])


class Migration(migrations.Migration):
    dependencies = [("supervision", "0008_alert_intervention_permission")]

    operations = [migrations.RunPython(add_to_main_screen, remove_from_main_screen)]

"""The main wall a fresh install creates is named in the room's language: a kiosk's list of
screens and the wall's own title read "Mur principal". A name an administrator gave is kept."""

from django.db import migrations


def name_in_french(apps, schema_editor):
    screens = apps.get_model("supervision", "WallScreen").objects
    screens.filter(slug="main", name="Main wall").update(name="Mur principal")


def name_in_english(apps, schema_editor):
    screens = apps.get_model("supervision", "WallScreen").objects
    screens.filter(slug="main", name="Mur principal").update(name="Main wall")


class Migration(migrations.Migration):
    dependencies = [("supervision", "0016_video_snapshots_and_pushes")]

    operations = [migrations.RunPython(name_in_french, name_in_english)]

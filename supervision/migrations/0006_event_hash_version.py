"""The events chain covers who acted from now on (hash version 2); the entries written before
keep version 1 and their hashes, so nothing already in the log is rewritten."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("supervision", "0005_playbook_step_deadline")]

    operations = [
        # Adding the column fills the existing rows with 1 (no row is updated: the log's
        # append-only trigger is not involved), then new rows default to 2.
        migrations.AddField(
            model_name="event",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="event",
            name="hash_version",
            field=models.PositiveSmallIntegerField(db_default=2),
        ),
    ]

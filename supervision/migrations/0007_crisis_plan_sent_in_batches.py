"""Crisis modes send their plan in batches after a short switching transaction.

ActivationCommand becomes the plan: device, action, parameters and the state before, with the
command set once its batch is sent. Rows written before (each already with its command) get
their plan columns from that command.
"""

import django.db.models.deletion
from django.db import migrations, models


def plan_from_sent_commands(apps, schema_editor):
    link_model = apps.get_model("supervision", "ActivationCommand")
    links = list(link_model.objects.select_related("command"))
    for link in links:
        link.equipment_id = link.command.equipment_id
        link.action = link.command.action
        link.params = link.command.params
        link.previous_state = link.command.previous_state
    link_model.objects.bulk_update(
        links, ["equipment", "action", "params", "previous_state"], batch_size=500
    )


class Migration(migrations.Migration):
    dependencies = [
        ("equipment", "0004_merge_0002_command_0003_equipment_fillfactor"),
        ("supervision", "0006_wall_markets_and_priority"),
    ]

    operations = [
        migrations.AddField(
            model_name="modeactivation",
            name="deactivation_reason",
            field=models.CharField(blank=True, max_length=300, verbose_name="reason for going back"),
        ),
        migrations.AddField(
            model_name="modeactivation",
            name="send_error",
            field=models.TextField(
                blank=True,
                help_text="Why sending the current phase's commands stopped; a retry resumes it.",
                verbose_name="sending stopped",
            ),
        ),
        migrations.AddField(
            model_name="modeactivation",
            name="send_updated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last batch sent at"),
        ),
        migrations.AddField(
            model_name="activationcommand",
            name="equipment",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="crisis_commands",
                to="equipment.equipment",
            ),
        ),
        migrations.AddField(
            model_name="activationcommand",
            name="action",
            field=models.CharField(default="", max_length=30, verbose_name="action"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="activationcommand",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="parameters"),
        ),
        migrations.AddField(
            model_name="activationcommand",
            name="previous_state",
            field=models.JSONField(blank=True, default=dict, verbose_name="state before"),
        ),
        migrations.AlterField(
            model_name="activationcommand",
            name="command",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="activation_link",
                to="equipment.command",
            ),
        ),
        migrations.RunPython(plan_from_sent_commands, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="activationcommand",
            name="equipment",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="crisis_commands",
                to="equipment.equipment",
            ),
        ),
        migrations.RemoveIndex(
            model_name="activationcommand",
            name="supervision_activat_767939_idx",
        ),
        migrations.AddIndex(
            model_name="activationcommand",
            index=models.Index(
                fields=["activation", "phase", "step"], name="crisis_command_plan_idx"
            ),
        ),
    ]

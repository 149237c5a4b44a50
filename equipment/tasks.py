"""Celery tasks of equipment: thin callers of its services and of the commands' lifecycle."""

from celery import shared_task
from django.conf import settings
from django.utils.translation import gettext as _

from equipment import commands, delivery, services
from equipment.adapters import AdapterError


@shared_task(name="equipment.tasks.purge_readings")
def purge_readings() -> int:
    """Telemetry history past its retention period (TELEMETRY_RETENTION_DAYS)."""
    return services.purge_old_readings()


@shared_task(name="equipment.tasks.send_commands", bind=True, max_retries=None, acks_late=True)
def send_commands(self, command_ids: list[int]) -> int:
    """Send a batch of commands; retry with back-off if the adapter cannot reach devices."""
    try:
        return delivery.send_commands(command_ids)
    except (AdapterError, OSError) as error:
        if self.request.retries + 1 >= settings.COMMAND_MAX_ATTEMPTS or self.request.is_eager:
            commands.fail_commands(
                command_ids, _("Could not reach the devices: %(error)s") % {"error": error}
            )
            return 0
        raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task(name="equipment.tasks.requeue_stranded_commands")
def requeue_stranded_commands() -> dict:
    """Commands a crashed worker left requested go out again, or expire past their deadline."""
    return commands.requeue_stranded_commands()


@shared_task(name="equipment.tasks.expire_overdue_commands")
def expire_overdue_commands() -> dict:
    return commands.expire_overdue_commands()

"""Celery tasks for commands to equipment: thin callers of `equipment.commands`."""

from celery import shared_task
from django.conf import settings

from . import commands
from .adapters import AdapterError


@shared_task(bind=True, max_retries=None, acks_late=True)
def send_commands(self, command_ids: list[int]) -> int:
    """Send a batch of commands; retry with back-off if the adapter cannot reach devices."""
    try:
        return commands.send_commands(command_ids)
    except (AdapterError, OSError) as error:
        if self.request.retries + 1 >= settings.COMMAND_MAX_ATTEMPTS or self.request.is_eager:
            commands.fail_commands(command_ids, f"Could not reach the devices: {error}")
            return 0
        raise self.retry(exc=error, countdown=2**self.request.retries) from error


@shared_task
def expire_overdue_commands() -> dict:
    return commands.expire_overdue_commands()

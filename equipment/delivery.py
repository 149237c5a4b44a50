"""Handing commands to the devices: count the attempt, then give them to the adapter."""

from collections.abc import Sequence

from equipment.adapters import AdapterError, get_adapter
from equipment.commands import mark_sent, return_to_queue


def send_commands(command_ids: Sequence[int]) -> int:
    """Send (or resend) commands through the configured device adapter; returns how many.

    Commands the adapter could not hand over wait, requested again, for the task's retry.
    """
    commands = mark_sent(command_ids)
    if commands:
        try:
            get_adapter().send(commands)
        except (AdapterError, OSError):
            return_to_queue(commands)
            raise
    return len(commands)

"""Handing commands to the devices: count the attempt, then give them to the adapter."""

from collections.abc import Sequence

from equipment.adapters import get_adapter
from equipment.commands import mark_sent


def send_commands(command_ids: Sequence[int]) -> int:
    """Send (or resend) commands through the configured device adapter; returns how many."""
    commands = mark_sent(command_ids)
    if commands:
        get_adapter().send(commands)
    return len(commands)

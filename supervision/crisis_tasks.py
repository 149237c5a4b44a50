"""Celery tasks of crisis modes, priority, markets and locked buildings: thin callers."""

from celery import shared_task

from . import crisis, lockdown, markets, priority


@shared_task(acks_late=True)
def send_crisis_plan(activation_id: int, phase: str) -> dict:
    """A crisis mode's commands, batch after batch; resumable, so a redelivery is harmless."""
    return crisis.send_plan(activation_id, phase)


@shared_task
def update_priorities() -> dict:
    return priority.update_priorities()


@shared_task
def regulate_markets() -> dict:
    return markets.regulate_markets()


@shared_task
def watch_locked_buildings() -> int:
    return lockdown.watch_locked_buildings()

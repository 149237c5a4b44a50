"""Celery tasks of the supervision room: thin callers of its services."""

from celery import shared_task

from supervision import markets, traffic
from supervision.alerts import flood, rules
from supervision.alerts import services as alert_services
from supervision.console import schedules as console_schedules
from supervision.console import selection as console_selection
from supervision.crisis import lockdown
from supervision.crisis import services as crisis_services
from supervision.log import checkpoints
from supervision.ngsi_ld import subscriptions as ngsi_ld_subscriptions
from supervision.platform import replication
from supervision.platform import services as platform
from supervision.video import snapshots


@shared_task(name="supervision.tasks.run_rule_checks")
def run_rule_checks() -> int:
    """Silent devices, durations reached, conditions gone: what only time reveals."""
    return len(rules.run_checks())


@shared_task(name="supervision.tasks.send_crisis_plan", acks_late=True)
def send_crisis_plan(activation_id: int, phase: str) -> dict:
    """A crisis mode's commands, batch after batch; resumable, so a redelivery is harmless."""
    return crisis_services.send_plan(activation_id, phase)


@shared_task(name="supervision.tasks.send_selection", acks_late=True)
def send_selection(selection_id: int) -> dict:
    """A console selection's commands (or its rollback's), batch after batch; resumable."""
    return console_selection.send_selection(selection_id)


@shared_task(name="supervision.tasks.run_command_schedules")
def run_command_schedules() -> dict:
    """Planned commands that are due, or held by a crisis mode now ended."""
    return console_schedules.run_due_schedules()


@shared_task(name="supervision.tasks.resume_crisis_plans")
def resume_crisis_plans() -> list[int]:
    """Crisis plans a crashed worker left half carried out go on by themselves."""
    return crisis_services.resume_stalled_plans()


@shared_task(name="supervision.tasks.update_priorities")
def update_priorities() -> dict:
    return traffic.update_priorities()


@shared_task(name="supervision.tasks.regulate_markets")
def regulate_markets() -> dict:
    return markets.regulate_markets()


@shared_task(name="supervision.tasks.watch_locked_buildings")
def watch_locked_buildings() -> int:
    return lockdown.watch_locked_buildings()


@shared_task(name="supervision.tasks.watch_processes")
def watch_processes() -> int:
    """The platform's processes that stopped or came back since the last check."""
    return len(platform.watch_processes())


@shared_task(name="supervision.tasks.watch_database_primary")
def watch_database_primary() -> str | None:
    """A new database primary since the last check, written to the log; its kind."""
    event = replication.watch_primary()
    return event.kind if event else None


@shared_task(name="supervision.tasks.write_events_checkpoint")
def write_events_checkpoint() -> int | None:
    """The chain's head, anchored outside the database; the number it vouches up to."""
    checkpoint = checkpoints.write_checkpoint()
    return checkpoint.seq if checkpoint else None


@shared_task(name="supervision.tasks.send_ngsi_ld_notifications")
def send_ngsi_ld_notifications() -> dict:
    """Partners' NGSI-LD subscriptions told of what changed (at least once, with retries)."""
    return ngsi_ld_subscriptions.deliver_notifications()


@shared_task(name="supervision.tasks.unshelve_due_alerts")
def unshelve_due_alerts() -> int:
    """Shelved alerts whose time is over come back to the desk by themselves."""
    return alert_services.unshelve_due_alerts()


@shared_task(name="supervision.tasks.check_alarm_flood")
def check_alarm_flood() -> bool:
    """The room told by an event when an alarm flood starts and when it ends."""
    return flood.check_flood()


@shared_task(name="supervision.tasks.take_alert_snapshots")
def take_alert_snapshots() -> int:
    """The frame of each new alert's nearest camera."""
    return snapshots.take_alert_snapshots()


@shared_task(name="supervision.tasks.purge_expired_video")
def purge_expired_video() -> dict[str, int]:
    """Snapshots past the video retention (CNIL)."""
    return snapshots.purge_expired_video()

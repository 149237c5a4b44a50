"""Which of the platform's processes run and which stopped.

The processes report themselves (ondijon/liveness.py); `watch_processes`, run periodically,
turns a silence longer than PROCESS_SILENT_SECONDS into a stop and a new sign of life into a
return, each written to the log with its change."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ondijon import bus
from supervision.models import PlatformProcess

STOPPED = "platform.process_stopped"
RETURNED = "platform.process_returned"


def silent_since(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.PROCESS_SILENT_SECONDS)


def state_now(process: PlatformProcess, now: datetime) -> str:
    """A process silent too long is stopped even before the check says so (beat itself may
    be the one that stopped, and with it the check)."""
    if process.last_seen_at < silent_since(now):
        return PlatformProcess.State.STOPPED
    return PlatformProcess.State.RUNNING


def process_event(kind: str, process: PlatformProcess) -> bus.EventRecord:
    return bus.EventRecord(
        kind=kind,
        subject_type="process",
        subject_id=process.name,
        subject_label=process.name,
        service="platform",
        payload={
            "kind": process.kind,
            "host": process.host,
            "pid": process.pid,
            "last_seen_at": process.last_seen_at,
            "state": process.state,
        },
    )


@transaction.atomic
def watch_processes(now: datetime | None = None) -> list[PlatformProcess]:
    """Mark the processes whose state changed, with an event each; the changed ones."""
    now = now or timezone.now()
    changed = []
    for process in PlatformProcess.objects.select_for_update():
        state = state_now(process, now)
        if state != process.state:
            process.state, process.state_changed_at = state, now
            changed.append(process)
    if changed:
        PlatformProcess.objects.bulk_update(changed, ["state", "state_changed_at"])
        bus.emit_many(
            [
                process_event(STOPPED if p.state == PlatformProcess.State.STOPPED else RETURNED, p)
                for p in changed
            ]
        )
    return changed


@dataclass
class ProcessRow:
    """A process as the panel shows it."""

    process: PlatformProcess
    state: str
    state_label: str
    silent_seconds: int


def processes_now(now: datetime | None = None) -> list[ProcessRow]:
    now = now or timezone.now()
    rows = []
    for process in PlatformProcess.objects.all():
        state = state_now(process, now)
        rows.append(
            ProcessRow(
                process=process,
                state=state,
                state_label=PlatformProcess.State(state).label,
                silent_seconds=int((now - process.last_seen_at).total_seconds()),
            )
        )
    # Stopped first: what the room must act on.
    return sorted(rows, key=lambda row: row.state != PlatformProcess.State.STOPPED)

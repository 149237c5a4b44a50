"""Signs of life of the platform's long-running processes.

Each process (daphne, the Celery worker and beat, the MQTT bridge, the acknowledgement
listener; on the embedded default the one process that does everything) calls
`start_reporting(kind)` once: a thread of its own then writes the process's last sign of
life every PROCESS_REPORT_SECONDS. The supervision room's periodic check reads these rows to
tell a process that stopped (supervision/platform/); the row lives in `supervision`, reached
through the app registry as the bus reaches the events log, so dependencies keep pointing
one way. A report is not an event: only a stop and a return are.
"""

import logging
import os
import socket
import sys
import threading
import time
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)


def process_name(kind: str) -> str:
    """The process's name on the panel: PROCESS_NAME when several processes of one kind run
    on one host (two daphnes), else its kind and host."""
    return os.environ.get("PROCESS_NAME") or f"{kind}@{socket.gethostname()}"


def report_alive(kind: str, name: str | None = None) -> None:
    """Record that this process is alive, now."""
    process_model = apps.get_model("supervision", "PlatformProcess")
    now = timezone.now()
    name = name or process_name(kind)
    pid = os.getpid()
    updated = process_model.objects.filter(name=name, pid=pid).update(last_seen_at=now)
    if updated:
        return
    # First report of this process (or of a new one under the same name after a restart).
    process_model.objects.update_or_create(
        name=name,
        defaults={"kind": kind, "host": socket.gethostname(), "pid": pid, "started_at": now,
                  "last_seen_at": now},
        create_defaults={"kind": kind, "host": socket.gethostname(), "pid": pid,
                         "started_at": now, "last_seen_at": now, "state_changed_at": now},
    )  # fmt: skip


def start_reporting(kind: str, name: str | None = None) -> threading.Thread | None:
    """Report this process alive now and every PROCESS_REPORT_SECONDS (0: never)."""
    period = settings.PROCESS_REPORT_SECONDS
    if period <= 0:
        return None

    def loop() -> None:
        while True:
            try:
                report_alive(kind, name)
            except Exception:  # the database is away: the next report says we are back
                logger.warning("Could not report %s alive", kind, exc_info=True)
            finally:
                close_old_connections()
            time.sleep(period)

    thread = threading.Thread(target=loop, name=f"ondijon-liveness-{kind}", daemon=True)
    thread.start()
    return thread


def web_kind() -> str:
    """A daphne on the production stack serves pages; on the embedded default (no Redis) the
    same process also runs the background and periodic jobs: the whole platform."""
    return "web" if settings.REDIS_URL else "embedded"


def started_as_daphne() -> bool:
    """Whether this process is a daphne server (`daphne …` or `python -m daphne …`), not a
    program that merely imports the ASGI application (tests, tools)."""
    return "daphne" in Path(sys.argv[0]).parts or Path(sys.argv[0]).name == "daphne"

"""Periodic jobs on the embedded default: CELERY_BEAT_SCHEDULE run by a thread in-process.

In production Celery beat reads the same schedule and a worker runs the tasks.
"""

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def interval_seconds(schedule) -> float:
    return schedule.total_seconds() if isinstance(schedule, timedelta) else float(schedule)


def run_due_jobs(last_run: dict[str, float], now: float) -> None:
    from ondijon.celery import app

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if now - last_run.get(name, 0.0) < interval_seconds(entry["schedule"]):
            continue
        last_run[name] = now
        try:
            app.tasks[entry["task"]].apply(
                args=entry.get("args", ()), kwargs=entry.get("kwargs", {})
            )
        except Exception:  # one failing job must not stop the others
            logger.exception("Periodic job %s failed", name)
        finally:
            close_old_connections()


def start_in_process_beat(tick_seconds: float = 1.0) -> threading.Thread:
    from ondijon.celery import app

    # Task modules (CELERY_IMPORTS, apps' tasks.py) load on a worker's start; here, now.
    app.loader.import_default_modules()

    def loop() -> None:
        last_run: dict[str, float] = {}
        while True:
            run_due_jobs(last_run, time.monotonic())
            time.sleep(tick_seconds)

    thread = threading.Thread(target=loop, name="ondijon-beat", daemon=True)
    thread.start()
    return thread

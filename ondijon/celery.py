"""Celery application. Without REDIS_URL tasks run eagerly in the caller's process."""

import os

from celery import Celery
from celery.signals import beat_init, worker_ready

from ondijon.broker import keep_workers_alive_on_broker_loss

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondijon.settings")

keep_workers_alive_on_broker_loss()
app = Celery("ondijon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def report_worker_alive(sender, **kwargs) -> None:
    """The worker on the platform panel, under its Celery node name (celery@host)."""
    from ondijon import liveness

    liveness.start_reporting(
        "worker", os.environ.get("PROCESS_NAME") or f"worker:{sender.hostname}"
    )


@beat_init.connect
def report_beat_alive(sender, **kwargs) -> None:
    from ondijon import liveness

    liveness.start_reporting("beat")

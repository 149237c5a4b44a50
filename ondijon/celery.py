"""Celery application. Without REDIS_URL tasks run eagerly in the caller's process."""

import os

from celery import Celery

from ondijon.broker import keep_workers_alive_on_broker_loss

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondijon.settings")

keep_workers_alive_on_broker_loss()
app = Celery("ondijon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

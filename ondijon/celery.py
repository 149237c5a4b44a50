"""Celery application. Without REDIS_URL tasks run eagerly in the caller's process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondijon.settings")

app = Celery("ondijon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

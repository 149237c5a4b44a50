"""The platform panel: each long-running process reports it is alive; one that falls silent
is shown, and logged, as stopped, and its return is logged too."""

import os
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ondijon import liveness, roles
from supervision.models import Event, PlatformProcess
from supervision.platform import services

pytestmark = pytest.mark.django_db


def age(name: str, seconds: float) -> None:
    """As if the process had last reported `seconds` ago."""
    PlatformProcess.objects.filter(name=name).update(
        last_seen_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_process_that_reports_is_listed_running_with_its_last_sign_of_life():
    liveness.report_alive("worker", "worker:celery@node-1")
    process = PlatformProcess.objects.get(name="worker:celery@node-1")
    assert process.kind == "worker" and process.pid == os.getpid()
    assert process.state == PlatformProcess.State.RUNNING
    first_seen = process.last_seen_at
    liveness.report_alive("worker", "worker:celery@node-1")
    process.refresh_from_db()
    assert process.last_seen_at > first_seen
    assert services.watch_processes() == []  # nothing changed, nothing logged
    assert not Event.objects.filter(subject_type="process").exists()


def test_a_silent_process_is_logged_stopped_and_its_return_logged_back(settings):
    settings.PROCESS_SILENT_SECONDS = 30
    liveness.report_alive("mqtt_bridge", "mqtt_bridge@gw")
    liveness.report_alive("beat", "beat@ops")
    age("mqtt_bridge@gw", 31)

    changed = services.watch_processes()

    assert [p.name for p in changed] == ["mqtt_bridge@gw"]
    bridge = PlatformProcess.objects.get(name="mqtt_bridge@gw")
    assert bridge.state == PlatformProcess.State.STOPPED
    stopped = Event.objects.get(kind=services.STOPPED)
    assert stopped.subject_id == "mqtt_bridge@gw" and stopped.payload["kind"] == "mqtt_bridge"
    assert services.watch_processes() == []  # logged once

    liveness.report_alive("mqtt_bridge", "mqtt_bridge@gw")  # restarted by its supervisor
    assert [p.name for p in services.watch_processes()] == ["mqtt_bridge@gw"]
    assert PlatformProcess.objects.get(name="mqtt_bridge@gw").state == "running"
    assert Event.objects.filter(kind=services.RETURNED, subject_id="mqtt_bridge@gw").count() == 1


def test_a_restarted_process_under_the_same_name_takes_the_row_with_its_new_start(settings):
    liveness.report_alive("ack_listener", "ack_listener@gw")
    PlatformProcess.objects.filter(name="ack_listener@gw").update(
        pid=1, started_at=timezone.now() - timedelta(days=1)
    )
    liveness.report_alive("ack_listener", "ack_listener@gw")
    process = PlatformProcess.objects.get(name="ack_listener@gw")
    assert process.pid == os.getpid()
    assert timezone.now() - process.started_at < timedelta(minutes=1)


def test_the_panel_shows_a_stopped_process_even_before_the_check_ran(settings, make_user):
    """Beat may be the process that stopped, and with it the periodic check."""
    settings.PROCESS_SILENT_SECONDS = 30
    liveness.report_alive("beat", "beat@ops")
    liveness.report_alive("web", "web@ops")
    age("beat@ops", 120)
    client = Client()
    client.force_login(make_user(roles.OPERATOR))

    page = client.get("/platform/").content.decode()

    assert 'data-process="beat@ops" data-state="stopped"' in page
    assert 'data-process="web@ops" data-state="running"' in page
    assert page.index("beat@ops") < page.index("web@ops")  # what needs acting on first


@pytest.mark.parametrize(
    "role, status",
    [
        (roles.OPERATOR, 200),
        (roles.SUPERVISOR, 200),
        (roles.HOTLINE_AGENT, 403),
        (roles.WALL_DISPLAY, 403),
    ],
)
def test_the_panel_is_for_the_supervision_room(make_user, role, status):
    client = Client()
    client.force_login(make_user(role))
    assert client.get("/platform/").status_code == status


def test_the_check_runs_with_the_periodic_jobs(settings):
    jobs = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "supervision.tasks.watch_processes" in jobs

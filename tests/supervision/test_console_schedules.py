"""Planned commands: weekly and one-off, run by the periodic job as events, held while a
crisis mode is active and carried out once it ends; edited in the admin through services."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from equipment.models import Equipment
from ondijon import jobs
from ondijon import roles as r
from supervision.console import schedules
from supervision.crisis import services as crisis
from supervision.models import CommandSchedule, CrisisMode, Event

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def lights(make_equipment):
    return [
        make_equipment(f"SL-{n:05d}", "streetlight", {"lamp": "on", "dim": 100}) for n in (1, 2)
    ]


def night_dimming(**extra):
    return {
        "name": "Night dimming",
        "criteria": {"kind": "streetlight"},
        "action": "dim",
        "params": {"level": 30},
        "reason": "Energy saving at night",
        **extra,
    }


def test_a_weekly_schedule_runs_next_on_its_days_at_its_local_time(db):
    schedule = CommandSchedule(weekdays=[0, 3], time=dt.time(22, 0))  # Mondays and Thursdays
    tuesday_noon = dt.datetime(2026, 12, 1, 12, 0, tzinfo=PARIS)
    assert schedules.next_occurrence(schedule, tuesday_noon) == dt.datetime(
        2026, 12, 3, 22, 0, tzinfo=PARIS
    )
    thursday_late = dt.datetime(2026, 12, 3, 22, 0, tzinfo=PARIS)
    assert schedules.next_occurrence(schedule, thursday_late) == dt.datetime(
        2026, 12, 7, 22, 0, tzinfo=PARIS
    )


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"weekdays": [0], "time": None}, "time"),
        ({"weekdays": [9], "time": dt.time(22)}, "weekdays"),
        ({}, "run_at"),
        ({"weekdays": [1], "time": dt.time(22), "params": {"level": 300}}, "params"),
        ({"weekdays": [1], "time": dt.time(22), "criteria": {"kind": "nothing"}}, "criteria"),
        ({"weekdays": [1], "time": dt.time(22), "reason": " "}, "reason"),
    ],
)
def test_a_schedule_that_could_not_run_is_refused_by_field(lights, extra, field):
    with pytest.raises(ValidationError) as refused:
        schedules.create_schedule(night_dimming(**extra))
    assert field in refused.value.message_dict
    assert not CommandSchedule.objects.exists()


def test_a_due_schedule_runs_as_an_event_and_the_devices_acknowledge(
    lights, make_user, django_capture_on_commit_callbacks
):
    schedule = schedules.create_schedule(
        night_dimming(weekdays=list(range(7)), time=dt.time(22, 0)), make_user(r.OPERATOR)
    )
    assert schedule.next_run_at is not None
    when = schedule.next_run_at + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert schedules.run_due_schedules(when) == {"ran": 1, "held": 0, "failed": 0}
    schedule.refresh_from_db()
    assert schedule.last_run_at == when
    assert schedule.next_run_at == when - dt.timedelta(seconds=1) + dt.timedelta(days=1)
    assert {d.state["dim"] for d in Equipment.objects.filter(kind="streetlight")} == {30}
    ran = Event.objects.get(kind="schedule.ran")
    assert ran.payload["devices"] == 2 and ran.payload["resumed"] is False
    # Nothing more is due until the next night.
    assert schedules.run_due_schedules(when + dt.timedelta(minutes=1))["ran"] == 0


def test_a_crisis_mode_holds_the_schedule_which_runs_once_it_ends(
    lights, make_user, django_capture_on_commit_callbacks
):
    schedule = schedules.create_schedule(
        night_dimming(run_at=dt.datetime(2026, 12, 24, 22, 0, tzinfo=PARIS))
    )
    mode = CrisisMode.objects.create(code="flood", name="Flood")
    activation = crisis.activate(mode, None, "River rising", confirmed=True)
    due = schedule.run_at + dt.timedelta(seconds=5)
    assert schedules.run_due_schedules(due)["held"] == 1
    schedule.refresh_from_db()
    assert schedule.held_since == schedule.run_at
    assert not schedule.last_run_at
    assert {d.state["dim"] for d in Equipment.objects.filter(kind="streetlight")} == {100}
    assert Event.objects.filter(kind="schedule.held").count() == 1
    # Still held at the next check, with no second event.
    assert schedules.run_due_schedules(due + dt.timedelta(seconds=15))["held"] == 1
    assert Event.objects.filter(kind="schedule.held").count() == 1

    crisis.deactivate(activation, None, "Water receding")
    with django_capture_on_commit_callbacks(execute=True):
        assert schedules.run_due_schedules(due + dt.timedelta(minutes=1))["ran"] == 1
    schedule.refresh_from_db()
    assert schedule.held_since is None and schedule.active is False  # a one-off, done
    assert Event.objects.get(kind="schedule.ran").payload["resumed"] is True
    assert {d.state["dim"] for d in Equipment.objects.filter(kind="streetlight")} == {30}


def test_the_periodic_jobs_run_the_schedules(settings):
    assert "supervision.tasks.run_command_schedules" in {
        job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert jobs.task_named("supervision.tasks.run_command_schedules")


def test_an_administrator_edits_schedules_in_the_admin_through_the_services(lights, make_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(r.ADMINISTRATOR, is_superuser=True))
    form = {
        "name": "Market-day bollards",
        "criteria": '{"kind": "streetlight"}',
        "action": "off",
        "params": "{}",
        "reason": "Market",
        "weekdays": "[1, 4]",
        "time": "06:00",
        "active": "on",
    }
    response = client.post("/admin/supervision/commandschedule/add/", form)
    assert response.status_code == 302, response.content[:2000]
    schedule = CommandSchedule.objects.get()
    assert schedule.weekdays == [1, 4] and schedule.next_run_at is not None
    assert Event.objects.filter(kind="schedule.created", subject_id=str(schedule.pk)).exists()
    client.post(f"/admin/supervision/commandschedule/{schedule.pk}/delete/", {"post": "yes"})
    assert not CommandSchedule.objects.exists()
    assert Event.objects.filter(kind="schedule.deleted").exists()


ALL = set(r.ROLE_LABELS)
COMMAND = {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR}
SEE_COMMANDS = COMMAND  # equipment.view_command


@pytest.mark.parametrize("role", sorted(ALL))
def test_who_plans_commands_on_the_console(lights, make_user, role):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(role))
    listing = client.get("/console/schedules.json")
    assert listing.status_code == (200 if role in SEE_COMMANDS else 403)
    body = {
        "name": "Night dimming",
        "selection": {"kind": "streetlight"},
        "action": "dim",
        "params": {"level": 30},
        "reason": "Energy",
        "weekdays": [0, 1, 2, 3, 4],
        "time": "22:30",
    }
    response = client.post("/console/schedules.json", body, content_type="application/json")
    if role not in COMMAND:
        assert response.status_code == 403
        assert not CommandSchedule.objects.exists()
        return
    assert response.status_code == 201, response.content
    assert response.json()["schedule"]["time"] == "22:30"
    bad = client.post(
        "/console/schedules.json",
        {**body, "time": "25:99", "name": ""},
        content_type="application/json",
    )
    assert bad.status_code == 400 and set(bad.json()) == {"time", "name"}
    unconfirmed = client.post(
        "/console/schedules.json",
        {**body, "selection": {"kind": "bollard"}, "action": "lower", "params": {}},
        content_type="application/json",
    )
    assert unconfirmed.status_code == 400 and set(unconfirmed.json()) == {"confirm"}

"""Planned commands: weekly and one-off, run by the periodic job as events, held while a
crisis mode is active and carried out once it ends; edited in the admin through services."""

import datetime as dt
import json
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


def console_schedule(client, **extra) -> dict:
    body = {
        "name": "Night dimming",
        "selection": {"kind": "streetlight"},
        "action": "dim",
        "params": {"level": 30},
        "reason": "Energy",
        "weekdays": [0, 1, 2, 3, 4],
        "time": "22:30",
        **extra,
    }
    response = client.post("/console/schedules.json", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["schedule"]


def patch(client, pk: int, body):
    return client.patch(
        f"/console/schedules/{pk}.json",
        body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
    )


@pytest.mark.parametrize("role", sorted(ALL))
def test_who_edits_and_removes_schedules_on_the_console(lights, make_user, role):
    planner = Client(HTTP_ACCEPT_LANGUAGE="en")
    planner.force_login(make_user(r.OPERATOR, username="planner"))
    schedule = console_schedule(planner)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(role))
    url = f"/console/schedules/{schedule['id']}.json"
    seen = client.get(url)
    edited = patch(client, schedule["id"], {"time": "23:15"})
    removed = client.delete(url)
    if role not in COMMAND:
        assert seen.status_code == edited.status_code == removed.status_code == 403
        kept = CommandSchedule.objects.get()
        assert kept.time == dt.time(22, 30)
        assert not Event.objects.filter(kind__in=["schedule.updated", "schedule.deleted"])
        return
    assert seen.status_code == 200 and seen.json()["schedule"]["time"] == "22:30"
    assert edited.status_code == 200, edited.content
    assert edited.json()["schedule"]["time"] == "23:15"
    event = Event.objects.get(kind="schedule.updated")
    assert event.payload["fields"] == ["time"] and event.actor.username.startswith(role)
    assert removed.status_code == 204
    assert not CommandSchedule.objects.exists()
    assert Event.objects.filter(kind="schedule.deleted", subject_id=str(schedule["id"])).exists()


def test_anonymous_cannot_edit_or_remove_a_schedule(lights, make_user):
    planner = Client(HTTP_ACCEPT_LANGUAGE="en")
    planner.force_login(make_user(r.OPERATOR))
    schedule = console_schedule(planner)
    url = f"/console/schedules/{schedule['id']}.json"
    assert patch(Client(), schedule["id"], {"time": "23:15"}).status_code == 302
    assert Client().delete(url).status_code == 302
    assert CommandSchedule.objects.get().time == dt.time(22, 30)


@pytest.fixture
def operator(make_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(r.OPERATOR))
    return client


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"time": "25:99"}, {"time"}),
        ({"name": ""}, {"name"}),
        ({"active": "yes"}, {"active"}),
        ({"params": {"level": 140}}, {"params"}),
        ({"weekdays": [9]}, {"weekdays"}),
        ({"weekdays": [], "time": None}, {"run_at"}),
        ({"selection": {"kind": "nothing"}}, {"criteria"}),
        ({"reason": " "}, {"reason"}),
    ],
)
def test_a_bad_edit_gets_field_errors_and_changes_nothing(lights, operator, body, fields):
    schedule = console_schedule(operator)
    response = patch(operator, schedule["id"], body)
    assert response.status_code == 400, response.content
    assert set(response.json()) == fields
    kept = CommandSchedule.objects.get()
    assert (kept.name, kept.time, kept.params, kept.active) == (
        "Night dimming",
        dt.time(22, 30),
        {"level": 30},
        True,
    )
    assert not Event.objects.filter(kind="schedule.updated").exists()


def test_a_malformed_edit_or_an_unknown_schedule_is_refused_clearly(lights, operator):
    schedule = console_schedule(operator)
    assert patch(operator, schedule["id"], "{not json").status_code == 400
    assert patch(operator, schedule["id"], "[1]").status_code == 400
    assert patch(operator, 999999, {"time": "23:00"}).status_code == 404
    assert operator.delete("/console/schedules/999999.json").status_code == 404
    put = operator.put(f"/console/schedules/{schedule['id']}.json", "{}", "application/json")
    assert put.status_code == 405


def test_pausing_resuming_and_rescheduling_on_the_console(lights, operator):
    schedule = console_schedule(operator)
    paused = patch(operator, schedule["id"], {"active": False}).json()["schedule"]
    assert paused["active"] is False and paused["next_run_at"] is None
    # A paused schedule never runs, however late it is.
    assert schedules.run_due_schedules()["ran"] == 0
    resumed = patch(operator, schedule["id"], {"active": True}).json()["schedule"]
    assert resumed["active"] is True and resumed["next_run_at"]
    once = patch(
        operator, schedule["id"], {"weekdays": [], "time": None, "run_at": "2031-05-01T06:00"}
    )
    assert once.status_code == 200, once.content
    next_run = dt.datetime.fromisoformat(once.json()["schedule"]["next_run_at"])
    assert next_run == dt.datetime(2031, 5, 1, 6, 0, tzinfo=PARIS)  # the city's local time


def test_a_public_safety_schedule_is_confirmed_again_when_it_changes(lights, operator):
    schedule = console_schedule(
        operator,
        selection={"kind": "bollard"},
        action="lower",
        params={},
        confirm=True,
    )
    moved = patch(operator, schedule["id"], {"time": "05:30"})
    assert moved.status_code == 400 and set(moved.json()) == {"confirm"}
    assert CommandSchedule.objects.get().time == dt.time(22, 30)
    # Renaming or pausing makes nothing move: no confirmation.
    assert patch(operator, schedule["id"], {"name": "Market bollards"}).status_code == 200
    assert patch(operator, schedule["id"], {"active": False}).status_code == 200
    resumed = patch(operator, schedule["id"], {"active": True})
    assert resumed.status_code == 400 and set(resumed.json()) == {"confirm"}
    confirmed = patch(operator, schedule["id"], {"time": "05:30", "active": True, "confirm": True})
    assert confirmed.status_code == 200
    assert CommandSchedule.objects.get().time == dt.time(5, 30)

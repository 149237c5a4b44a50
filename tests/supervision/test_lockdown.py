"""Locked buildings under telesurveillance: door events raise high alerts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from equipment import commands
from equipment.models import Reading
from supervision.crisis import lockdown
from supervision.models import Alert

ALLOW = [{"name": "Gardien Paul", "badge": "B-17", "from": "00:00", "until": "23:59"}]


@pytest.fixture
def locked_building(make_equipment, django_capture_on_commit_callbacks):
    device = make_equipment("BA-PB-001", "building_access", {"locked": False, "badges": "normal"})
    with django_capture_on_commit_callbacks(execute=True):
        commands.request_command(device, "lock", reason="Lockdown")
        commands.request_command(device, "revoke_badges", {"allow": ALLOW}, reason="Lockdown")
    device.refresh_from_db()
    assert device.state["locked"] is True
    return device


def report(device, **metrics):
    return Reading.objects.create(equipment=device, time=timezone.now(), metrics=metrics)


def test_door_opening_at_a_locked_building_raises_one_high_alert(locked_building):
    report(locked_building, door="closed")
    assert lockdown.watch_locked_buildings() == 0
    report(locked_building, door="open")
    report(locked_building, intrusion=True)
    assert lockdown.watch_locked_buildings() == 1
    alert = Alert.objects.get()
    assert alert.severity == Alert.Severity.HIGH
    assert alert.equipment == locked_building
    assert alert.details["events"] == 2
    # Still open: further events update it rather than raising another.
    report(locked_building, door="forced")
    assert lockdown.watch_locked_buildings() == 0
    alert.refresh_from_db()
    assert alert.details["events"] == 3 and Alert.objects.count() == 1
    assert lockdown.watch_locked_buildings() == 0  # nothing new


def test_allowed_badge_within_its_window_is_no_alarm(locked_building):
    report(locked_building, door="open", badge="B-17")
    assert lockdown.watch_locked_buildings() == 0
    report(locked_building, door="open", badge="B-99")
    assert lockdown.watch_locked_buildings() == 1


def test_events_before_the_lock_or_at_unlocked_buildings_are_ignored(
    make_equipment, locked_building
):
    Reading.objects.create(
        equipment=locked_building,
        time=timezone.now() - timedelta(hours=1),
        metrics={"door": "open"},
    )
    open_building = make_equipment("BA-PB-002", "building_access", {"locked": False})
    report(open_building, door="open")
    assert lockdown.watch_locked_buildings() == 0

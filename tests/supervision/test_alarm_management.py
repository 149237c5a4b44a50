"""Alarm management: one cause, one alert (correlation); shelving; suppression; chattering."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from equipment.ingest import ingest
from equipment.models import Equipment
from ondijon.api.errors import Conflict
from supervision.alerts import services
from supervision.alerts.rules import run_checks
from supervision.models import OPEN_ALERT_STATUSES, Alert, AlertRule, Event


def absence_rule(name: str, kind: str, **extra) -> AlertRule:
    return AlertRule.objects.create(
        name=name,
        kind=AlertRule.Kind.ABSENCE,
        equipment_kind=kind,
        duration_seconds=1800,
        clear_after_seconds=0,
        severity=extra.pop("severity", Alert.Severity.INFO),
        category="lighting",
        **extra,
    )


@pytest.fixture
def cabinet_and_lamps(make_equipment):
    long_ago = timezone.now() - timedelta(hours=2)
    cabinet = make_equipment("LC-0412", "lighting_cabinet", last_seen_at=long_ago)
    lamps = [
        make_equipment(f"SL-{n}", "streetlight", parent=cabinet, last_seen_at=long_ago)
        for n in range(12)
    ]
    absence_rule("Lighting cabinet offline", "lighting_cabinet", severity=Alert.Severity.HIGH)
    absence_rule("Streetlight silent", "streetlight")  # groups a storm by district (default)
    return cabinet, lamps


def top_level_open():
    return Alert.objects.filter(status__in=OPEN_ALERT_STATUSES, parent=None)


def test_a_power_cut_collapses_into_one_parent(cabinet_and_lamps):
    cabinet, lamps = cabinet_and_lamps
    run_checks()
    (parent,) = top_level_open()
    assert parent.equipment == cabinet
    assert parent.children.count() == len(lamps) and parent.details["children"] == len(lamps)
    assert "LC-0412" in parent.title
    assert Event.objects.filter(kind="alert.grouped").count() == len(lamps)
    # The desk lists the parent alone; the children are listed under it.
    assert services.alert_snapshot(parent)["children"] == len(lamps)
    assert {c["parent"] for c in map(services.alert_snapshot, parent.children.all())} == {parent.pk}


def test_the_cabinet_back_clears_the_lamps_that_followed_it(cabinet_and_lamps):
    cabinet, _ = cabinet_and_lamps
    run_checks()
    now = datetime.now(UTC).isoformat()
    ingest([{"device": cabinet.code, "time": now, "metrics": {"circuit": "on"}}])
    parent = Alert.objects.get(equipment=cabinet)
    assert parent.cleared_at is not None
    assert not parent.children.filter(cleared_at=None).exists()


def test_working_the_parent_works_its_children(cabinet_and_lamps, make_user):
    operator = make_user("operator")
    run_checks()
    (parent,) = top_level_open()
    services.acknowledge_alert(parent, operator)
    assert set(parent.children.values_list("status", flat=True)) == {"acknowledged"}
    services.resolve_alert(parent, operator, note="Cabinet fuse replaced")
    assert set(parent.children.values_list("status", flat=True)) == {"resolved"}


def test_lamps_raised_before_their_cabinet_move_under_it(cabinet_and_lamps):
    cabinet, lamps = cabinet_and_lamps
    AlertRule.objects.filter(kind="absence", equipment_kind="lighting_cabinet").update(
        enabled=False
    )
    run_checks()
    (storm,) = top_level_open()  # no cause known yet: one storm over the district
    assert storm.condition_key.startswith("group:") and storm.children.count() == len(lamps)
    AlertRule.objects.update(enabled=True)
    Equipment.objects.filter(pk=cabinet.pk).update(status="ok")
    run_checks()
    cause = Alert.objects.get(equipment=cabinet)
    assert cause.parent is None and cause.children.count() == len(lamps)


def test_a_storm_of_one_rule_in_one_district_is_one_alert(make_equipment):
    long_ago = timezone.now() - timedelta(hours=2)
    for n in range(7):
        make_equipment(f"WS-{n}", "water_sensor", last_seen_at=long_ago)
    absence_rule("Water sensor silent", "water_sensor", group_threshold=5)
    run_checks()
    (group,) = top_level_open()
    assert group.children.count() == 7 and group.equipment is None


def test_grouping_off_for_a_rule_raises_each_alert(make_equipment):
    long_ago = timezone.now() - timedelta(hours=2)
    for n in range(6):
        make_equipment(f"WS-{n}", "water_sensor", last_seen_at=long_ago)
    absence_rule("Water sensor silent", "water_sensor", group_by="")
    run_checks()
    assert top_level_open().count() == 6


@pytest.fixture
def raised_alert(db):
    return services.raise_alert(
        {"title": "Pressure drop", "source": "operator", "category": "water", "severity": 4}
    )


def test_a_shelved_alert_returns_by_itself_when_its_time_ends(raised_alert, make_user):
    operator = make_user("operator")
    shelved = services.shelve_alert(raised_alert, operator, 600, "Crew already on site")
    assert shelved.shelved_until is not None
    assert services.unshelve_due_alerts(shelved.shelved_until - timedelta(seconds=1)) == 0
    raised_alert.refresh_from_db()
    assert raised_alert.shelved_until is not None
    assert services.unshelve_due_alerts(shelved.shelved_until) == 1
    raised_alert.refresh_from_db()
    assert raised_alert.shelved_until is None and raised_alert.shelved_reason == ""
    kinds = list(Event.objects.filter(subject_id=raised_alert.pk).values_list("kind", flat=True))
    assert kinds[-2:] == ["alert.shelved", "alert.unshelved"]
    assert Event.objects.get(kind="alert.unshelved").payload["reason"] == "time_over"


@pytest.mark.parametrize(
    ("seconds", "reason", "code"),
    [(10, "ok", "shelve_duration"), (600, "  ", "shelve_reason")],
)
def test_shelving_needs_a_time_and_a_reason(raised_alert, make_user, seconds, reason, code):
    with pytest.raises(Conflict) as refused:
        services.shelve_alert(raised_alert, make_user("operator"), seconds, reason)
    assert refused.value.code == code
    assert not Event.objects.filter(kind="alert.shelved").exists()


def test_equipment_in_maintenance_raises_nothing(make_equipment):
    make_equipment("WS-M", "water_sensor", status="maintenance")
    AlertRule.objects.create(
        name="Pressure drop",
        kind="threshold",
        equipment_kind="water_sensor",
        metric="pressure_bar",
        comparison="below",
        value=2.5,
        category="water",
    )
    now = datetime.now(UTC).isoformat()
    ingest([{"device": "WS-M", "time": now, "metrics": {"pressure_bar": 1.0}}])
    assert not Alert.objects.exists()


def test_the_desk_shelves_and_unshelves_for_the_roles_that_work_alerts(raised_alert, make_user):
    from django.test import Client

    from ondijon import roles

    shelve_url = f"/alerts/{raised_alert.pk}/shelve/"
    refused = Client()
    refused.force_login(make_user(roles.HOTLINE_AGENT))
    assert refused.post(shelve_url, {"shelve-minutes": 15, "shelve-reason": "x"}).status_code == 403
    operator = Client()
    operator.force_login(make_user(roles.OPERATOR))
    bad = operator.post(shelve_url, {"shelve-minutes": 7, "shelve-reason": ""})
    assert bad.status_code == 400
    assert set(bad.context["shelve_form"].errors) == {"minutes", "reason"}
    done = operator.post(shelve_url, {"shelve-minutes": 15, "shelve-reason": "Crew on site"})
    assert done.status_code == 302
    raised_alert.refresh_from_db()
    assert raised_alert.shelved_reason == "Crew on site"
    desk = operator.get("/alerts/")
    assert raised_alert not in desk.context["alerts"] and raised_alert in desk.context["shelved"]
    assert refused.post(f"/alerts/{raised_alert.pk}/unshelve/").status_code == 403
    assert operator.post(f"/alerts/{raised_alert.pk}/unshelve/").status_code == 302
    raised_alert.refresh_from_db()
    assert raised_alert.shelved_until is None


def test_a_flood_starts_and_ends_with_an_event_and_the_desk_shows_it(settings, make_user):
    from django.test import Client

    from ondijon import roles
    from supervision.alerts import flood

    settings.ALARM_FLOOD_THRESHOLD, settings.ALARM_FLOOD_WINDOW_SECONDS = 10, 600
    for n in range(11):
        services.raise_alert(
            {"title": f"Leak {n}", "source": "operator", "category": "water", "severity": 3}
        )
    now = timezone.now()
    assert flood.check_flood(now) is True
    assert flood.check_flood(now) is True  # told once
    assert Event.objects.filter(kind="alarm.flood_started").count() == 1
    operator = Client()
    operator.force_login(make_user(roles.OPERATOR))
    page = operator.get("/alerts/")
    assert page.context["flood"] and page.context["flood_groups"][0]["total"] == 11
    assert flood.check_flood(now + timedelta(seconds=601)) is False
    assert Event.objects.get(kind="alarm.flood_ended").payload["rate"] == 0
    assert "flood_groups" not in operator.get("/alerts/").context

"""Alert rules configured as data, and the alert lifecycle that the room follows."""

from datetime import UTC, datetime, timedelta

import pytest

from equipment.ingest import ingest
from equipment.models import Equipment, Site
from ondijon import roles
from supervision.alerts.rules import run_checks
from supervision.models import Alert, AlertRule, Event, RuleCondition

T0 = datetime.now(UTC) - timedelta(hours=1)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def reading(device: str, seconds: float, **metrics) -> dict:
    return {"device": device, "time": at(seconds), "metrics": metrics}


def alert_events(kind: str | None = None):
    events = Event.objects.filter(subject_type="alert")
    return events.filter(kind=kind) if kind else events


@pytest.fixture
def sensor(district):
    return Equipment.objects.create(
        code="WS-R1", kind="water_sensor", district=district, latitude=47.32, longitude=5.04
    )


@pytest.fixture
def pressure_rule(db):
    return AlertRule.objects.create(
        name="Pressure drop",
        kind=AlertRule.Kind.THRESHOLD,
        equipment_kind="water_sensor",
        metric="pressure_bar",
        comparison="below",
        value=2.5,
        clear_value=3.0,
        duration_seconds=60,
        clear_after_seconds=120,
        severity=Alert.Severity.HIGH,
        category="water",
        procedure="Check for a leak; close the sector valve if confirmed.",
        suggested_steps=[
            {"action": "create_intervention", "service": "water"},
            {"action": "send_command", "command": "close_valve"},
        ],
    )


def test_threshold_raises_once_after_its_duration(sensor, pressure_rule):
    ingest([reading("WS-R1", 0, pressure_bar=2.0)])
    assert not Alert.objects.exists()  # pending: not yet lasted a minute
    ingest([reading("WS-R1", 30, pressure_bar=1.9), reading("WS-R1", 70, pressure_bar=1.8)])
    ingest([reading("WS-R1", 80, pressure_bar=1.7)])
    alert = Alert.objects.get()
    assert alert.severity == Alert.Severity.HIGH and alert.category == "water"
    assert alert.equipment == sensor and alert.rule == pressure_rule
    assert alert.details["procedure"].startswith("Check for a leak")
    assert alert.details["suggested_steps"][0] == {
        "action": "create_intervention",
        "service": "water",
    }
    assert alert_events("alert.raised").count() == 1


def test_short_dip_raises_nothing(sensor, pressure_rule):
    ingest([reading("WS-R1", 0, pressure_bar=2.0), reading("WS-R1", 20, pressure_bar=4.0)])
    ingest([reading("WS-R1", 200, pressure_bar=4.1)])
    assert not Alert.objects.exists()
    assert not RuleCondition.objects.exists()


def test_hysteresis_keeps_one_alert_while_flapping(sensor, pressure_rule):
    ingest([reading("WS-R1", 0, pressure_bar=2.0), reading("WS-R1", 60, pressure_bar=2.0)])
    # Back in the band between 2.5 and 3.0: the condition goes on.
    ingest([reading("WS-R1", 70, pressure_bar=2.8)])
    assert RuleCondition.objects.get().active
    # Recovers, then drops again within clear_after: same alert, no new raise.
    ingest([reading("WS-R1", 80, pressure_bar=3.5)])
    ingest([reading("WS-R1", 100, pressure_bar=2.0)])
    assert Alert.objects.count() == 1
    assert alert_events("alert.raised").count() == 1
    assert Alert.objects.get().cleared_at is None


def test_condition_gone_long_enough_clears_the_alert(sensor, pressure_rule):
    ingest([reading("WS-R1", 0, pressure_bar=2.0), reading("WS-R1", 60, pressure_bar=2.0)])
    ingest([reading("WS-R1", 70, pressure_bar=3.5)])
    assert Alert.objects.get().cleared_at is None  # not yet: clear_after is two minutes
    ingest([reading("WS-R1", 200, pressure_bar=3.6)])
    alert = Alert.objects.get()
    assert alert.cleared_at is not None and alert.status == Alert.Status.RAISED
    assert alert_events("alert.cleared").count() == 1
    assert not RuleCondition.objects.exists()


def test_cleared_alert_still_open_is_taken_up_again(sensor, pressure_rule):
    ingest([reading("WS-R1", 0, pressure_bar=2.0), reading("WS-R1", 60, pressure_bar=2.0)])
    ingest([reading("WS-R1", 70, pressure_bar=3.5), reading("WS-R1", 300, pressure_bar=3.5)])
    ingest([reading("WS-R1", 400, pressure_bar=2.0), reading("WS-R1", 470, pressure_bar=2.0)])
    alert = Alert.objects.get()
    assert alert.cleared_at is None and alert.details["occurrences"] == 2
    assert alert_events("alert.updated").filter(payload__reason="condition_returned").exists()


def test_periodic_check_raises_a_reached_duration(sensor, pressure_rule):
    ingest([reading("WS-R1", 0, pressure_bar=2.0)])
    run_checks(now=T0 + timedelta(seconds=90))
    assert Alert.objects.count() == 1


def test_status_rule_raises_on_fault_and_clears_on_recovery(streetlight):
    AlertRule.objects.create(
        name="Lamp fault",
        kind=AlertRule.Kind.STATUS,
        equipment_kind="streetlight",
        clear_after_seconds=0,
        category="lighting",
        severity=Alert.Severity.LOW,
    )
    ingest([reading("SL-TEST-1", 0, status="fault")])
    alert = Alert.objects.get()
    assert alert.title == "Lamp fault: SL-TEST-1"
    ingest([reading("SL-TEST-1", 10, status="ok")])
    alert.refresh_from_db()
    assert alert.cleared_at is not None


def test_absence_marks_offline_and_talking_again_clears(streetlight):
    AlertRule.objects.create(
        name="Silent streetlight",
        kind=AlertRule.Kind.ABSENCE,
        equipment_kind="streetlight",
        duration_seconds=600,
        clear_after_seconds=0,
        category="lighting",
    )
    ingest([reading("SL-TEST-1", 0, power_w=70)])
    Equipment.objects.filter(pk=streetlight.pk).update(last_seen_at=T0)
    run_checks(now=T0 + timedelta(seconds=300))
    assert not Alert.objects.exists()
    run_checks(now=T0 + timedelta(seconds=700))
    streetlight.refresh_from_db()
    assert streetlight.status == "offline"
    assert Alert.objects.get().title == "Silent streetlight: SL-TEST-1"
    run_checks(now=T0 + timedelta(seconds=800))
    assert Alert.objects.count() == 1  # once per condition
    ingest([reading("SL-TEST-1", 900, power_w=70)])
    streetlight.refresh_from_db()
    assert streetlight.status == "ok"
    assert Alert.objects.get().cleared_at is not None


def test_delivery_bay_overstay_is_seen_by_the_periodic_check(district):
    Equipment.objects.create(
        code="DB-R1", kind="delivery_bay", district=district, latitude=47.3, longitude=5.0
    )
    AlertRule.objects.create(
        name="Delivery bay overstay",
        kind=AlertRule.Kind.OCCUPANCY,
        equipment_kind="delivery_bay",
        metric="occupied",
        duration_seconds=30 * 60,
        category="parking",
    )
    ingest([reading("DB-R1", 0, occupied=True)])  # the sensor then stays quiet
    run_checks(now=T0 + timedelta(minutes=20))
    assert not Alert.objects.exists()
    run_checks(now=T0 + timedelta(minutes=31))
    assert Alert.objects.get().category == "parking"


def test_camera_detection_repeats_update_one_alert(district):
    Equipment.objects.create(
        code="CAM-R1", kind="camera", district=district, latitude=47.3, longitude=5.0
    )
    AlertRule.objects.create(
        name="Car in bus lane",
        kind=AlertRule.Kind.DETECTION,
        equipment_kind="camera",
        metric="detection",
        match_text="bus_lane",
        clear_after_seconds=300,
        category="traffic",
    )
    ingest([reading("CAM-R1", 0, detection="bus_lane")])
    ingest([reading("CAM-R1", 5, detection="pedestrian")])
    ingest([reading("CAM-R1", 10, detection="bus_lane")])
    assert Alert.objects.count() == 1
    run_checks(now=T0 + timedelta(seconds=400))
    assert Alert.objects.get().cleared_at is not None


def test_market_over_capacity_is_one_alert_for_the_site(district):
    market = Site.objects.create(
        code="m1",
        name="Market",
        kind="market",
        district=district,
        latitude=47.3,
        longitude=5.0,
        capacity=100,
    )
    for gate in (1, 2):
        Equipment.objects.create(
            code=f"MG-{gate}",
            kind="market_gate",
            district=district,
            site=market,
            latitude=47.3,
            longitude=5.0,
        )
    AlertRule.objects.create(
        name="Market full",
        kind=AlertRule.Kind.COUNTER,
        equipment_kind="market_gate",
        metric="in",
        subtract_metric="out",
        category="crowd",
    )
    ingest([reading("MG-1", 0, **{"in": 60, "out": 10})])
    assert not Alert.objects.exists()
    ingest([reading("MG-2", 10, **{"in": 55, "out": 5})])
    alert = Alert.objects.get()
    assert alert.title == "Market full: Market" and alert.details["value"] == 100


def test_disabled_rule_is_ignored(sensor, pressure_rule):
    pressure_rule.enabled = False
    pressure_rule.save()
    ingest([reading("WS-R1", 0, pressure_bar=1.0), reading("WS-R1", 100, pressure_bar=1.0)])
    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"kind": "threshold", "metric": "p"}, "value"),
        ({"kind": "threshold", "value": 1}, "metric"),
        ({"kind": "detection", "metric": "detection"}, "match_text"),
        ({"kind": "absence", "duration_seconds": 5}, "duration_seconds"),
        ({"kind": "status", "suggested_steps": [{"action": "dance"}]}, "suggested_steps"),
        pytest.param(
            {
                "kind": "status",
                "equipment_kind": "streetlight",
                "suggested_steps": [{"action": "send_command", "command": "reset"}],
            },
            "suggested_steps",
            id="command the device kind does not take",
        ),
        pytest.param(
            {
                "kind": "status",
                "equipment_kind": "camera",
                "suggested_steps": [{"action": "send_command", "command": "goto_preset"}],
            },
            "suggested_steps",
            id="command that needs parameters",
        ),
        pytest.param(
            {"kind": "status", "suggested_steps": [{"action": "send_command", "command": "on"}]},
            "suggested_steps",
            id="command without an equipment kind",
        ),
        pytest.param(
            {
                "kind": "status",
                "suggested_steps": [{"action": "create_intervention", "service": "ghostbusters"}],
            },
            "suggested_steps",
            id="unknown service",
        ),
        (
            {
                "kind": "threshold",
                "metric": "p",
                "comparison": "below",
                "value": 2,
                "clear_value": 1,
            },
            "clear_value",
        ),
    ],
)
def test_admin_cannot_save_an_incoherent_rule(make_user, fields, problem):
    import json

    from django.test import Client

    admin = Client()
    admin.force_login(make_user(roles.ADMINISTRATOR))
    form = {
        "name": "r",
        "enabled": "on",
        "kind": "",
        "equipment_kind": "",
        "metric": "",
        "comparison": "above",
        "value": "",
        "clear_value": "",
        "match_text": "",
        "subtract_metric": "",
        "duration_seconds": 0,
        "clear_after_seconds": 60,
        "severity": 3,
        "category": "c",
        "procedure": "",
        "suggested_steps": "[]",
    }
    for name, value in fields.items():
        form[name] = json.dumps(value) if name == "suggested_steps" else value
    response = admin.post("/admin/supervision/alertrule/add/", form)
    assert response.status_code == 200  # the form again, with what to fix
    assert problem in response.context["adminform"].form.errors
    assert not AlertRule.objects.exists()


def test_admin_saves_a_coherent_rule(make_user):
    from django.test import Client

    admin = Client()
    admin.force_login(make_user(roles.ADMINISTRATOR))
    response = admin.post(
        "/admin/supervision/alertrule/add/",
        {
            "name": "Pressure drop",
            "enabled": "on",
            "kind": "threshold",
            "equipment_kind": "water_sensor",
            "metric": "pressure_bar",
            "comparison": "below",
            "value": 2.5,
            "clear_value": 3.0,
            "duration_seconds": 60,
            "clear_after_seconds": 120,
            "severity": 4,
            "category": "water",
            "suggested_steps": '[{"action": "create_intervention", "service": "water"}]',
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert AlertRule.objects.get().suggested_steps[0]["service"] == "water"


# --- the lifecycle, through the API ---------------------------------------------------


@pytest.fixture
def raised_alert(sensor, pressure_rule):
    ingest([reading("WS-R1", 0, pressure_bar=2.0), reading("WS-R1", 60, pressure_bar=2.0)])
    return Alert.objects.get()


def test_full_lifecycle_is_in_the_events_log(api_client_for, raised_alert):
    from interventions.models import Intervention

    operator = api_client_for(roles.OPERATOR)
    url = f"/api/v1/alerts/{raised_alert.pk}"
    assert operator.post(f"{url}/acknowledge/").status_code == 200
    intervention = Intervention.objects.create(
        title="Leak",
        category="water",
        service="water",
        priority=2,
        latitude=47.3,
        longitude=5.0,
        reported_at=T0,
        reference="INT-X",
    )
    response = operator.post(
        f"{url}/qualify/",
        {"severity": 5, "category": "water-leak", "intervention": intervention.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "qualified" and response.json()["severity"] == 5
    assert operator.post(f"{url}/resolve/", {"note": "valve closed"}).json()["status"] == "resolved"
    assert operator.post(f"{url}/close/").json()["status"] == "closed"
    kinds = list(alert_events().values_list("kind", flat=True))
    assert kinds == [
        "alert.raised",
        "alert.acknowledged",
        "alert.qualified",
        "alert.resolved",
        "alert.closed",
    ]
    assert (
        Event.objects.get(kind="alert.qualified").payload["alert"]["intervention"]
        == intervention.pk
    )


def test_closed_alert_cannot_be_resolved(api_client_for, raised_alert):
    operator = api_client_for(roles.OPERATOR)
    operator.post(f"/api/v1/alerts/{raised_alert.pk}/close/")
    response = operator.post(f"/api/v1/alerts/{raised_alert.pk}/resolve/")
    assert response.status_code == 409


def test_condition_lasting_after_close_raises_a_new_alert(api_client_for, raised_alert):
    api_client_for(roles.OPERATOR).post(f"/api/v1/alerts/{raised_alert.pk}/close/")
    ingest([reading("WS-R1", 120, pressure_bar=2.0)])
    assert Alert.objects.count() == 2


def test_bad_qualification_is_400(api_client_for, raised_alert):
    response = api_client_for(roles.OPERATOR).post(
        f"/api/v1/alerts/{raised_alert.pk}/qualify/", {"severity": 9}, format="json"
    )
    assert response.status_code == 400 and "severity" in response.json()


@pytest.mark.parametrize("role", [roles.HOTLINE_AGENT, roles.FIELD_TEAM, roles.WALL_DISPLAY])
def test_lifecycle_actions_refused_to_other_roles(api_client_for, raised_alert, role):
    client = api_client_for(role)
    for step in ("acknowledge", "qualify", "resolve", "close"):
        response = client.post(f"/api/v1/alerts/{raised_alert.pk}/{step}/")
        assert response.status_code == 403


def test_demo_rules_are_valid_and_seeded_once(db):
    from ondijon.demo.rules import DEMO_RULES, seed_alert_rules

    assert seed_alert_rules() == len(DEMO_RULES)
    assert seed_alert_rules() == 0
    for rule in AlertRule.objects.all():
        rule.full_clean()
    assert {rule.kind for rule in AlertRule.objects.all()} == set(AlertRule.Kind.values)


def test_signal_on_flash_is_a_text_threshold(district):
    Equipment.objects.create(
        code="TS-R1", kind="traffic_signal", district=district, latitude=47.3, longitude=5.0
    )
    AlertRule.objects.create(
        name="Flash",
        kind="threshold",
        equipment_kind="traffic_signal",
        metric="mode",
        comparison="equals",
        match_text="flash",
        duration_seconds=60,
        clear_after_seconds=0,
        category="traffic",
    )
    ingest([reading("TS-R1", 0, mode="flash"), reading("TS-R1", 61, mode="flash")])
    alert = Alert.objects.get()
    ingest([reading("TS-R1", 90, mode="normal")])
    alert.refresh_from_db()
    assert alert.cleared_at is not None


def test_every_demo_rule_is_coherent(db):
    """The demo's rules pass the admin's checks: each suggested step can be carried out."""
    from ondijon.demo.rules import DEMO_RULES
    from supervision.alerts.rules import rule_problems

    for fields in DEMO_RULES:
        assert rule_problems(AlertRule(**fields)) == {}, fields["name"]

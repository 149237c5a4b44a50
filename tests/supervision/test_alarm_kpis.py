"""Alarm KPIs from the events log (ISA-18.2), their page and API, and the on-delay that keeps
a vehicle passing a camera from being an alarm."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse

from equipment.ingest import ingest
from equipment.models import Equipment
from ondijon import roles
from supervision.alerts import flood, kpis, services
from supervision.alerts.rules import run_checks
from supervision.models import Alert, AlertRule

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@contextmanager
def clock(moment: datetime):
    with mock.patch("django.utils.timezone.now", lambda: moment):
        yield


def raise_at(minutes: float, title: str = "Pressure drop", **extra) -> Alert:
    with clock(T0 + timedelta(minutes=minutes)):
        return services.raise_alert(
            {"title": title, "source": "operator", "category": "water", "severity": 3, **extra}
        )


def test_alarms_per_position_per_hour_and_per_ten_minutes(db, settings):
    settings.ALARM_POSITIONS = 2
    parent = raise_at(1)
    raise_at(2)
    raise_at(3)
    raise_at(4, "Consequence", parent=parent)  # under its cause: not one more alarm
    raise_at(15)
    raise_at(70)  # after the period
    figures = kpis.alarm_kpis(T0, T0 + timedelta(hours=1))
    assert figures.alarms == 4
    assert [rate for _, rate in figures.per_ten_minutes] == [1.5, 0.5, 0, 0, 0, 0]
    assert [rate for _, rate in figures.per_hour] == [2.0]
    assert figures.average_per_hour == 2.0 and figures.peak_per_ten_minutes == 1.5
    assert figures.verdict == "acceptable"


def test_the_verdict_follows_the_isa_targets(db, settings):
    settings.ALARM_POSITIONS = 1
    for minute in range(13):
        raise_at(minute * 4)
    figures = kpis.alarm_kpis(T0, T0 + timedelta(hours=1))
    assert figures.average_per_hour == 13 and figures.verdict == "overloaded"


def test_the_share_of_time_in_flood_comes_from_the_flood_events(db, settings):
    settings.ALARM_FLOOD_THRESHOLD = 2
    settings.ALARM_POSITIONS = 1
    for minute in (9, 9.5, 9.8):
        raise_at(minute)
    with clock(T0 + timedelta(minutes=10)):
        assert flood.check_flood(T0 + timedelta(minutes=10)) is True
    with clock(T0 + timedelta(minutes=25)):
        assert flood.check_flood(T0 + timedelta(minutes=25)) is False
    figures = kpis.alarm_kpis(T0, T0 + timedelta(hours=1))
    assert figures.flood_share == pytest.approx(15 / 60)


def test_time_to_acknowledge_counts_each_act_once(db, make_user):
    operator = make_user(roles.OPERATOR)
    parent = raise_at(0)
    raise_at(0, "Consequence", parent=parent)
    other = raise_at(1)
    with clock(T0 + timedelta(seconds=90)):
        services.acknowledge_alert(parent, operator)  # and its child, in the same act
    with clock(T0 + timedelta(minutes=1, seconds=30)):
        services.acknowledge_alert(other, operator)
    figures = kpis.alarm_kpis(T0, T0 + timedelta(hours=1))
    assert figures.acknowledged == 2
    assert figures.acknowledge_median_s == 60.0 and figures.acknowledge_p90_s == 90.0


def test_standing_alarms_are_those_left_open_more_than_a_day(db, make_user):
    operator = make_user(roles.OPERATOR)
    raise_at(-30 * 60, "Forgotten valve")
    done = raise_at(-29 * 60, "Worked pressure drop")
    with clock(T0 - timedelta(hours=20)):
        services.resolve_alert(done, operator, note="Valve closed")
    raise_at(-60, "Recent")
    figures = kpis.alarm_kpis(T0, T0 + timedelta(hours=1))
    assert [name for name, _ in figures.standing] == ["Forgotten valve"]


@pytest.fixture
def flapping_sensor(district):
    Equipment.objects.create(
        code="WS-K1", kind="water_sensor", district=district, latitude=47.3, longitude=5.0
    )
    return AlertRule.objects.create(
        name="Low pressure",
        kind=AlertRule.Kind.THRESHOLD,
        equipment_kind="water_sensor",
        metric="pressure_bar",
        comparison="below",
        value=2.5,
        clear_after_seconds=5,
        category="water",
        group_by="",
    )


def test_chattering_alerts_and_bad_actors_are_listed(flapping_sensor):
    # Low, back to normal a second later, cleared, low again: every 15 seconds.
    for second in range(0, 60, 15):
        for offset, pressure in ((0, 2.0), (1, 4.0)):
            moment = T0 + timedelta(seconds=second + offset)
            with clock(moment):
                reading = {"device": "WS-K1", "time": moment.isoformat()}
                ingest([{**reading, "metrics": {"pressure_bar": pressure}}])
        run_checks(T0 + timedelta(seconds=second + 7))
    assert Alert.objects.count() == 1  # folded into one
    figures = kpis.alarm_kpis(T0, T0 + timedelta(hours=1))
    ((name, raises),) = figures.chattering
    assert "WS-K1" in name and raises >= 3
    assert figures.top_rules == [("Low pressure", 1)]
    assert figures.top_devices == [("WS-K1", 1)]


@pytest.fixture
def bus_lane_camera(district):
    Equipment.objects.create(
        code="CAM-K1", kind="camera", district=district, latitude=47.3, longitude=5.0
    )
    return AlertRule.objects.create(
        name="Car in bus lane",
        kind=AlertRule.Kind.DETECTION,
        equipment_kind="camera",
        metric="detection",
        match_text="bus_lane",
        duration_seconds=120,
        clear_after_seconds=300,
        category="traffic",
    )


def sighting(seconds: float) -> dict:
    stamp = (T0 + timedelta(seconds=seconds)).isoformat()
    return {"device": "CAM-K1", "time": stamp, "metrics": {"detection": "bus_lane"}}


def test_a_vehicle_passing_a_camera_is_no_alarm_under_an_on_delay(bus_lane_camera):
    with clock(T0):
        ingest([sighting(0)])
    for minute in range(1, 8):
        run_checks(T0 + timedelta(minutes=minute))
    assert not Alert.objects.exists()


def test_a_vehicle_that_stays_in_the_lane_raises_once(bus_lane_camera):
    for second in (0, 60, 120):
        with clock(T0 + timedelta(seconds=second)):
            ingest([sighting(second)])
    (alert,) = Alert.objects.all()
    assert alert.raised_at == T0 + timedelta(seconds=120)


# --- the page, its CSV and the API, role by role -------------------------------------------

ALLOWED = {roles.SUPERVISOR, roles.ADMINISTRATOR}
ALL_ROLES = list(roles.ROLE_LABELS)  # every role of the room
PERIOD = {"start": "2026-12-01T08:00:00+00:00", "end": "2026-12-01T09:00:00+00:00"}


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(
    "name", ["alarm-kpis", "alarm-kpis-csv", "alert-kpis"], ids=["page", "csv", "api"]
)
def test_each_role_against_the_kpis(client, make_user, role, name):
    client.force_login(make_user(role))
    response = client.get(reverse(name), PERIOD)
    assert response.status_code == (200 if role in ALLOWED else 403)


@pytest.mark.parametrize("name", ["alarm-kpis", "alarm-kpis-csv"])
def test_the_kpis_ask_for_a_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_api_asks_for_a_login(client, db):
    assert client.get(reverse("alert-kpis")).status_code in (401, 403)


@pytest.mark.usefixtures("english")
def test_the_page_shows_the_figures_against_the_targets(client, make_user):
    raise_at(5)
    raise_at(6)
    client.force_login(make_user(roles.SUPERVISOR))
    page = client.get(reverse("alarm-kpis"), PERIOD).content.decode()
    assert 'id="kpi-alarms"><strong>2</strong>' in page
    assert 'data-verdict="acceptable"' in page
    assert page.count('<rect class="bar"') == 1 + 6  # one hour, six slots of 10 minutes


def test_the_csv_has_a_row_per_slot(client, make_user):
    raise_at(5)
    client.force_login(make_user(roles.SUPERVISOR))
    rows = client.get(reverse("alarm-kpis-csv"), PERIOD).content.decode().splitlines()
    # As French Excel opens it: a byte order mark, ";" between fields, local times.
    assert rows[0] == "\ufeffslot;start;alarms_per_position"
    assert rows[1] == "hour;01/12/2026 09:00:00;1" and rows[2] == "10min;01/12/2026 09:00:00;1"
    assert len(rows) == 1 + 1 + 6


def test_the_api_gives_the_figures_and_the_targets(client, make_user):
    raise_at(5)
    client.force_login(make_user(roles.SUPERVISOR))
    body = client.get(reverse("alert-kpis"), PERIOD).json()
    assert body["alarms"] == 1 and body["per_hour"][0]["rate"] == 1
    assert body["targets"] == {
        "acceptable_per_hour": 6,
        "manageable_per_hour": 12,
        "flood_per_ten_minutes": 10,
    }


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-12-01T09:00", "end": "2026-12-01T08:00"}, "end"),
        ({"start": "2026-10-01T09:00", "end": "2026-12-01T08:00"}, "start"),
        ({"start": "yesterday"}, "start"),
    ],
)
def test_a_bad_period_is_refused_with_its_field(client, make_user, query, field):
    client.force_login(make_user(roles.SUPERVISOR))
    api = client.get(reverse("alert-kpis"), query)
    assert api.status_code == 400 and field in api.json()
    page = client.get(reverse("alarm-kpis"), query)
    assert page.status_code == 400 and f'data-field="{field}"' in page.content.decode()
    assert client.get(reverse("alarm-kpis-csv"), query).status_code == 400

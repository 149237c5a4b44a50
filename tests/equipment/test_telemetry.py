"""Telemetry ingest over HTTPS: the wire contract gateways are written against."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from equipment.models import Equipment, Reading
from equipment.tokens import issue_token
from supervision.models import Event

# These tests read the wording of refusals, in English (the platform's second language).
pytestmark = pytest.mark.usefixtures("english")

URL = "/api/v1/telemetry/"


def iso(minutes_ago: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


@pytest.fixture
def water_sensor(district):
    return Equipment.objects.create(
        code="WS-T1",
        kind=Equipment.Kind.WATER_SENSOR,
        district=district,
        latitude=47.32,
        longitude=5.04,
        state={"pressure_bar": 4.2},
    )


@pytest.fixture
def device_client(streetlight, water_sensor):
    _, key = issue_token("gateway", [streetlight, water_sensor])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def send(client, readings):
    # json.dumps, not DRF's renderer: devices may well send NaN.
    return client.post(URL, json.dumps({"readings": readings}), content_type="application/json")


def test_good_batch_updates_state_and_history(device_client, streetlight, water_sensor):
    response = send(
        device_client,
        [
            {"device": "SL-TEST-1", "time": iso(1), "metrics": {"power_w": 70.5}, "id": "m1"},
            {"device": "WS-T1", "time": iso(1), "metrics": {"pressure_bar": 3.9}},
        ],
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    streetlight.refresh_from_db()
    assert streetlight.state == {"lamp": "on", "power_w": 70.5}
    assert streetlight.last_seen_at is not None
    assert Reading.objects.count() == 2


def test_retried_batch_is_not_counted_twice(device_client, streetlight):
    batch = [{"device": "SL-TEST-1", "time": iso(1), "metrics": {"lamp": "off"}, "id": "m-42"}]
    assert send(device_client, batch).json()["accepted"] == 1
    again = send(device_client, batch).json()
    assert again == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert Reading.objects.filter(message_id="m-42").count() == 1
    # The lamp going off is one event, not two.
    assert Event.objects.filter(kind="equipment.updated", subject_label="SL-TEST-1").count() == 1


def test_late_reading_never_moves_state_back(device_client, streetlight):
    send(device_client, [{"device": "SL-TEST-1", "time": iso(1), "metrics": {"lamp": "off"}}])
    send(device_client, [{"device": "SL-TEST-1", "time": iso(10), "metrics": {"lamp": "on"}}])
    streetlight.refresh_from_db()
    assert streetlight.state["lamp"] == "off"
    assert Reading.objects.filter(equipment=streetlight).count() == 2  # still history


def test_readings_in_one_batch_apply_in_time_order(device_client, streetlight):
    send(
        device_client,
        [
            {"device": "SL-TEST-1", "time": iso(1), "metrics": {"lamp": "off"}},
            {"device": "SL-TEST-1", "time": iso(5), "metrics": {"lamp": "on", "dim": 50}},
        ],
    )
    streetlight.refresh_from_db()
    assert streetlight.state["lamp"] == "off" and streetlight.state["dim"] == 50


@pytest.mark.parametrize(
    ("reading", "reason"),
    [
        ("not an object", "object"),
        ({"time": iso(), "metrics": {"a": 1}}, "device"),
        ({"device": "SL-TEST-1", "metrics": {"a": 1}}, "time"),
        ({"device": "SL-TEST-1", "time": "yesterday", "metrics": {"a": 1}}, "time"),
        ({"device": "SL-TEST-1", "time": "2026-11-27T10:00:00", "metrics": {"a": 1}}, "offset"),
        ({"device": "SL-TEST-1", "time": iso(-60), "metrics": {"a": 1}}, "future"),
        ({"device": "SL-TEST-1", "time": iso(), "metrics": {}}, "metrics"),
        ({"device": "SL-TEST-1", "time": iso(), "metrics": {"a": [1]}}, "metrics.a"),
        ({"device": "SL-TEST-1", "time": iso(), "metrics": {"a": 10**400}}, "metrics.a"),
        ({"device": "SL-TEST-1", "time": iso(), "metrics": {"a": float("nan")}}, "metrics.a"),
        ({"device": "SL-TEST-1", "time": iso(), "metrics": {"a": 1}, "id": 7}, "id"),
        ({"device": "SL-NOPE", "time": iso(), "metrics": {"a": 1}}, "unknown"),
        # Python reads these, PostgreSQL refuses them or stores a date no reader can read back.
        ({"device": "SL-TEST-1", "time": "2026-W48-3T10:00:00+01:00", "metrics": {"a": 1}}, "time"),
        ({"device": "SL-TEST-1", "time": "2026-02-30T10:00:00+01:00", "metrics": {"a": 1}}, "time"),
        ({"device": "SL-TEST-1", "time": iso(1).replace(".", ","), "metrics": {"a": 1}}, "time"),
        ({"device": "SL-TEST-1", "time": iso(60)[:19] + "+15:00", "metrics": {"a": 1}}, "offset"),
        ({"device": "SL-TEST-1", "time": iso(60)[:19] + "-14:30", "metrics": {"a": 1}}, "offset"),
        ({"device": "SL-TEST-1", "time": "0001-01-01T00:00:00+14:00", "metrics": {"a": 1}}, "time"),
        ({"device": "SL-TEST-1", "time": "1999-12-31T23:59:59Z", "metrics": {"a": 1}}, "time"),
        ({"device": "SL-TEST-1\x00", "time": iso(), "metrics": {"a": 1}}, "device"),
        ({"device": "SL-TEST-1", "time": iso(), "metrics": {"lamp": "o\x00n"}}, "metrics.lamp"),
        ({"device": "SL-TEST-1", "time": iso(), "metrics": {"la\x00mp": "on"}}, "metrics"),
        ({"device": "SL-TEST-1", "time": iso(), "metrics": {"a": 1}, "id": "m\x001"}, "id"),
    ],
)
def test_bad_reading_is_reported_and_good_ones_kept(device_client, reading, reason):
    good = {"device": "WS-T1", "time": iso(), "metrics": {"pressure_bar": 4.0}}
    response = send(device_client, [good, reading, good])
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert [r["index"] for r in body["rejected"]] == [1]
    assert reason in body["rejected"][0]["reason"]


def test_readings_stored_before_the_window_do_not_break_the_list(
    device_client, streetlight, api_client_for
):
    """A BC date stored before the window existed: the list leaves it out, for every caller."""
    from django.db import connection

    send(device_client, [{"device": "SL-TEST-1", "time": iso(1), "metrics": {"lamp": "on"}}])
    with connection.cursor() as cursor:
        bc = (
            "0001-01-01T00:00:00+14:00"
            if connection.vendor == "postgresql"
            else "0000-12-31 10:00:00"
        )
        cursor.execute(
            f"INSERT INTO {Reading._meta.db_table} (equipment_id, time, received_at, metrics)"
            " VALUES (%s, %s, %s, %s)",
            [streetlight.pk, bc, datetime.now(UTC), '{"lamp": "off"}'],
        )
    response = api_client_for("operator").get("/api/v1/readings/?equipment=SL-TEST-1")
    assert response.status_code == 200, response.content
    assert [r["metrics"] for r in response.json()["results"]] == [{"lamp": "on"}]


def test_deeply_nested_batch_is_400(device_client):
    body = '{"readings": ' + "[" * 5000 + "]" * 5000 + "}"
    response = device_client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    response = device_client.post(
        URL,
        json.dumps({"readings": [{"device": "SL-TEST-1", "time": iso(), "metrics": {}}]})[:-2]
        + ","
        + '"x": '
        + "[" * 40
        + "]" * 40
        + "}]}",
        content_type="application/json",
    )
    assert response.status_code == 400


def test_token_reports_only_for_its_own_devices(device_client, district):
    Equipment.objects.create(
        code="CAM-OTHER", kind="camera", district=district, latitude=47.3, longitude=5.0
    )
    body = send(
        device_client, [{"device": "CAM-OTHER", "time": iso(), "metrics": {"preset": 2}}]
    ).json()
    assert body["accepted"] == 0 and body["rejected"][0]["index"] == 0
    assert not Reading.objects.exists()


def test_revoked_or_missing_token_is_refused(streetlight):
    token, key = issue_token("old", [streetlight])
    token.revoked_at = token.created_at
    token.save()
    client = APIClient()
    reading = [{"device": "SL-TEST-1", "time": iso(), "metrics": {"a": 1}}]
    assert send(client, reading).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert send(client, reading).status_code == 401


def test_user_token_is_not_a_device_token(api_client_for, streetlight):
    # A signed-in operator cannot push telemetry: only devices can.
    response = api_client_for("operator").post(URL, {"readings": []}, format="json")
    assert response.status_code in (401, 403)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"readings": {}}', b'{"no": "readings"}', b"\xff\xfe"],
)
def test_malformed_body_is_400(device_client, body):
    response = device_client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert not Reading.objects.exists()


@override_settings(TELEMETRY_MAX_READINGS=3)
def test_too_many_readings_is_413(device_client):
    readings = [{"device": "WS-T1", "time": iso(), "metrics": {"x": i}} for i in range(4)]
    assert send(device_client, readings).status_code == 413
    assert not Reading.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_oversized_body_is_413(device_client):
    readings = [{"device": "WS-T1", "time": iso(), "metrics": {"x": i}} for i in range(40)]
    response = device_client.post(
        URL, json.dumps({"readings": readings}), content_type="application/json"
    )
    assert response.status_code == 413


def test_status_report_changes_status_with_one_event(device_client, streetlight):
    send(
        device_client,
        [{"device": "SL-TEST-1", "time": iso(), "metrics": {"status": "fault", "power_w": 0}}],
    )
    streetlight.refresh_from_db()
    assert streetlight.status == "fault"
    events = Event.objects.filter(subject_label="SL-TEST-1")
    assert [e.kind for e in events] == ["equipment.status_changed"]
    assert events[0].payload["equipment"]["status"] == "fault"


def test_numeric_drift_alone_is_not_an_event(device_client, water_sensor):
    send(device_client, [{"device": "WS-T1", "time": iso(), "metrics": {"pressure_bar": 4.1}}])
    assert not Event.objects.filter(subject_label="WS-T1").exists()


def test_offline_device_that_talks_is_back_ok(device_client, streetlight):
    Equipment.objects.filter(pk=streetlight.pk).update(status="offline")
    send(device_client, [{"device": "SL-TEST-1", "time": iso(), "metrics": {"power_w": 70}}])
    streetlight.refresh_from_db()
    assert streetlight.status == "ok"


def test_schema_documents_the_endpoint(api_client_for):
    schema = api_client_for("administrator").get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/telemetry/"]["post"]
    assert "requestBody" in operation and "200" in operation["responses"]


def test_purge_keeps_recent_history(device_client, streetlight, settings):
    from equipment.services import purge_old_readings

    settings.TELEMETRY_RETENTION_DAYS = 1
    send(device_client, [{"device": "SL-TEST-1", "time": iso(1), "metrics": {"a": 1}}])
    send(device_client, [{"device": "SL-TEST-1", "time": iso(3 * 24 * 60), "metrics": {"a": 2}}])
    assert purge_old_readings() == 1
    assert list(Reading.objects.values_list("metrics", flat=True)) == [{"a": 1}]


HISTORY_ROLES = {"administrator", "supervisor", "operator"}


@pytest.mark.parametrize(
    "role",
    [
        "administrator",
        "supervisor",
        "operator",
        "dispatcher",
        "hotline_agent",
        "field_team",
        "social_support",
        "wall_display",
    ],
)
def test_history_chart_page_and_data_per_role(make_user, device_client, streetlight, role):
    from django.test import Client

    send(
        device_client,
        [{"device": "SL-TEST-1", "time": iso(5), "metrics": {"power_w": 70, "lamp": "on"}}],
    )
    send(
        device_client,
        [{"device": "SL-TEST-1", "time": iso(1), "metrics": {"power_w": 0, "ok": False}}],
    )
    client = Client()
    client.force_login(make_user(role))
    page = client.get("/equipment/SL-TEST-1/history/")
    data = client.get(f"/api/v1/equipment/{streetlight.pk}/history/?hours=1")
    if role in HISTORY_ROLES:
        assert page.status_code == 200 and b"history.js" in page.content
        series = data.json()["series"]
        assert [value for _, value in series["power_w"]] == [70, 0]
        assert series["ok"][0][1] == 0 and "lamp" not in series
    else:
        assert page.status_code == 403 and data.status_code == 403


def test_history_rejects_a_bad_period(api_client_for, streetlight):
    response = api_client_for("operator").get(
        f"/api/v1/equipment/{streetlight.pk}/history/?hours=forever"
    )
    assert response.status_code == 400 and "hours" in response.json()


@pytest.mark.postgres
def test_concurrent_retries_store_each_message_once(transactional_db, streetlight):
    import threading

    from django.db import connections

    from equipment.ingest import ingest

    batch = [
        {"device": "SL-TEST-1", "time": iso(1), "metrics": {"power_w": n}, "id": f"c{n}"}
        for n in range(50)
    ]
    results = []

    def gateway():
        results.append(ingest(batch))
        connections.close_all()

    threads = [threading.Thread(target=gateway) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result.accepted for result in results) == 50
    assert sum(result.duplicates for result in results) == 150
    assert Reading.objects.count() == 50


@pytest.mark.postgres
def test_concurrent_batches_in_any_order_leave_the_newest_state(transactional_db, district):
    """Gateways racing on the same devices, their readings in any order: each device ends on
    its newest reading, whatever batch carried it and whenever that batch committed."""
    import random
    import threading

    from django.db import connections

    from equipment.ingest import ingest

    codes = [f"SL-RACE-{n}" for n in range(20)]
    for code in codes:
        Equipment.objects.create(
            code=code,
            kind=Equipment.Kind.STREETLIGHT,
            district=district,
            latitude=47.32,
            longitude=5.04,
        )
    base = datetime.now(UTC) - timedelta(minutes=5)
    readings = [
        {
            "device": code,
            "time": (base + timedelta(seconds=step)).isoformat(),
            "metrics": {"power_w": step},
            "id": f"{code}-{step}",
        }
        for code in codes
        for step in range(40)
    ]
    random.Random(16).shuffle(readings)
    batches = [readings[start : start + 50] for start in range(0, len(readings), 50)]
    failures = []

    def gateway(mine):
        try:
            for batch in mine:
                ingest(batch)
        except Exception as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=gateway, args=(batches[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert Reading.objects.count() == len(readings)
    for device in Equipment.objects.filter(code__in=codes):
        assert device.state["power_w"] == 39, device.code
        assert device.state_time == base + timedelta(seconds=39)


@pytest.mark.postgres
def test_a_session_cut_mid_batch_comes_out_as_a_database_error(transactional_db, streetlight):
    """A failover cuts the ingest's session between two of its statements: what comes out is
    Django's error (the HTTP ingest answers 503 to it, the MQTT bridge keeps the batch and
    retries), and the broken session is closed for the next batch."""
    from django.db import OperationalError, close_old_connections, connection, connections

    from equipment.ingest import lock_devices

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
    administrator = connections.create_connection("default")
    with administrator.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    administrator.close()
    with pytest.raises(OperationalError):
        lock_devices({streetlight.id})
    close_old_connections()
    assert lock_devices({streetlight.id})[streetlight.id]["code"] == "SL-TEST-1"

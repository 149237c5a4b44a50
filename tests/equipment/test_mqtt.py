"""The MQTT bridge against the real Mosquitto: same ingest path, nothing lost."""

import json
import threading
import time
import uuid
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.db import connections

from equipment.models import Reading
from equipment.mqtt import TelemetryBridge, device_code, readings_of
from tests.conftest import mqtt_url

pytestmark = pytest.mark.mqtt


def renew_pool() -> None:
    if hasattr(connections["default"], "close_pool"):
        connections["default"].close_pool()


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def root():
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def bridge(transactional_db, root):
    bridge = TelemetryBridge(
        mqtt_url(), [f"{root}/+/+/telemetry"], client_id=f"bridge-{root}", max_wait=0.05
    )
    thread = threading.Thread(target=bridge.run, daemon=True)
    yield bridge, thread
    bridge.stopping.set()
    thread.join(timeout=10)
    connections.close_all()


def publish(root: str, messages: list[tuple[str, object]]) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex}")
    host, port = mqtt_url().split("//")[1].split(":")
    client.connect(host, int(port))
    client.loop_start()
    for code, payload in messages:
        body = payload if isinstance(payload, bytes) else json.dumps(payload)
        client.publish(f"{root}/streetlight/{code}/telemetry", body, qos=1).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()


def reading(n: int) -> dict:
    return {"time": datetime.now(UTC).isoformat(), "metrics": {"power_w": n}, "id": f"m{n}"}


def test_topic_names_the_device():
    assert device_code("city/streetlight/SL-00001/telemetry") == "SL-00001"
    assert device_code("city/streetlight/SL-00001/status") is None
    assert readings_of("city/x/A/telemetry", b'{"readings": [{"metrics": {"a": 1}}]}') == [
        {"metrics": {"a": 1}, "device": "A"}
    ]


def test_bridge_feeds_the_ingest_path(bridge, root, streetlight):
    bridge, thread = bridge
    thread.start()
    assert bridge.connected.wait(10)
    publish(root, [("SL-TEST-1", reading(n)) for n in range(5)] + [("SL-TEST-1", b"{oops")])
    assert wait_for(lambda: Reading.objects.count() == 5)
    assert wait_for(lambda: bridge.stats.malformed == 1)
    streetlight.refresh_from_db()
    assert streetlight.state["power_w"] == 4


def test_nothing_lost_while_the_database_is_down(bridge, root, streetlight):
    bridge, thread = bridge
    assert Reading.objects.count() == 0  # the test's own connection stays open
    database = settings.DATABASES["default"]
    saved = dict(database)
    # Really unreachable: a closed port for PostgreSQL, an impossible path for SQLite.
    if connections["default"].vendor == "postgresql":
        database["PORT"] = 1
        pool = database["OPTIONS"].get("pool")
        if pool:  # a session is asked of the pool for 1 s, not for the usual wait
            database["OPTIONS"] = {**database["OPTIONS"], "pool": {**pool, "timeout": 1}}
    else:
        database["NAME"] = "/nonexistent/ondijon/unreachable.sqlite3"
    try:
        # The process's pool (PostgreSQL) opens its sessions with the settings it was made
        # with: a new one, made with these, opens none.
        renew_pool()
        thread.start()
        assert bridge.connected.wait(10)
        publish(root, [("SL-TEST-1", reading(n)) for n in range(20)])
        assert wait_for(lambda: bridge.stats.retries >= 2)
    finally:
        database.update(saved)
        renew_pool()
    # The bridge's next retry comes at most 10 s later (its back-off); a busy machine adds more.
    assert wait_for(lambda: Reading.objects.count() == 20, timeout=60)
    # The bridge counts a batch once its transaction has committed, a moment after the rows
    # become visible here.
    assert wait_for(lambda: bridge.stats.accepted == 20)

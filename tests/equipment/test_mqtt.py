"""The MQTT bridge against the real Mosquitto: same ingest path, nothing lost."""

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
import uuid
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.db import InterfaceError, connections

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
    relay = None
    if connections["default"].vendor == "postgresql":
        # The bridge reaches PostgreSQL through a relay that goes down and comes back, as a
        # restarted server does: the same pool lives through the outage (a pool swapped under
        # a running bridge would test the swap, not the outage).
        relay = DatabaseRelay(database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432))
        database.update(HOST="127.0.0.1", PORT=relay.port)
        pool = database["OPTIONS"].get("pool")
        if pool:  # a session is asked of the pool for 1 s, not for the usual wait
            database["OPTIONS"] = {**database["OPTIONS"], "pool": {**pool, "timeout": 1}}
        relay.go_down()
    else:
        database["NAME"] = "/nonexistent/ondijon/unreachable.sqlite3"
    try:
        # The process's pool opens its sessions with the settings it was made with: the
        # bridge's is made with these.
        renew_pool()
        thread.start()
        assert bridge.connected.wait(10)
        publish(root, [("SL-TEST-1", reading(n)) for n in range(20)])
        assert wait_for(lambda: bridge.stats.retries >= 2)
        if relay:
            relay.come_back()
        else:
            database.update(saved)
        # The bridge's next retry comes at most 10 s later (its back-off), the pool's next
        # session a few seconds after the server is back; a busy machine adds more.
        assert wait_for(lambda: Reading.objects.count() == 20, timeout=60), bridge_state(thread)
        # The bridge counts a batch once its transaction has committed, a moment after the
        # rows become visible here.
        assert wait_for(lambda: bridge.stats.accepted == 20)
    finally:
        bridge.stopping.set()
        thread.join(timeout=10)
        connections.close_all()
        database.update(saved)
        renew_pool()
        if relay:
            relay.close()


class SessionCutOnce(TelemetryBridge):
    """A bridge whose first batch meets a session cut in the middle of a switchover: psycopg
    says InterfaceError (a session in neither a good nor a bad state), not OperationalError."""

    cut = True

    def store(self, batch: list[list[dict]]) -> None:
        if self.cut:
            self.cut = False
            raise InterfaceError("cannot execute operations: the connection is in status 2")
        super().store(batch)


def test_a_session_cut_by_a_switchover_keeps_the_batch(transactional_db, root, streetlight):
    bridge = SessionCutOnce(
        mqtt_url(), [f"{root}/+/+/telemetry"], client_id=f"bridge-{root}", max_wait=0.05
    )
    bridge.retry_delay_max_s = 0.5
    thread = threading.Thread(target=bridge.run, daemon=True)
    thread.start()
    try:
        assert bridge.connected.wait(10)
        publish(root, [("SL-TEST-1", reading(n)) for n in range(5)])
        assert wait_for(lambda: Reading.objects.count() == 5), bridge_state(thread)
        assert bridge.stats.retries == 1
        assert thread.is_alive()  # the bridge goes on taking readings
    finally:
        bridge.stopping.set()
        thread.join(timeout=10)
        connections.close_all()


def bridge_state(thread: threading.Thread) -> str:
    """Where the bridge's thread is, for a failure's message."""
    frame = sys._current_frames().get(thread.ident)
    return "".join(traceback.format_stack(frame)) if frame else "bridge thread ended"


class DatabaseRelay:
    """A TCP relay to PostgreSQL that can go down (sessions cut, new ones refused) and back."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = threading.Event()
        self.lock = threading.Lock()
        self.open_sockets: list[socket.socket] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self.down.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open_sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                end.close()

    def go_down(self) -> None:
        self.down.set()
        with self.lock:
            for end in self.open_sockets:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
            self.open_sockets.clear()

    def come_back(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.go_down()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.listener.close()

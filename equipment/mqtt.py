"""The MQTT bridge: messages on `city/<kind>/<code>/telemetry` go to the same ingest path.

Messages are taken at QoS 1 in a persistent session and acknowledged to the broker only once
their batch is committed, so a database outage (the batch is retried until it goes through)
or a bridge crash (the broker delivers again; message ids make that harmless) loses nothing.
paho-mqtt reconnects by itself; MQTT 5's receive maximum lets many messages wait for their
acknowledgement while a batch is written.
"""

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from equipment.ingest import ingest
from ondijon.inputs import load_json

logger = logging.getLogger(__name__)

RECEIVE_MAXIMUM = 65535


def device_code(topic: str) -> str | None:
    """`city/<kind>/<code>/telemetry` -> code."""
    parts = topic.split("/")
    if len(parts) >= 3 and parts[-1] == "telemetry" and parts[-2]:
        return parts[-2]
    return None


def readings_of(topic: str, payload: bytes) -> list[dict]:
    """One reading (an object), or several (a list or {"readings": [...]}), for the topic's device."""
    code = device_code(topic)
    if code is None:
        raise ValueError(f"not a telemetry topic: {topic}")
    body = load_json(payload, allow_constants=True)
    readings = body.get("readings", [body]) if isinstance(body, dict) else body
    if not isinstance(readings, list):
        raise ValueError("expected a reading, a list of readings or {'readings': [...]}")
    return [{**r, "device": code} if isinstance(r, dict) else r for r in readings]


@dataclass
class BridgeStats:
    messages: int = 0
    malformed: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    retries: int = 0
    batches: int = 0
    connects: int = 0
    last_rejections: deque = field(default_factory=lambda: deque(maxlen=20))


class TelemetryBridge:
    def __init__(
        self,
        url: str,
        topics: list[str],
        client_id: str = "ondijon-bridge",
        batch_size: int = 2000,
        max_wait: float = 0.2,
    ):
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 1883
        self.topics = topics
        self.batch_size, self.max_wait = batch_size, max_wait
        self.pending: deque[tuple[list[dict], int, int]] = deque()  # readings, mid, qos
        self.stats = BridgeStats()
        self.connected = threading.Event()
        self.stopping = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if parsed.username:
            self.client.username_pw_set(parsed.username, parsed.password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self.on_connect
        self.client.on_disconnect = self.on_disconnect
        self.client.on_message = self.on_message

    # --- network thread -----------------------------------------------------------------

    def on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.warning("MQTT connection refused: %s", reason_code)
            return
        self.stats.connects += 1
        client.subscribe([(topic, 1) for topic in self.topics])
        self.connected.set()
        logger.info("MQTT bridge connected to %s:%s, topics %s", self.host, self.port, self.topics)

    def on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if not self.stopping.is_set():
            logger.warning("MQTT bridge disconnected (%s); reconnecting", reason_code)

    def on_message(self, client, userdata, message) -> None:
        self.stats.messages += 1
        try:
            readings = readings_of(message.topic, message.payload)
        except (ValueError, UnicodeDecodeError) as error:
            # A device cannot be answered over MQTT: log it and let the broker forget it.
            self.stats.malformed += 1
            logger.warning("Malformed telemetry on %s: %s", message.topic, error)
            client.ack(message.mid, message.qos)
            return
        if len(readings) > settings.TELEMETRY_MAX_READINGS:
            self.stats.malformed += 1
            logger.warning("Too many readings in one message on %s", message.topic)
            client.ack(message.mid, message.qos)
            return
        self.pending.append((readings, message.mid, message.qos))

    # --- writer (the caller's thread) ---------------------------------------------------

    def start(self) -> None:
        properties = Properties(PacketTypes.CONNECT)
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        properties.SessionExpiryInterval = 3600  # messages wait for a restarted bridge
        self.client.connect_async(
            self.host, self.port, keepalive=30, clean_start=False, properties=properties
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.stopping.set()
        self.flush()
        self.client.disconnect()
        self.client.loop_stop()

    def run(self, duration: float | None = None) -> None:
        """Write batches until stopped (or for `duration` seconds)."""
        self.start()
        deadline = time.monotonic() + duration if duration else None
        try:
            while not self.stopping.is_set():
                if deadline and time.monotonic() > deadline:
                    break
                if not self.write_batch():
                    time.sleep(0.01)
        finally:
            self.stop()
            connections.close_all()  # this thread's connections

    def take_batch(self) -> list[tuple[list[dict], int, int]]:
        """Up to `batch_size` readings, waiting at most `max_wait` for a batch to fill."""
        started = time.monotonic()
        batch, count = [], 0
        while count < self.batch_size:
            try:
                item = self.pending.popleft()
            except IndexError:
                if not batch or time.monotonic() - started > self.max_wait:
                    break
                time.sleep(0.005)
                continue
            if batch and count + len(item[0]) > settings.TELEMETRY_MAX_READINGS:
                self.pending.appendleft(item)
                break
            batch.append(item)
            count += len(item[0])
        return batch

    def write_batch(self) -> int:
        batch = self.take_batch()
        if not batch:
            return 0
        readings = [reading for readings, _, _ in batch for reading in readings]
        delay = 0.5
        while True:
            try:
                result = ingest(readings)
                break
            except DatabaseError as error:
                # Keep the batch: the database comes back, the broker keeps the messages.
                self.stats.retries += 1
                logger.warning("Telemetry batch not stored (%s); retrying in %.1fs", error, delay)
                close_old_connections()
                time.sleep(delay)
                delay = min(delay * 2, 10)
        for _, mid, qos in batch:
            self.client.ack(mid, qos)
        self.stats.batches += 1
        self.stats.accepted += result.accepted
        self.stats.duplicates += result.duplicates
        self.stats.rejected += len(result.rejected)
        for rejection in result.rejected:
            self.stats.last_rejections.append((readings[rejection.index], rejection.reason))
            logger.info("Reading refused: %s", rejection.reason)
        return len(readings)

    def flush(self) -> None:
        while self.pending:
            self.write_batch()

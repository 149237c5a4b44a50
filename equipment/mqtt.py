"""Persistent MQTT subscribers, and the telemetry bridge built on one.

`PersistentSubscriber` takes messages at QoS 1 in a persistent session (a fixed client id,
MQTT 5 clean start off and a session expiry) and acknowledges each to the broker only once
its batch is stored, so a database outage (the batch is retried until it goes through) or a
crash (the broker delivers again, and keeps what arrived meanwhile) loses nothing. paho-mqtt
reconnects by itself; MQTT 5's receive maximum lets many messages wait for their
acknowledgement while a batch is written.

- `TelemetryBridge`: messages on `city/<kind>/<code>/telemetry` go to the same ingest path
  (message ids make a redelivery harmless).
- the command acknowledgement listener (`equipment.adapters.AcknowledgementListener`).
"""

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import Error as DatabaseErrors
from django.db import close_old_connections, connections
from django.utils.translation import gettext as _
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
        raise ValueError(_("not a telemetry topic: %(topic)s") % {"topic": topic})
    body = load_json(payload, allow_constants=True)
    readings = body.get("readings", [body]) if isinstance(body, dict) else body
    if not isinstance(readings, list):
        raise ValueError(_("expected a reading, a list of readings or {'readings': [...]}"))
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


class PersistentSubscriber:
    """Batches of messages stored by `store(items)` and only then acknowledged to the broker.

    A subclass says what a message holds (`item_of`: None for one to drop, acknowledged at
    once) and how a batch is stored; `retry_on` are the errors after which the batch is kept
    and tried again (the database is coming back, the broker keeps the messages).
    """

    # Every database error, InterfaceError included: a session cut by a failover or a
    # switchover can surface as either, and the batch waits for the new primary.
    retry_on: tuple[type[BaseException], ...] = (DatabaseErrors,)
    retry_delay_max_s = 10.0  # the back-off between tries while the database is away
    label = "MQTT subscriber"

    def __init__(
        self,
        url: str,
        topics: list[str],
        client_id: str,
        batch_size: int = 2000,
        max_wait: float = 0.2,
        session_expiry_s: int = 3600,
    ):
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 1883
        self.topics = topics
        self.batch_size, self.max_wait = batch_size, max_wait
        self.session_expiry_s = session_expiry_s
        self.pending: deque[tuple[Any, int, int]] = deque()  # item, mid, qos
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.stopping = threading.Event()
        # Called from the network thread each time the broker confirms the subscription (at
        # start and after each reconnection): a supervisor or a drill knows the process takes
        # messages from then on.
        self.on_subscribed: Callable[[], None] | None = None
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
        self.client.on_subscribe = self.on_subscribe

    # --- what a subclass says ------------------------------------------------------------

    def item_of(self, message) -> Any:
        raise NotImplementedError

    def item_size(self, item: Any) -> int:
        return 1

    def fits(self, batch_size: int, item: Any) -> bool:
        return True

    def store(self, items: list) -> None:
        raise NotImplementedError

    def on_connected(self) -> None:
        pass

    # --- network thread -----------------------------------------------------------------

    def on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.warning("MQTT connection refused: %s", reason_code)
            return
        self.on_connected()
        client.subscribe([(topic, 1) for topic in self.topics])
        self.connected.set()
        logger.info(
            "%s connected to %s:%s, topics %s", self.label, self.host, self.port, self.topics
        )

    def on_subscribe(self, *args) -> None:
        self.subscribed.set()
        if self.on_subscribed:
            self.on_subscribed()

    def on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        if not self.stopping.is_set():
            logger.warning("%s disconnected (%s); reconnecting", self.label, reason_code)

    def on_message(self, client, userdata, message) -> None:
        item = self.item_of(message)
        if item is None:
            client.ack(message.mid, message.qos)  # nothing to keep: the broker may forget it
            return
        self.pending.append((item, message.mid, message.qos))

    # --- writer (the caller's thread) ---------------------------------------------------

    def start(self) -> None:
        properties = Properties(PacketTypes.CONNECT)
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        # Messages wait at the broker for a restarted subscriber (clean start off).
        properties.SessionExpiryInterval = self.session_expiry_s
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

    def take_batch(self) -> list[tuple[Any, int, int]]:
        """Up to `batch_size` (in items' sizes), waiting at most `max_wait` for it to fill."""
        started = time.monotonic()
        batch, count = [], 0
        while count < self.batch_size:
            try:
                entry = self.pending.popleft()
            except IndexError:
                if not batch or time.monotonic() - started > self.max_wait:
                    break
                time.sleep(0.005)
                continue
            if batch and not self.fits(count, entry[0]):
                self.pending.appendleft(entry)
                break
            batch.append(entry)
            count += self.item_size(entry[0])
        return batch

    def write_batch(self) -> int:
        """Store one batch (retrying while the database is away), then acknowledge it."""
        batch = self.take_batch()
        if not batch:
            return 0
        items = [item for item, _mid, _qos in batch]
        delay = 0.5
        while True:
            try:
                self.store(items)
                break
            except self.retry_on as error:
                self.on_retry(error, delay)
                # Closing a broken session can fail too: Django forgets it either way.
                with contextlib.suppress(DatabaseErrors):
                    close_old_connections()
                time.sleep(delay)
                delay = min(delay * 2, self.retry_delay_max_s)
        for _item, mid, qos in batch:
            self.client.ack(mid, qos)
        return sum(self.item_size(item) for item in items)

    def on_retry(self, error: BaseException, delay: float) -> None:
        logger.warning("%s: batch not stored (%s); retrying in %.1fs", self.label, error, delay)

    def flush(self) -> None:
        while self.pending:
            self.write_batch()


class TelemetryBridge(PersistentSubscriber):
    label = "MQTT bridge"

    def __init__(
        self,
        url: str,
        topics: list[str],
        client_id: str = "ondijon-bridge",
        batch_size: int = 2000,
        max_wait: float = 0.2,
    ):
        super().__init__(url, topics, client_id, batch_size, max_wait)
        self.stats = BridgeStats()

    def on_connected(self) -> None:
        self.stats.connects += 1

    def item_of(self, message) -> list[dict] | None:
        self.stats.messages += 1
        try:
            readings = readings_of(message.topic, message.payload)
        except (ValueError, UnicodeDecodeError) as error:
            # A device cannot be answered over MQTT: log it and let the broker forget it.
            self.stats.malformed += 1
            logger.warning("Malformed telemetry on %s: %s", message.topic, error)
            return None
        if len(readings) > settings.TELEMETRY_MAX_READINGS:
            self.stats.malformed += 1
            logger.warning("Too many readings in one message on %s", message.topic)
            return None
        return readings

    def item_size(self, readings: list[dict]) -> int:
        return len(readings)

    def fits(self, batch_size: int, readings: list[dict]) -> bool:
        return batch_size + len(readings) <= settings.TELEMETRY_MAX_READINGS

    def on_retry(self, error: BaseException, delay: float) -> None:
        self.stats.retries += 1
        super().on_retry(error, delay)

    def store(self, batch: list[list[dict]]) -> None:
        readings = [reading for readings in batch for reading in readings]
        result = ingest(readings)
        self.stats.batches += 1
        self.stats.accepted += result.accepted
        self.stats.duplicates += result.duplicates
        self.stats.rejected += len(result.rejected)
        for rejection in result.rejected:
            self.stats.last_rejections.append((readings[rejection.index], rejection.reason))
            logger.info("Reading refused: %s", rejection.reason)

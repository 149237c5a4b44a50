"""Device adapters: how commands reach devices and how their answers come back.

The adapter is a setting (`COMMAND_ADAPTER`, a dotted path). Each adapter has one method,
`send(commands)`, which raises `AdapterError` when it could not hand them over (the Celery
task then retries). Answers come back as `commands.Acknowledgement`s applied in batches by
`commands.record_acknowledgements`.

- `MqttAdapter`: publishes `<prefix>/<kind>/<code>/command` (QoS 1); devices answer on
  `<prefix>/<kind>/<code>/ack`, read by `listen_for_acknowledgements` (management command
  `listen_command_acks`; several share the load, each with its `--listener` number).
  The protocol is at-least-once, by design: a command whose answer is overdue is sent again
  (same command id, next attempt), because the platform cannot tell a device that never got
  it from an answer still waiting at the broker (the listener down, restarting or behind) —
  and MQTT QoS 1 may deliver a message twice anyway. So a device must carry out each command
  id once: a repeat is answered again (the same answer; `"repeat": true` if it says so) and
  not carried out. The demo's devices do (`ondijon.demo.devices.CarriedOut`).
- `ondijon.demo.devices.SimulatedAdapter`: the demo's devices (the embedded default).
"""

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from functools import cache
from urllib.parse import urlparse

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from equipment import commands as command_services
from equipment.models import Command
from equipment.mqtt import PersistentSubscriber

logger = logging.getLogger(__name__)


class AdapterError(Exception):
    """The commands could not be handed to the devices; sending them again may work."""


@cache
def adapter_class(path: str):
    return import_string(path)


_adapters: dict[tuple[int, str, str], object] = {}


def get_adapter():
    """One adapter per process (a Celery prefork child gets its own MQTT connection)."""
    key = (os.getpid(), settings.COMMAND_ADAPTER, settings.COMMAND_MQTT_URL)
    if key not in _adapters:
        _adapters[key] = adapter_class(settings.COMMAND_ADAPTER)()
    return _adapters[key]


# --- MQTT -------------------------------------------------------------------------------


def mqtt_client(client_name: str):
    """A connected paho client with automatic reconnection, its network loop running."""
    import paho.mqtt.client as mqtt

    url = urlparse(settings.COMMAND_MQTT_URL)
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"{client_name}-{os.getpid()}-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv5,
    )
    if url.username:
        client.username_pw_set(url.username, url.password)
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    connected = threading.Event()
    client.on_connect = lambda c, userdata, flags, reason, props: connected.set()
    client.connect_async(url.hostname or "127.0.0.1", url.port or 1883, keepalive=30)
    client.loop_start()
    if not connected.wait(timeout=settings.COMMAND_MQTT_TIMEOUT_S):
        client.loop_stop()
        raise AdapterError(
            _("MQTT broker %(hostname)s:%(value)s did not answer.")
            % {"hostname": url.hostname, "value": url.port or 1883}
        )
    return client, connected


def command_topic(command: Command) -> str:
    equipment = command.equipment
    return f"{settings.COMMAND_TOPIC_PREFIX}/{equipment.kind}/{equipment.code}/command"


def command_message(command: Command) -> bytes:
    return json.dumps(
        {
            # The device carries out each id once: a resend (next attempt) is only answered.
            "command": command.pk,
            "attempt": command.attempts,
            "action": command.action,
            "params": command.params,
            # A device that gets it later (from a broker's queue) must not carry it out.
            "expires_at": command.expires_at.isoformat() if command.expires_at else None,
        },
        separators=(",", ":"),
    ).encode()


class MqttAdapter:
    """Publishes commands on the devices' command topics, QoS 1, waiting for the broker."""

    def __init__(self):
        self._client = None
        self._lock = threading.Lock()

    def client(self):
        with self._lock:
            if self._client is None:
                self._client, _ = mqtt_client("ondijon-commands")
            return self._client

    def send(self, commands: Sequence[Command]) -> None:
        client = self.client()
        infos = [
            client.publish(
                command_topic(command),
                command_message(command),
                qos=1,
                properties=message_expiry(command),
            )
            for command in commands
        ]
        deadline = time.monotonic() + settings.COMMAND_MQTT_TIMEOUT_S
        for info in infos:
            try:
                info.wait_for_publish(timeout=max(0.1, deadline - time.monotonic()))
            except (RuntimeError, ValueError) as error:  # not connected, queue full
                raise AdapterError(
                    _("The MQTT broker refused the commands: %(error)s") % {"error": error}
                ) from error
            if not info.is_published():
                raise AdapterError(_("The MQTT broker did not take the commands in time."))


def message_expiry(command: Command):
    """MQTT 5 message expiry: the broker drops a command still queued past its deadline
    (for a device offline with a persistent session) instead of delivering it late."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    if command.expires_at is None:
        return None
    properties = Properties(PacketTypes.PUBLISH)
    remaining = (command.expires_at - timezone.now()).total_seconds()
    properties.MessageExpiryInterval = max(1, int(remaining))
    return properties


def parse_acknowledgement(payload: bytes):
    """A device's answer, `{"command": 12, "ok": true, "state": {...}, "error": ""}`, or None."""
    try:
        message = json.loads(payload)
        command_id = int(message["command"])
    except (ValueError, KeyError, TypeError):
        return None
    state = message.get("state")
    return command_services.Acknowledgement(
        command_id=command_id,
        ok=bool(message.get("ok")),
        error=str(message.get("error") or "")[:300],
        state=state if isinstance(state, dict) else {},
    )


class AcknowledgementListener(PersistentSubscriber):
    """Devices' answers, applied in batches and acknowledged to the broker only once stored:
    an answer that arrives while the listener is down waits at the broker, and one received
    but not yet stored when it dies comes again."""

    label = "Acknowledgement listener"
    retry_on = (Exception,)  # keep the batch whatever stopped it: no answer is dropped
    # Answers that waited out a database outage are stored within a second of its return,
    # before the overdue-commands sweep takes their commands for unanswered and sends them
    # again (a device would carry out the command twice).
    retry_delay_max_s = 1.0

    def __init__(self, listener: int = 0, **options):
        prefix, group = settings.COMMAND_TOPIC_PREFIX, settings.COMMAND_ACK_SHARE_GROUP
        topic = f"{prefix}/+/+/ack"
        super().__init__(
            settings.COMMAND_MQTT_URL,
            # Listeners of one group share the answers, each taken by one of them.
            [f"$share/{group}/{topic}" if group else topic],
            client_id=f"{settings.COMMAND_ACK_CLIENT_ID}-{listener}",
            session_expiry_s=settings.COMMAND_ACK_SESSION_EXPIRY_S,
            **options,
        )
        self.applied = 0

    def item_of(self, message):
        return parse_acknowledgement(message.payload)

    def store(self, acks: list) -> None:
        command_services.record_acknowledgements(acks)
        self.applied += len(acks)


def listen_for_acknowledgements(
    stop: threading.Event,
    *,
    listener: int = 0,
    flush_s: float = 0.05,
    max_batch: int = 500,
    on_ready: Callable[[], None] | None = None,
    on_subscribed: Callable[[], None] | None = None,
) -> int:
    """Read devices' answers until `stop` is set, applying them in batches; returns a count.

    `listener` numbers the listeners sharing the load: each has its own persistent session
    (client id COMMAND_ACK_CLIENT_ID-<listener>).
    """
    subscriber = AcknowledgementListener(listener, batch_size=max_batch, max_wait=flush_s)
    subscriber.on_subscribed = on_subscribed
    subscriber.start()
    try:
        if not subscriber.subscribed.wait(timeout=settings.COMMAND_MQTT_TIMEOUT_S):
            logger.warning("Acknowledgement listener not subscribed yet; it keeps trying")
        if on_ready:
            on_ready()
        while not stop.is_set():
            if not subscriber.write_batch():
                time.sleep(0.01)
    finally:
        subscriber.stop()
        close_old_connections()
    return subscriber.applied

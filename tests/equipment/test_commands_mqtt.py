"""The MQTT adapter against the real broker: commands out on command topics, answers back."""

import json
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings as django_settings

from equipment import commands
from equipment.adapters import listen_for_acknowledgements
from equipment.models import Command
from ondijon.demo.devices import answer_commands
from tests.conftest import mqtt_url

pytestmark = [pytest.mark.mqtt, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mqtt_commands(settings):
    """The MQTT adapter on a topic tree of this test's own (the broker is shared)."""
    settings.COMMAND_ADAPTER = "equipment.adapters.MqttAdapter"
    settings.COMMAND_MQTT_URL = mqtt_url()
    settings.COMMAND_TOPIC_PREFIX = f"test-{uuid.uuid4().hex[:8]}"
    # A listener session of this test's own: the broker keeps sessions after a test ends.
    settings.COMMAND_ACK_CLIENT_ID = f"{settings.COMMAND_TOPIC_PREFIX}-acks"
    settings.COMMAND_ACK_SESSION_EXPIRY_S = 300
    return settings


@pytest.fixture
def ack_listener(mqtt_commands):
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=listen_for_acknowledgements, args=(stop,), kwargs={"on_ready": ready.set}
    )
    thread.start()
    assert ready.wait(10)
    yield
    stop.set()
    thread.join(10)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def subscribe(topic: str) -> tuple[mqtt.Client, list]:
    received, subscribed = [], threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, message: received.append(
        (message.topic, json.loads(message.payload))
    )
    client.on_subscribe = lambda *args: subscribed.set()
    url = urlparse(mqtt_url())
    client.connect(url.hostname, url.port or 1883)
    client.loop_start()
    client.subscribe(topic, qos=1)
    assert subscribed.wait(10)
    return client, received


def test_command_is_published_on_the_device_topic_and_its_ack_applied(
    mqtt_commands, ack_listener, streetlight
):
    prefix = django_settings.COMMAND_TOPIC_PREFIX
    device, received = subscribe(f"{prefix}/+/+/command")
    try:
        command = commands.request_command(streetlight, "dim", {"level": 25}, reason="Test")
        assert wait_for(lambda: received)
        topic, message = received[0]
        assert topic == f"{prefix}/streetlight/SL-TEST-1/command"
        assert message == {
            "command": command.pk,
            "attempt": 1,
            "action": "dim",
            "params": {"level": 25},
            # Past its deadline the device must not carry it out.
            "expires_at": command.expires_at.isoformat(),
        }
        # The device answers with its own report of its state.
        device.publish(
            f"{prefix}/streetlight/SL-TEST-1/ack",
            json.dumps({"command": command.pk, "ok": True, "state": {"power_w": 31}}),
            qos=1,
        )
        assert wait_for(
            lambda: Command.objects.get(pk=command.pk).status == Command.Status.ACKNOWLEDGED
        )
        streetlight.refresh_from_db()
        assert streetlight.state == {"lamp": "on", "dim": 25, "power_w": 31}
    finally:
        device.loop_stop()
        device.disconnect()


def test_a_device_refusal_fails_the_command(mqtt_commands, ack_listener, streetlight):
    prefix = django_settings.COMMAND_TOPIC_PREFIX
    device, received = subscribe(f"{prefix}/+/+/command")
    try:
        command = commands.request_command(streetlight, "off", reason="Test")
        assert wait_for(lambda: received)
        device.publish(
            f"{prefix}/streetlight/SL-TEST-1/ack",
            json.dumps({"command": command.pk, "ok": False, "error": "Relay stuck"}),
            qos=1,
        )
        assert wait_for(lambda: Command.objects.get(pk=command.pk).status == "failed")
        assert Command.objects.get(pk=command.pk).error == "Relay stuck"
    finally:
        device.loop_stop()
        device.disconnect()


def test_simulated_mqtt_devices_acknowledge_a_batch(mqtt_commands, ack_listener, make_equipment):
    stop, ready = threading.Event(), threading.Event()
    devices_thread = threading.Thread(target=answer_commands, args=(stop, ready))
    devices_thread.start()
    try:
        assert ready.wait(10)
        lights = [make_equipment(f"SL-B{n}", "streetlight", {"lamp": "on"}) for n in range(50)]
        batch = commands.request_commands(lights, "off", reason="Test")
        ids = [c.pk for c in batch]
        assert wait_for(
            lambda: Command.objects.filter(pk__in=ids, status="acknowledged").count() == 50
        )
    finally:
        stop.set()
        devices_thread.join(10)


def test_two_listeners_share_the_answers_each_applied_once(mqtt_commands, make_equipment):
    mqtt_commands.COMMAND_ACK_SHARE_GROUP = f"{mqtt_commands.COMMAND_TOPIC_PREFIX}-group"
    stop, applied = threading.Event(), {}
    listeners = []
    for number in (0, 1):
        ready = threading.Event()

        def listen(number=number, ready=ready):
            applied[number] = listen_for_acknowledgements(stop, listener=number, on_ready=ready.set)

        listeners.append(threading.Thread(target=listen))
        listeners[-1].start()
        assert ready.wait(10)
    devices_stop, devices_ready = threading.Event(), threading.Event()
    devices = threading.Thread(target=answer_commands, args=(devices_stop, devices_ready))
    devices.start()
    try:
        assert devices_ready.wait(10)
        lights = [make_equipment(f"SL-S{n}", "streetlight", {"lamp": "on"}) for n in range(60)]
        ids = [c.pk for c in commands.request_commands(lights, "off", reason="Test")]
        assert wait_for(
            lambda: Command.objects.filter(pk__in=ids, status="acknowledged").count() == 60
        )
    finally:
        devices_stop.set()
        devices.join(10)
        stop.set()
        for listener in listeners:
            listener.join(10)
    # Each answer went to one listener of the group: together they applied each once.
    assert applied[0] + applied[1] == 60
    assert applied[0] > 0 and applied[1] > 0


def test_a_command_resent_while_its_answer_waits_is_carried_out_once(mqtt_commands, make_equipment):
    """The listener is down when the device answers; the overdue sweep sends the command again;
    the device answers the repeat without acting again, and once the listener is back the
    command is acknowledged and the device's state set."""
    listener_stop, listener_ready = threading.Event(), threading.Event()
    # The listener's session exists at the broker (as after its first start), then it stops.
    listen_for_acknowledgements(listener_stop, on_ready=listener_stop.set)
    devices_stop, devices_ready, carried_out = threading.Event(), threading.Event(), []
    devices = threading.Thread(
        target=lambda: carried_out.append(answer_commands(devices_stop, devices_ready))
    )
    devices.start()
    prefix = mqtt_commands.COMMAND_TOPIC_PREFIX
    observer, answers = subscribe(f"{prefix}/+/+/ack")
    listener = None
    try:
        assert devices_ready.wait(10)
        light = make_equipment("SL-R1", "streetlight", {"lamp": "on"})
        command = commands.request_command(light, "off", reason="Test")
        assert wait_for(lambda: len(answers) == 1)
        later = Command.objects.get(pk=command.pk).deadline_at + timedelta(seconds=1)
        assert commands.expire_overdue_commands(now=later) == {"resent": 1, "timed_out": 0}
        assert wait_for(lambda: len(answers) == 2)
        assert [answer.get("repeat", False) for _, answer in answers] == [False, True]
        listener = threading.Thread(
            target=listen_for_acknowledgements,
            args=(listener_stop,),
            kwargs={"on_ready": listener_ready.set},
        )
        listener_stop.clear()
        listener.start()
        assert wait_for(lambda: Command.objects.get(pk=command.pk).status == "acknowledged")
    finally:
        devices_stop.set()
        devices.join(10)
        listener_stop.set()
        if listener:
            listener.join(10)
        observer.loop_stop()
        observer.disconnect()
    assert carried_out == [1]  # sent twice, carried out once
    light.refresh_from_db()
    assert light.state["lamp"] == "off"
    assert Command.objects.get(pk=command.pk).attempts == 2

"""The production retry path of commands: Celery on Redis with a real worker (and beat), never
eager. A device that cannot be reached is tried again with back-off; a command nobody answers
is sent again by the periodic job until it times out; the operator's retry goes out again.

The embedded default runs none of this (its jobs run in-process, a failure is final at once):
these tests are the only ones that execute the worker's side of it.
"""

import json
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pytest

from equipment import commands
from equipment.adapters import listen_for_acknowledgements
from equipment.models import Command
from ondijon.celery import app as celery_app
from supervision.models import Event
from tests.conftest import (
    ARTIFACTS,
    ROOT,
    celery_environment,
    die_with_parent,
    in_default_language,
    mqtt_url,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

MAX_ATTEMPTS = 3


@pytest.fixture
def tasks_go_to_the_broker():
    """The request side as in production: `delay` hands the task to Redis, never runs it here."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    log = ARTIFACTS / "celery-worker.log"
    tail = log.read_text()[-3000:] if log.exists() else ""
    pytest.fail(f"{what}: not within {timeout:g} s. Worker log:\n{tail}")


def attempts_sent(command: Command) -> list[int]:
    """The attempt numbers the events log recorded as handed to the devices, in order."""
    batches = Event.objects.filter(kind="commands.sent").order_by("seq")
    return [
        entry["attempt"]
        for batch in batches.values_list("payload", flat=True)
        for entry in batch["commands"]
        if entry["id"] == command.pk
    ]


def command_kinds(command: Command) -> list[str]:
    return list(
        Event.objects.filter(subject_type="command", subject_id=str(command.pk))
        .order_by("seq")
        .values_list("kind", flat=True)
    )


class TestUnreachableDevices:
    @pytest.fixture
    def worker_environment(self):
        # The MQTT adapter, with nothing listening where the broker should be.
        return {
            "COMMAND_ADAPTER": "equipment.adapters.MqttAdapter",
            "MQTT_URL": "mqtt://127.0.0.1:1",
            "COMMAND_MQTT_TIMEOUT_S": "0.5",
            "COMMAND_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        }

    def test_are_tried_again_with_back_off_then_failed_with_the_reason(
        self, background_worker, tasks_go_to_the_broker, streetlight
    ):
        started = time.monotonic()
        command = commands.request_command(streetlight, "off", reason="Test")
        wait_for(
            lambda: Command.objects.get(pk=command.pk).status == Command.Status.FAILED,
            timeout=60,
            what="the worker gives up on the unreachable devices",
        )
        command.refresh_from_db()
        # Each attempt is counted and logged; the task waited 1 s, then 2 s between them.
        assert command.attempts == MAX_ATTEMPTS
        assert attempts_sent(command) == [1, 2, 3]
        assert time.monotonic() - started >= 1 + 2
        assert command.error.startswith(
            in_default_language("Could not reach the devices: %(error)s", error="")
        )
        assert "MQTT" in command.error and "127.0.0.1:1" in command.error
        assert command_kinds(command) == ["command.requested", "command.failed"]
        streetlight.refresh_from_db()
        assert streetlight.state["lamp"] == "on"


@pytest.fixture
def topic_prefix(settings):
    """A topic tree of this test's own on the shared broker, for the worker and this process."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    settings.COMMAND_TOPIC_PREFIX = prefix
    # A listener session of this test's own: the broker keeps sessions after a test ends.
    settings.COMMAND_ACK_CLIENT_ID = f"{prefix}-acks"
    settings.COMMAND_ACK_SESSION_EXPIRY_S = 300
    settings.COMMAND_MQTT_URL = mqtt_url()
    return prefix


@pytest.fixture
def beat(background_worker, topic_prefix, worker_environment, tmp_path):
    """Celery beat with the platform's one schedule, sending its periodic jobs to the worker."""
    env = celery_environment(worker_environment)
    with (ARTIFACTS / "celery-beat.log").open("ab") as log:
        process = subprocess.Popen(
            [
                *[sys.executable, "-m", "celery", "-A", "ondijon", "beat", "-l", "WARNING"],
                *["--schedule", str(tmp_path / "celerybeat-schedule"), "--max-interval", "1"],
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    yield process
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture
def ack_listener(topic_prefix):
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=listen_for_acknowledgements, args=(stop,), kwargs={"on_ready": ready.set}
    )
    thread.start()
    assert ready.wait(10)
    yield
    stop.set()
    thread.join(10)


class SilentDevice:
    """A streetlight on the broker that keeps what it receives and answers only when told."""

    def __init__(self, prefix: str, code: str):
        self.received: list[dict] = []
        self.answer_from_attempt: int | None = None
        self.ack_topic = f"{prefix}/streetlight/{code}/ack"
        subscribed = threading.Event()
        url = urlparse(mqtt_url())
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.on_message = self.on_message
        self.client.connect(url.hostname, url.port or 1883)
        self.client.loop_start()
        self.client.subscribe(f"{prefix}/streetlight/{code}/command", qos=1)
        assert subscribed.wait(10)

    def on_message(self, client, userdata, message) -> None:
        order = json.loads(message.payload)
        self.received.append(order)
        if self.answer_from_attempt and order["attempt"] >= self.answer_from_attempt:
            answer = {"command": order["command"], "ok": True, "state": {"lamp": "off"}}
            client.publish(self.ack_topic, json.dumps(answer), qos=1)

    def attempts(self) -> list[int]:
        return [order["attempt"] for order in self.received]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class TestUnansweredCommands:
    @pytest.fixture
    def worker_environment(self, topic_prefix):
        return {
            "COMMAND_ADAPTER": "equipment.adapters.MqttAdapter",
            "MQTT_URL": mqtt_url(),
            "COMMAND_TOPIC_PREFIX": topic_prefix,
            "COMMAND_ACK_TIMEOUT_S": "1",
            "COMMAND_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        }

    @pytest.fixture
    def device(self, topic_prefix, streetlight):
        device = SilentDevice(topic_prefix, streetlight.code)
        yield device
        device.close()

    @pytest.mark.mqtt
    def test_are_sent_again_by_the_periodic_job_then_time_out_and_the_operator_retry_goes_out(
        self, beat, ack_listener, tasks_go_to_the_broker, device, streetlight
    ):
        command = commands.request_command(streetlight, "off", reason="Test")
        wait_for(
            lambda: Command.objects.get(pk=command.pk).status == Command.Status.TIMED_OUT,
            timeout=60,
            what="beat's expire-overdue-commands job resends, then gives up",
        )
        command.refresh_from_db()
        assert device.attempts() == [1, 2, 3]
        assert (
            in_default_language(
                "No acknowledgement after %(attempts)s attempts.", attempts=MAX_ATTEMPTS
            )
            in command.error
        )
        assert command_kinds(command) == [
            "command.requested",
            "command.retried",
            "command.retried",
            "command.timed_out",
        ]

        device.answer_from_attempt = MAX_ATTEMPTS + 1
        commands.retry_command(command)
        wait_for(
            lambda: Command.objects.get(pk=command.pk).status == Command.Status.ACKNOWLEDGED,
            timeout=30,
            what="the retried command goes out again and the device's answer is applied",
        )
        command.refresh_from_db()
        assert command.attempts == MAX_ATTEMPTS + 1
        assert device.attempts() == [1, 2, 3, 4]
        streetlight.refresh_from_db()
        assert streetlight.state["lamp"] == "off"
        assert command_kinds(command)[-2:] == ["command.retried", "command.acknowledged"]

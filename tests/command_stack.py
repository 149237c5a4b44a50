"""Real processes of the commands' production path for drills: a Celery worker and beat on
the test database, the acknowledgement listener, and devices on MQTT that record every order
they receive (when, which attempt, its deadline) and answer it."""

import json
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

from tests.conftest import ARTIFACTS, ROOT, celery_environment, die_with_parent
from tests.instances import (
    kill_group,
    stop_group,
    wait_until,  # noqa: F401  (the drills' polling, re-exported)
)


def start_process(command: list[str], env: dict[str, str], log_name: str) -> subprocess.Popen:
    """A child in a process group of its own, so a drill can kill it with its children."""
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / log_name).open("ab") as log:
        return subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
            start_new_session=True,
        )


kill = kill_group  # SIGKILL to the process and its children: a crash
stop = stop_group


CELERY = [sys.executable, "-m", "celery", "-A", "ondijon"]


def purge_queues(env: dict[str, str]) -> None:
    """Tasks left by an earlier run refer to rows that no longer exist."""
    subprocess.run([*CELERY, "purge", "-f"], env=env, cwd=ROOT, check=True, capture_output=True)


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    return start_process(
        [*CELERY, "worker", "-l", "INFO", "-c", "1", "--without-gossip", "--without-mingle"],
        env,
        "celery-worker.log",
    )


def start_beat(env: dict[str, str], schedule: Path) -> subprocess.Popen:
    return start_process(
        [*CELERY, "beat", "-l", "WARNING", "--schedule", str(schedule), "--max-interval", "1"],
        env,
        "celery-beat.log",
    )


def start_ack_listener(env: dict[str, str], number: int = 0) -> subprocess.Popen:
    return start_process(
        [sys.executable, "manage.py", "listen_command_acks", "--listener", str(number)],
        env,
        f"ack-listener-{number}.log",
    )


def stack_environment(extra: dict[str, str]) -> dict[str, str]:
    return celery_environment({"LOG_LEVEL": "WARNING", **extra})


@dataclass
class Delivery:
    command: int
    attempt: int
    received: datetime
    expires_at: datetime | None


@dataclass
class RecordingDevices:
    """Every device of a topic tree: records each order received, and answers those still
    within their deadline (as a real device ignores a late order) with `ok`."""

    url: str
    prefix: str
    answer: bool = True
    deliveries: list[Delivery] = field(default_factory=list)
    answered: set[int] = field(default_factory=set)

    def __post_init__(self):
        self.lock = threading.Lock()
        subscribed = threading.Event()
        address = urlparse(self.url)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.on_message = self.on_message
        self.client.connect(address.hostname, address.port or 1883)
        self.client.loop_start()
        self.client.subscribe(f"{self.prefix}/+/+/command", qos=1)
        assert subscribed.wait(10)

    def on_message(self, client, userdata, message) -> None:
        from django.utils import timezone

        order = json.loads(message.payload)
        expires_at = order.get("expires_at")
        delivery = Delivery(
            command=order["command"],
            attempt=order["attempt"],
            received=timezone.now(),
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        )
        with self.lock:
            self.deliveries.append(delivery)
        if not self.answer or (delivery.expires_at and delivery.received > delivery.expires_at):
            return
        answer = {"command": order["command"], "ok": True}
        client.publish(message.topic.rsplit("/", 1)[0] + "/ack", json.dumps(answer), qos=1)
        with self.lock:
            self.answered.add(order["command"])

    def late(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.expires_at and d.received > d.expires_at]

    def per_command(self) -> dict[int, list[int]]:
        attempts: dict[int, list[int]] = {}
        for delivery in self.deliveries:
            attempts.setdefault(delivery.command, []).append(delivery.attempt)
        return attempts

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def ready_lines() -> int:
    """How many times a worker said it was ready, in the workers' log."""
    path = ARTIFACTS / "celery-worker.log"
    return path.read_text(errors="replace").count(" ready.") if path.exists() else 0


def log_tail(name: str) -> str:
    path = ARTIFACTS / name
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""

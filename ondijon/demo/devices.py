"""The demo's simulated devices.

- `SimulatedAdapter` (the embedded default's `COMMAND_ADAPTER`): each device acknowledges after
  a small delay, and a few fail; both drawn from a generator seeded by the command, so a test
  sees the same outcome every time.
- `answer_commands`: devices on MQTT that take commands on `<prefix>/+/+/command` and
  acknowledge on the matching `.../ack` topic, for the production stack's demo and benchmarks,
  where the real adapter (`MqttAdapter`) talks to a broker.
"""

import json
import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connections
from django.utils import timezone

from equipment import commands as command_services
from equipment.adapters import mqtt_client
from equipment.models import Command

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulatedAnswer:
    delay_s: float
    ok: bool


def simulated_answer(command: Command) -> SimulatedAnswer:
    """The same command and attempt always get the same answer."""
    config = settings.COMMAND_SIMULATOR
    rng = random.Random(f"{config['seed']}:{command.pk}:{command.attempts}")
    delay = rng.uniform(config["min_delay_s"], config["max_delay_s"])
    return SimulatedAnswer(delay_s=delay, ok=rng.random() >= config["failure_rate"])


def simulated_acknowledgement(command: Command, answer: SimulatedAnswer):
    if answer.ok:
        return command_services.Acknowledgement(command.pk, ok=True)
    return command_services.Acknowledgement(
        command.pk, ok=False, error="Simulated device did not carry out the command."
    )


class SimulatedAdapter:
    """Acknowledges like real devices would: after a short delay, a few failing."""

    def send(self, commands: Sequence[Command]) -> None:
        answers = [(command, simulated_answer(command)) for command in commands]
        if settings.COMMAND_SIMULATOR["max_delay_s"] <= 0:
            command_services.record_acknowledgements(
                [simulated_acknowledgement(c, a) for c, a in answers]
            )
            return
        thread = threading.Thread(
            target=self._answer_later, args=(answers,), name="simulated-devices", daemon=True
        )
        thread.start()

    @staticmethod
    def _answer_later(answers: list[tuple[Command, SimulatedAnswer]]) -> None:
        """Answer in order of delay, in a few batches (devices answer at about the same time)."""
        started = time.monotonic()
        answers = sorted(answers, key=lambda pair: pair[1].delay_s)
        try:
            while answers:
                due = answers[0][1].delay_s + 0.05
                time.sleep(max(0.0, started + answers[0][1].delay_s - time.monotonic()))
                batch = [pair for pair in answers if pair[1].delay_s <= due]
                answers = answers[len(batch) :]
                command_services.record_acknowledgements(
                    [simulated_acknowledgement(c, a) for c, a in batch]
                )
        except Exception:  # unacknowledged commands time out and are resent
            logger.exception("Simulated devices could not answer")
        finally:
            connections.close_all()  # this thread's own connections: the thread ends here


def too_late(command: dict) -> bool:
    expires_at = command.get("expires_at")
    try:
        return bool(expires_at) and datetime.fromisoformat(expires_at) <= timezone.now()
    except (TypeError, ValueError):
        return False


def answer_commands(stop: threading.Event, ready: threading.Event | None = None) -> int:
    """Acknowledge every command received until `stop` is set; returns how many."""
    prefix = settings.COMMAND_TOPIC_PREFIX
    answered = 0
    subscribed = threading.Event()

    def on_message(client, userdata, message):
        nonlocal answered
        try:
            command = json.loads(message.payload)
            ack = {"command": command["command"], "ok": True}
        except (ValueError, KeyError, TypeError):
            return
        if too_late(command):
            return  # a real device ignores an order past its deadline too
        client.publish(message.topic.rsplit("/", 1)[0] + "/ack", json.dumps(ack), qos=1)
        answered += 1

    client, _ = mqtt_client("ondijon-simulated-devices")
    client.on_message = on_message
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_connect = lambda c, *args: c.subscribe(f"{prefix}/+/+/command", qos=1)
    client.subscribe(f"{prefix}/+/+/command", qos=1)
    subscribed.wait(timeout=settings.COMMAND_MQTT_TIMEOUT_S)
    if ready:
        ready.set()
    stop.wait()
    client.loop_stop()
    client.disconnect()
    return answered

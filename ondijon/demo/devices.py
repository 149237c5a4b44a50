"""The demo's simulated devices.

- `SimulatedAdapter` (the embedded default's `COMMAND_ADAPTER`): each device acknowledges after
  a small delay, and a few fail; both drawn from a generator seeded by the command, so a test
  sees the same outcome every time.
- `answer_commands`: devices on MQTT that take commands on `<prefix>/+/+/command` and
  acknowledge on the matching `.../ack` topic, for the production stack's demo and benchmarks,
  where the real adapter (`MqttAdapter`) talks to a broker; each command id is carried out
  once, a repeat answered again (`CarriedOut`).
"""

import json
import logging
import random
import threading
import time
from collections import OrderedDict
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


class CarriedOut:
    """What the simulated devices carried out, by command id: the device side of the command
    protocol's idempotency.

    A command message carries its id (`command_message`). The platform sends a command again
    when its answer is overdue, and it cannot tell a device that never got it from an answer
    that waits at the broker (the acknowledgement listener is down or behind, the answer was
    lost); MQTT QoS 1 is at-least-once anyway. So a device carries out each command id once
    and answers a repeat with the answer it gave, marked `"repeat": true`, without acting
    again: a resend is never carried out twice, and an old resend cannot undo a newer command.
    Ids are kept until the command's deadline (a later delivery is ignored as too late anyway),
    `limit` at most.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.answers: OrderedDict[int, tuple[datetime | None, dict]] = OrderedDict()
        self.lock = threading.Lock()
        self.carried_out = self.repeats = 0

    def answer(self, order: dict, now: datetime | None = None) -> dict | None:
        """The answer to a command message: None for one to ignore (malformed, too late)."""
        try:
            command_id = int(order["command"])
        except (KeyError, TypeError, ValueError):
            return None
        if too_late(order):
            return None  # a real device ignores an order past its deadline too
        with self.lock:
            known = self.answers.get(command_id)
            if known is not None:
                self.repeats += 1
                return {**known[1], "repeat": True}
            answer = {"command": command_id, "ok": True}
            self.carried_out += 1
            self.answers[command_id] = (deadline_of(order), answer)
            self.forget_old(now or timezone.now())
        return answer

    def forget_old(self, now: datetime) -> None:
        while self.answers:
            expires_at, _ = next(iter(self.answers.values()))
            if len(self.answers) <= self.limit and (expires_at is None or expires_at > now):
                break
            self.answers.popitem(last=False)


def deadline_of(order: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(order["expires_at"])
    except (KeyError, TypeError, ValueError):
        return None


def answer_commands(stop: threading.Event, ready: threading.Event | None = None) -> int:
    """Acknowledge every command received until `stop` is set, each id carried out once
    (`CarriedOut`); returns how many were carried out."""
    prefix = settings.COMMAND_TOPIC_PREFIX
    devices = CarriedOut()
    subscribed = threading.Event()

    def on_message(client, userdata, message):
        try:
            order = json.loads(message.payload)
        except ValueError:
            return
        answer = devices.answer(order) if isinstance(order, dict) else None
        if answer is not None:
            client.publish(message.topic.rsplit("/", 1)[0] + "/ack", json.dumps(answer), qos=1)

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
    if devices.repeats:
        logger.info("Simulated devices: %s repeats answered, not carried out", devices.repeats)
    return devices.carried_out

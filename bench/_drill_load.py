"""The traffic of a drill, as the room and the city make it while a server fails:

- `ProbeWriter`: an operator changes probe devices' status and a tracker moves a probe team,
  through the API of both daphne processes (what the screens must show after recovery);
- `HttpTelemetry` / `MqttTelemetry`: devices send readings, each with an id of its own; an
  HTTP device sends a batch again until it is accepted, as a real one does;
- `CommandTrickle`: an operator asks for commands all along;
- `MqttObserver`: every command message that reached the devices and every answer they sent,
  heard on the drill's own broker (what "delivered", "late" and "duplicated" are counted on);
- `Answers`: every HTTP answer of the stack (load clients and browser pages), for the 5xx count.
"""

import http.client
import json
import re
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from urllib.parse import urlparse

import paho.mqtt.client as mqtt


class Answers:
    """HTTP answers seen by the drill: 5xx ones kept with method, path and status."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.errors: list[tuple[float, str]] = []
        self.slow: list[tuple[float, str]] = []  # answered, but after SLOW_S

    SLOW_S = 5.0

    def record(self, method: str, url: str, status: int | str, took: float = 0.0) -> None:
        path = re.sub(r"/\d+/", "/<id>/", urlparse(url).path)
        if took > self.SLOW_S:
            with self.lock:
                self.slow.append((time.time(), f"{method} {path}"))
        if isinstance(status, int) and status < 500:
            return
        with self.lock:
            self.errors.append((time.time(), f"{method} {path} {status}"))

    def slow_since(self, started: float) -> Counter:
        with self.lock:
            return Counter(what for at, what in self.slow if at >= started)

    def since(self, started: float) -> Counter:
        with self.lock:
            return Counter(what for at, what in self.errors if at >= started)


def request(
    answers: Answers, base: str, method: str, path: str, body=None, token: str = "", timeout=15
) -> tuple[int | str, bytes]:
    """One HTTP request; status "no answer" when the server did not answer in `timeout`."""
    url = urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    started = time.monotonic()
    try:
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        status, data = response.status, response.read()
    except (OSError, http.client.HTTPException):
        status, data = "no answer", b""
    finally:
        connection.close()
    answers.record(method, base + path, status, time.monotonic() - started)
    return status, data


class Loop(threading.Thread):
    """A thread doing `tick()` every `every` seconds until stopped."""

    every = 0.5

    def __init__(self) -> None:
        super().__init__(daemon=True, name=type(self).__name__)
        self.stopping = threading.Event()
        self.n = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            self.tick()
            self.n += 1
            self.stopping.wait(max(0.0, self.every - (time.monotonic() - started)))

    def tick(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)


class ProbeWriter(Loop):
    """Changes a probe device's status (walls) and moves the probe team (dispatch desk)."""

    every = 0.5
    STATUSES = ("fault", "ok", "degraded")

    def __init__(self, answers, bases, token, devices: list[int], team: int) -> None:
        super().__init__()
        self.answers, self.bases, self.token = answers, bases, token
        self.devices, self.team = devices, team

    def tick(self) -> None:
        base = self.bases[self.n % len(self.bases)]
        device = self.devices[self.n % len(self.devices)]
        status = self.STATUSES[(self.n // len(self.devices)) % len(self.STATUSES)]
        request(
            self.answers,
            base,
            "PATCH",
            f"/api/v1/equipment/{device}/",
            {"status": status},
            self.token,
        )
        if self.n % 2 == 0:
            latitude = 47.30 + (self.n % 100) / 10000
            request(
                self.answers,
                base,
                "POST",
                f"/api/v1/teams/{self.team}/position/",
                {"latitude": latitude, "longitude": 5.04},
                self.token,
            )


def now_text() -> str:
    return datetime.now(UTC).isoformat()


class HttpTelemetry(Loop):
    """A device gateway posting batches of readings; a batch not accepted is sent again."""

    every = 0.25
    PER_BATCH = 4

    def __init__(self, answers, bases, key, codes: list[str], tag: str) -> None:
        super().__init__()
        self.answers, self.bases, self.key, self.codes, self.tag = answers, bases, key, codes, tag
        self.handed: set[str] = set()  # ids of readings in a batch the platform accepted
        self.pending: list[dict] | None = None
        self.serial = 0

    def tick(self) -> None:
        if self.pending is None:
            self.pending = []
            for _ in range(self.PER_BATCH):
                self.serial += 1
                code = self.codes[self.serial % len(self.codes)]
                self.pending.append(
                    {
                        "device": code,
                        "time": now_text(),
                        "metrics": {"power_w": 70.0 + self.serial % 5},
                        "id": f"{self.tag}-h{self.serial}",
                    }
                )
        self.send()

    def send(self) -> bool:
        base = self.bases[self.n % len(self.bases)]
        status, _ = request(
            self.answers,
            base,
            "POST",
            "/api/v1/telemetry/",
            {"readings": self.pending},
            self.key,
            timeout=20,
        )
        if status == 200:
            self.handed.update(r["id"] for r in self.pending)
            self.pending = None
            return True
        return False

    def flush(self, timeout: float) -> None:
        """After the drill: the last batch is tried again for a while, as a device would."""
        deadline = time.monotonic() + timeout
        while self.pending is not None and time.monotonic() < deadline:
            self.n += 1
            if not self.send():
                time.sleep(1)

    @property
    def sent(self) -> set[str]:
        return self.handed | {r["id"] for r in self.pending or []}


class MqttTelemetry(Loop):
    """Devices publishing one reading a message (QoS 1) on the drill's broker."""

    every = 0.25
    PER_TICK = 4

    def __init__(self, mqtt_url: str, prefix: str, codes: list[str], tag: str) -> None:
        super().__init__()
        self.prefix, self.codes, self.tag = prefix, codes, tag
        url = urlparse(mqtt_url)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{tag}-devices")
        self.client.max_queued_messages_set(0)
        self.client.connect(url.hostname, url.port)
        self.client.loop_start()
        self.handed: set[str] = set()  # taken by the broker (PUBACK)
        self.infos: list = []
        self.serial = 0

    def tick(self) -> None:
        for _ in range(self.PER_TICK):
            self.serial += 1
            code = self.codes[self.serial % len(self.codes)]
            reading_id = f"{self.tag}-m{self.serial}"
            payload = {"time": now_text(), "metrics": {"power_w": 71.0}, "id": reading_id}
            info = self.client.publish(
                f"{self.prefix}/streetlight/{code}/telemetry", json.dumps(payload), qos=1
            )
            self.infos.append((reading_id, info))

    def stop(self) -> None:
        super().stop()
        for reading_id, info in self.infos:
            try:
                info.wait_for_publish(timeout=5)
            except (RuntimeError, ValueError):
                continue
            if info.is_published():
                self.handed.add(reading_id)
        self.client.loop_stop()
        self.client.disconnect()


class CommandTrickle(Loop):
    """An operator dimming streetlights, one command every `every` seconds."""

    every = 0.5

    def __init__(self, answers, bases, token, codes: list[str]) -> None:
        super().__init__()
        self.answers, self.bases, self.token, self.codes = answers, bases, token, codes
        self.ids: list[int] = []

    def tick(self) -> None:
        status, data = request(
            self.answers,
            self.bases[self.n % len(self.bases)],
            "POST",
            "/api/v1/commands/",
            {
                "equipment": self.codes[self.n % len(self.codes)],
                "action": "dim",
                "params": {"level": 40 + self.n % 60},
                "reason": "Drill",
            },
            self.token,
        )
        if status == 201:
            self.ids.append(json.loads(data)["id"])


class MqttObserver:
    """Every command message delivered to the devices and every answer, with its time.

    A device carries out each command id once and answers a resend again marked `repeat`
    (equipment/adapters.py): what it carried out is its answers that are not repeats. The
    attempt of each delivery is kept too: one attempt delivered twice is the platform sending
    one thing twice, not a resend.
    """

    def __init__(self, mqtt_url: str, prefix: str) -> None:
        url = urlparse(mqtt_url)
        self.deliveries: dict[int, list[float]] = defaultdict(list)
        self.attempts: dict[int, list[int]] = defaultdict(list)
        self.answers: dict[int, list[tuple[float, bool]]] = defaultdict(list)
        self.carried_out: Counter = Counter()  # command id -> times a device carried it out
        self.lock = threading.Lock()
        subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{prefix}-observer")
        self.client.on_connect = lambda c, *a: c.subscribe(
            [(f"{prefix}/+/+/command", 1), (f"{prefix}/+/+/ack", 1)]
        )
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = self.on_message
        self.client.connect(url.hostname, url.port)
        self.client.loop_start()
        if not subscribed.wait(10):
            raise RuntimeError("the drill's MQTT observer could not subscribe")

    def on_message(self, client, userdata, message) -> None:
        try:
            body = json.loads(message.payload)
            command = int(body["command"])
        except (ValueError, KeyError, TypeError):
            return
        with self.lock:
            if message.topic.endswith("/command"):
                self.deliveries[command].append(time.time())
                self.attempts[command].append(body.get("attempt"))
            else:
                self.answers[command].append((time.time(), bool(body.get("ok"))))
                if body.get("ok") and not body.get("repeat"):
                    self.carried_out[command] += 1

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()

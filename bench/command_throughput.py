"""Command throughput through the production stack: commands requested from this process,
sent by a Celery worker on Redis through the MQTT adapter, acknowledged by simulated devices
on the broker, and applied by the acknowledgement listener.

Prints commands/s sent (handed to the broker) and acknowledged (recorded in the database),
and, as a same-process baseline, the rate of a bare MQTT round trip (publish a command, the
same simulated devices answer, receive the answer) with no database or queue in between.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_i7 \
      REDIS_URL=redis://127.0.0.1:6379/7 CHANNEL_PREFIX=i7 \
      .venv/bin/python bench/command_throughput.py
"""

import json
import threading
import time

from _command_stack import production_stack, wait_until
from _setup import throwaway_database

DEVICES = 5_000
BATCH = 500


def make_streetlights():
    from equipment.models import District, Equipment

    district = District.objects.create(
        code="bench", name="Bench", center_latitude=47.32, center_longitude=5.04
    )
    Equipment.objects.bulk_create(
        Equipment(
            code=f"SL-B{n:05d}",
            kind="streetlight",
            district=district,
            latitude=47.32,
            longitude=5.04,
            state={"lamp": "on", "dim": 100},
        )
        for n in range(DEVICES)
    )
    return list(Equipment.objects.filter(district=district).order_by("pk"))


def through_the_stack(devices) -> tuple[float, float, float]:
    from django.db.models import Max, Min

    from equipment import commands
    from equipment.models import Command

    # Warm-up: the worker and the listener have their connections open.
    warm = commands.request_commands(devices[:10], "on", reason="warm-up", origin="warm-up")
    assert wait_until(
        lambda: (
            Command.objects.filter(pk__in=[c.pk for c in warm], status="acknowledged").count() == 10
        ),
        60,
    ), "the stack did not answer"
    started = time.perf_counter()
    for start in range(0, len(devices), BATCH):
        commands.request_commands(
            devices[start : start + BATCH], "dim", {"level": 40}, reason="bench", origin="bench"
        )
    requested = time.perf_counter() - started
    bench = Command.objects.filter(origin="bench")
    done = wait_until(
        lambda: bench.filter(status="acknowledged").count() == len(devices), 300, step=0.05
    )
    assert done is not None, "not every command was acknowledged"
    times = bench.aggregate(
        first_request=Min("requested_at"), last_sent=Max("sent_at"), last_ack=Max("finished_at")
    )
    sent_s = (times["last_sent"] - times["first_request"]).total_seconds()
    acknowledged_s = (times["last_ack"] - times["first_request"]).total_seconds()
    return len(devices) / requested, len(devices) / sent_s, len(devices) / acknowledged_s


def bare_mqtt_round_trip(count: int) -> float:
    """Publish `count` commands and wait for every answer, on the same broker and devices."""
    from django.conf import settings

    from equipment.adapters import mqtt_client

    received = 0
    lock = threading.Condition()
    prefix = settings.COMMAND_TOPIC_PREFIX

    def on_message(client, userdata, message):
        nonlocal received
        with lock:
            received += 1
            lock.notify_all()

    client, _ = mqtt_client("bench-baseline")
    subscribed = threading.Event()
    client.on_message = on_message
    client.on_subscribe = lambda *args: subscribed.set()
    client.subscribe(f"{prefix}/+/+/ack", qos=1)
    subscribed.wait(10)
    time.sleep(0.5)
    started = time.perf_counter()
    # In batches like the stack's, each answered before the next: Mosquitto queues at most
    # 1,000 QoS 1 messages for a client, so one burst of thousands would lose some.
    for start in range(0, count, BATCH):
        for n in range(start, min(count, start + BATCH)):
            client.publish(
                f"{prefix}/streetlight/SL-B{n:05d}/command",
                json.dumps({"command": 10**9 + n, "attempt": 1, "action": "dim", "params": {}}),
                qos=1,
            )
        expected = min(count, start + BATCH)
        with lock:
            lock.wait_for(lambda expected=expected: received >= expected, timeout=30)
    elapsed = time.perf_counter() - started
    client.loop_stop()
    client.disconnect()
    return count / elapsed


def main() -> None:
    with throwaway_database(), production_stack():
        devices = make_streetlights()
        request_rate, sent_rate, ack_rate = through_the_stack(devices)
        baseline = bare_mqtt_round_trip(len(devices))
        print(f"{len(devices)} commands in batches of {BATCH}, Celery worker -c 2, MQTT QoS 1")
        print(f"requested (transactions in this process): {request_rate:8.0f} commands/s")
        print(f"sent to the broker by the worker:         {sent_rate:8.0f} commands/s")
        print(f"acknowledged and recorded:                {ack_rate:8.0f} commands/s")
        print(f"baseline bare MQTT round trip:            {baseline:8.0f} commands/s")
        print(f"acknowledged / baseline:                  {ack_rate / baseline:8.2f}")


if __name__ == "__main__":
    main()

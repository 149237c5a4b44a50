"""Command throughput through the production stack: commands requested from this process,
sent by a Celery worker on Redis through the MQTT adapter, acknowledged by simulated devices
on the broker, and applied by the acknowledgement listener.

Prints commands/s sent (handed to the broker) and acknowledged (recorded in the database),
and, as a same-process baseline, the rate of a bare MQTT round trip (publish a command, the
same simulated devices answer, receive the answer) with no database or queue in between,
pipelined as the worker's adapter publishes: batches of COMMAND_SEND_BATCH, each waiting for
the broker's PUBACKs, not for the devices' answers, with at most 1,000 commands awaiting an
answer (Mosquitto queues no more for a client). Stack and baseline run in pairs, the order
alternating; medians, and the median of the pairs' ratios.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_i7 \
      REDIS_URL=redis://127.0.0.1:6379/7 CHANNEL_PREFIX=i7 \
      .venv/bin/python bench/command_throughput.py [--devices 5000] [--pairs 3]
"""

import argparse
import itertools
import json
import statistics
import threading
import time

from _command_stack import production_stack, wait_until
from _report import reported
from _setup import throwaway_database

BATCH = 500  # commands per request_commands call (one transaction)
BROKER_QUEUE = 1000  # Mosquitto's max_queued_messages for a client
baseline_ids = itertools.count(10**9)


def make_streetlights(count: int):
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
        for n in range(count)
    )
    return list(Equipment.objects.filter(district=district).order_by("pk"))


def warm_up(devices) -> None:
    """The worker and the listener have their connections open."""
    from equipment import commands
    from equipment.models import Command

    warm = commands.request_commands(devices[:10], "on", reason="warm-up", origin="warm-up")
    assert wait_until(
        lambda: (
            Command.objects.filter(pk__in=[c.pk for c in warm], status="acknowledged").count() == 10
        ),
        60,
    ), "the stack did not answer"


def through_the_stack(devices, origin: str) -> tuple[float, float, float]:
    from django.db.models import Max, Min

    from equipment import commands
    from equipment.models import Command

    started = time.perf_counter()
    for start in range(0, len(devices), BATCH):
        commands.request_commands(
            devices[start : start + BATCH], "dim", {"level": 40}, reason="bench", origin=origin
        )
    requested = time.perf_counter() - started
    bench = Command.objects.filter(origin=origin)
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
    """Publish `count` commands and wait for every answer, on the same broker and devices,
    pipelined like the adapter (see the module's docstring)."""
    from django.conf import settings

    from equipment.adapters import mqtt_client

    received = 0
    lock = threading.Condition()
    prefix = settings.COMMAND_TOPIC_PREFIX
    batch = settings.COMMAND_SEND_BATCH

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
    for start in range(0, count, batch):
        end = min(count, start + batch)
        with lock:  # no more awaiting an answer than the broker queues for the devices
            lock.wait_for(lambda end=end: end - received <= BROKER_QUEUE, timeout=30)
        infos = [
            client.publish(
                f"{prefix}/streetlight/SL-B{n:05d}/command",
                json.dumps(
                    {"command": next(baseline_ids), "attempt": 1, "action": "dim", "params": {}}
                ),
                qos=1,
            )
            for n in range(start, end)
        ]
        for info in infos:  # as MqttAdapter.send: the broker has taken them
            info.wait_for_publish(timeout=30)
    with lock:
        lock.wait_for(lambda: received >= count, timeout=60)
    elapsed = time.perf_counter() - started
    if received < count:
        raise RuntimeError(f"baseline: {received} of {count} answers")
    client.loop_stop()
    client.disconnect()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=5_000)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    with throwaway_database(), production_stack():
        devices = make_streetlights(args.devices)
        warm_up(devices)
        runs, baselines = [], []
        for n in range(args.pairs):
            if n % 2 == 0:
                baselines.append(bare_mqtt_round_trip(len(devices)))
                runs.append(through_the_stack(devices, f"bench-{n}"))
            else:
                runs.append(through_the_stack(devices, f"bench-{n}"))
                baselines.append(bare_mqtt_round_trip(len(devices)))
        request_rate, sent_rate, ack_rate = (statistics.median(f) for f in zip(*runs, strict=True))
        ratios = [run[2] / base for run, base in zip(runs, baselines, strict=True)]
        print(
            f"{len(devices)} commands in batches of {BATCH}, Celery worker -c 2, MQTT QoS 1;"
            f" medians of {args.pairs} runs, each paired with a baseline run"
        )
        print(f"requested (transactions in this process): {request_rate:8.0f} commands/s")
        print(f"sent to the broker by the worker:         {sent_rate:8.0f} commands/s")
        print(f"acknowledged and recorded:                {ack_rate:8.0f} commands/s")
        print(
            f"baseline bare MQTT round trip:            {statistics.median(baselines):8.0f}"
            f" commands/s (each: {', '.join(f'{b:.0f}' for b in baselines)})"
        )
        print(
            f"acknowledged / baseline, median of pairs: {statistics.median(ratios):8.2f}"
            f" (each: {', '.join(f'{r:.2f}' for r in ratios)})"
        )


if __name__ == "__main__":
    with reported():
        main()

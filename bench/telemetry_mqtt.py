"""Telemetry throughput through the MQTT bridge on the production stack.

Seeds the demo metropolis in a throw-away database, runs `manage.py mqtt_bridge` on it as a
subprocess, publishes one message per reading (QoS 1, `<root>/streetlight/<code>/telemetry`)
to the real Mosquitto, and waits until every reading is stored with state, rules and events.
Prints readings/s end to end; the baseline, a raw COPY of the same rows run DURING the load
a few times (its own process), each paired with the readings stored meanwhile, and the median
of the pairs' ratios; threshold crossing -> `alert.raised` latency (received from the
channel layer, as a wall screen's consumer receives it; no browser), and the bridge's memory.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_i4 \
      REDIS_URL=redis://127.0.0.1:6379/4 CHANNEL_PREFIX=i4bench \
      .venv/bin/python bench/telemetry_mqtt.py --readings 200000
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from _report import reported
from _setup import ROOT, throwaway_database
from telemetry_ingest import (
    CROSSING_EVERY,
    CopyDuringLoad,
    database_url,
    listen,
    prepare_devices,
    rss_kib,
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=200_000)
    parser.add_argument(
        "--bridges", type=int, default=1, help="bridge processes (MQTT 5 shared subscription)"
    )
    parser.add_argument("--rate", type=float, default=0, help="messages/s (0: flat out)")
    parser.add_argument("--mqtt", default=os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883"))
    parser.add_argument("--copies", type=int, default=3, help="COPY baselines during the load")
    parser.add_argument("--copy-rows", type=int, default=100_000, help="rows per COPY")
    return parser.parse_args()


def messages(codes: list[str], total: int, root: str):
    """(topic, payload, code if it crosses the threshold) and the rows for COPY."""
    rng = random.Random(5)
    start = datetime.now(UTC) - timedelta(minutes=3)
    step = timedelta(minutes=2) / total
    pool = list(codes)
    rng.shuffle(pool)
    out, rows = [], []
    for n in range(total):
        code, crossing = codes[n % len(codes)], None
        metrics = {
            "power_w": round(70 + rng.random() * 5, 1),
            "voltage": round(229 + rng.random() * 3, 1),
        }
        if n % CROSSING_EVERY == CROSSING_EVERY - 1 and pool:
            code = crossing = pool.pop()
            metrics["voltage"] = 275.0
        time_text = (start + step * n).isoformat()
        payload = json.dumps({"time": time_text, "metrics": metrics, "id": f"q{n}"})
        out.append((f"{root}/streetlight/{code}/telemetry", payload, crossing))
        rows.append((code, time_text, metrics, f"q{n}"))
    return out, rows


def count_readings() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM equipment_reading")
        return cursor.fetchone()[0]


class StoredCounter(threading.Thread):
    """The readings stored so far, counted every 0.25 s on a connection of its own."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, int]] = [(time.monotonic(), 0)]
        self.stopping = threading.Event()

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stopping.wait(0.25):
                self.samples.append((time.monotonic(), count_readings()))
        finally:
            connection.close()

    @property
    def stored(self) -> int:
        return self.samples[-1][1]

    def increments(self) -> list[tuple[float, int]]:
        """(time, readings stored since the previous count)."""
        return [
            (at, count - previous)
            for (_, previous), (at, count) in zip(self.samples, self.samples[1:], strict=False)
        ]

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)


def main() -> None:
    args = parse_args()
    import paho.mqtt.client as mqtt
    from django.conf import settings

    if not settings.DATABASE_IS_POSTGRES or not settings.REDIS_URL:
        sys.exit("Run on the production stack: set DATABASE_URL (PostgreSQL) and REDIS_URL.")
    host, port = args.mqtt.split("//")[1].split(":")
    root = f"bench-{uuid.uuid4().hex[:8]}"
    with throwaway_database():
        from ondijon.demo.seed import seed_demo

        print("seeding the demo metropolis...", flush=True)
        seed_demo(password="bench-only")
        codes = prepare_devices()
        print(f"generating {args.readings} messages...", flush=True)
        outgoing, rows = messages(codes, args.readings, root)
        expected_s = args.readings / (args.rate or 2500)  # for spreading the COPYs over it
        offsets = [expected_s * (n + 1) / (args.copies + 1) for n in range(args.copies)]
        copier = CopyDuringLoad(rows[: args.copy_rows], offsets)
        del rows
        env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "false", "SECRET_KEY": "b"}
        topic = f"{root}/+/+/telemetry"
        if args.bridges > 1:
            topic = f"$share/{root}/{topic}"  # the broker spreads messages over the bridges
        command = [sys.executable, "manage.py", "mqtt_bridge", "--url", args.mqtt, "--topic", topic]
        bridges = [
            subprocess.Popen([*command, "--client-id", f"{root}-{i}"], env=env, cwd=ROOT)
            for i in range(args.bridges)
        ]
        stop, ready = threading.Event(), threading.Event()
        received_at, sent_at = {}, {}
        threading.Thread(target=listen, args=(stop, received_at, ready), daemon=True).start()
        ready.wait(10)
        time.sleep(3)  # the bridge connects and subscribes
        rss_start = [rss_kib(bridge.pid) for bridge in bridges]

        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{root}-pub")
        publisher.max_queued_messages_set(0)
        publisher.max_inflight_messages_set(1000)
        publisher.connect(host, int(port))
        publisher.loop_start()
        counter = StoredCounter()
        counter.start()
        started = time.monotonic()
        copier.start()
        for n, (topic, payload, crossing) in enumerate(outgoing):
            if args.rate and n % 100 == 0:
                ahead = started + n / args.rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            if crossing:
                sent_at[crossing] = time.monotonic()
            publisher.publish(topic, payload, qos=1)
        published = time.monotonic()
        # Done when all are stored, or when nothing moved for 15 s (the broker dropped some:
        # Mosquitto's max_queued_messages, 1000 by default, beyond the bridge's receive maximum).
        stored, finished = 0, time.monotonic()
        while (stored < args.readings and time.monotonic() - finished < 15) or copier.busy():
            time.sleep(0.25)
            if counter.stored != stored:
                stored, finished = counter.stored, time.monotonic()
        counter.stop()
        copier.finish()
        time.sleep(1.0)
        stop.set()
        rss_end = [rss_kib(bridge.pid) for bridge in bridges]
        publisher.loop_stop()
        publisher.disconnect()
        for bridge in bridges:
            bridge.terminate()
            bridge.wait(30)
    rate = stored / (finished - started)
    latencies = sorted(
        (received_at[code] - sent_at[code]) * 1000 for code in sent_at if code in received_at
    )
    print(f"\n{stored}/{args.readings} readings stored, one MQTT message each (QoS 1)")
    if stored < args.readings:
        print("  missing ones were dropped by the broker's queue limit: publish slower (--rate)")
    print(
        f"published in {published - started:.1f} s ({args.readings / (published - started):.0f} msg/s)"
    )
    print(f"MQTT bridge end to end, whole run: {rate:10.0f} readings/s")
    copier.report("MQTT bridge", counter.increments(), started, finished)
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(
            f"threshold crossing -> alert.raised event: {len(latencies)}/{len(sent_at)} seen, "
            f"p50 {statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms"
        )
    print(f"{args.bridges} bridge process(es)")
    for start_kib, end_kib in zip(rss_start, rss_end, strict=True):
        print(f"bridge RSS {start_kib / 1024:.0f} MiB after start -> {end_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    with reported():
        main()

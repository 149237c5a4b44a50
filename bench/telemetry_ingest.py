"""Telemetry throughput through `POST /api/v1/telemetry/` on the production stack.

Seeds the demo metropolis (34,000 streetlights...) and its alert rules in a throw-away
database, starts daphne processes on it with the Redis channel layer, and sends batches of
readings from client threads for a fixed time, over plain HTTP (no TLS) on loopback: state
updates, rules and events included. Prints:
- readings/s accepted over the run;
- the baseline: a raw psycopg COPY of the same rows into a table with the readings table's
  columns and indexes, run DURING the load (so that both share the machine as it was), a
  few times spread over it, from a process of its own; each COPY is paired with the readings
  accepted while it ran, and the ratio is the median of the pairs' ratios;
- threshold crossing -> `alert.raised` event received from the channel layer (as a wall
  screen's consumer receives it; no browser): p50/p99;
- the daphne processes' memory (RSS) after warm-up and at the end.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_i4 \
      REDIS_URL=redis://127.0.0.1:6379/4 CHANNEL_PREFIX=i4bench \
      .venv/bin/python bench/telemetry_ingest.py --seconds 60 --servers 2 --clients 4 \
      --spread random

`--spread random` (the default) draws each batch's devices at random over the streetlights, as
a city-wide gateway sends them; `--spread consecutive` sends runs of consecutive devices.
"""

import argparse
import asyncio
import gc
import http.client
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from _report import reported
from _setup import ROOT, throwaway_database

CROSSING_EVERY = 2000  # one reading in this many crosses the bench's voltage threshold
FAULT_EVERY = 5000  # one reading in this many reports a lamp fault
PAIR_WINDOW_S = 10.0  # the measured rate paired with a COPY: over at least this long


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--servers", type=int, default=2, help="daphne processes")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--batch", type=int, default=1000, help="readings per request")
    parser.add_argument("--rate", type=float, default=0, help="target readings/s (0: flat out)")
    parser.add_argument("--port", type=int, default=18401)
    parser.add_argument("--copies", type=int, default=3, help="COPY baselines during the load")
    parser.add_argument("--copy-rows", type=int, default=200_000, help="rows per COPY")
    parser.add_argument(
        "--spread",
        choices=("consecutive", "random"),
        default="random",
        help="devices of a batch: consecutive codes, or drawn at random over the streetlights "
        "(a city-wide gateway's shape: batches share devices, so they meet on the same rows)",
    )
    return parser.parse_args()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def start_servers(count: int, first_port: int) -> list[tuple[subprocess.Popen, int]]:
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "false", "SECRET_KEY": "bench"}
    servers = []
    for port in range(first_port, first_port + count):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "ondijon.asgi:application",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        servers.append((process, port))
    for process, port in servers:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"daphne on {port} did not start") from None
                time.sleep(0.2)
    return servers


def prepare_devices():
    from equipment.models import Equipment
    from supervision.models import AlertRule

    AlertRule.objects.create(
        name="Bench overvoltage",
        kind="threshold",
        equipment_kind="streetlight",
        metric="voltage",
        comparison="above",
        value=260,
        clear_value=250,
        clear_after_seconds=0,
        severity=4,
        category="lighting",
    )
    return list(
        Equipment.objects.filter(kind="streetlight").order_by("id").values_list("code", flat=True)
    )


class Load:
    """Batches of readings: made ahead of time for a flat-out run (the clients only send),
    or as they are needed for a long paced run (memory stays flat)."""

    def __init__(
        self,
        codes: list[str],
        total_readings: int,
        batch_size: int,
        minutes_ago: float = 3,
        ahead: bool = True,
        keep_rows: int = 300_000,
        spread: str = "consecutive",
    ):
        self.rng = random.Random(4)
        self.spread = spread
        self.codes, self.batch_size, self.keep_rows = codes, batch_size, keep_rows
        self.start = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        self.step = timedelta(minutes=2) / total_readings
        self.crossing_pool = list(codes)
        self.rng.shuffle(self.crossing_pool)
        self.rows = []  # the same readings, for the COPY baseline (the first keep_rows)
        self.n = 0
        self.count = total_readings // batch_size
        self.batches = [self.make() for _ in range(self.count)] if ahead else None
        self.taken = 0
        self.lock = threading.Lock()

    def make(self) -> tuple[bytes, list[str]]:
        readings, crossings = [], []
        drawn = (
            self.rng.sample(self.codes, self.batch_size)
            if self.spread == "random" and self.batch_size <= len(self.codes)
            else None
        )
        for index in range(self.batch_size):
            n = self.n
            code = drawn[index] if drawn else self.codes[n % len(self.codes)]
            metrics = {
                "power_w": round(70 + self.rng.random() * 5, 1),
                "voltage": round(229 + self.rng.random() * 3, 1),
            }
            if n % CROSSING_EVERY == CROSSING_EVERY - 1 and self.crossing_pool:
                code = self.crossing_pool.pop()
                metrics["voltage"] = 275.0
                crossings.append(code)
            elif n % FAULT_EVERY == FAULT_EVERY // 2:
                metrics["status"] = "fault"
            time_text = (self.start + self.step * n).isoformat()
            readings.append({"device": code, "time": time_text, "metrics": metrics, "id": f"b{n}"})
            if len(self.rows) < self.keep_rows:
                self.rows.append((code, time_text, metrics, f"b{n}"))
            self.n += 1
        return json.dumps({"readings": readings}, separators=(",", ":")).encode(), crossings

    def take(self):
        with self.lock:
            if self.taken >= self.count:
                return None
            self.taken += 1
            if self.batches is not None:
                return self.batches[self.taken - 1]
            return self.make()


def client(load, key, port, stop, sent_at, totals, pace, answered=None, durations=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
    while not stop.is_set():
        item = load.take()
        if item is None:
            break
        body, crossings = item
        pace()
        now = time.monotonic()
        for code in crossings:
            sent_at[code] = now
        connection.request("POST", "/api/v1/telemetry/", body, headers)
        response = connection.getresponse()
        answer = response.read()
        if durations is not None:
            durations.append(time.monotonic() - now)
        if response.status != 200:
            totals["errors"] += 1
            print("error", response.status, answer[:200], file=sys.stderr)
            continue
        result = json.loads(answer)
        totals["accepted"] += result["accepted"]
        totals["rejected"] += len(result["rejected"])
        if answered is not None:
            answered.append((time.monotonic(), result["accepted"]))


def listen(stop, received_at, ready):
    """Receive the alerts as a wall screen does: the channel layer's alerts group."""
    from channels.layers import get_channel_layer

    from ondijon.bus import ALERTS, channel_group

    group = channel_group(ALERTS)

    async def run():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        ready.set()
        renewed = time.monotonic()
        while not stop.is_set():
            if time.monotonic() - renewed > 5:  # as a screen's heartbeat renews its membership
                await layer.group_add(group, channel)
                renewed = time.monotonic()
            try:
                message = await asyncio.wait_for(layer.receive(channel), 0.5)
            except TimeoutError:
                continue
            now = time.monotonic()
            for event in message["events"]:
                if event["kind"] == "alert.raised":
                    received_at.setdefault(event["subject_label"].rsplit(": ", 1)[-1], now)

    asyncio.run(run())


def copy_runs(db_name: str, rows: list, offsets: list[float], ready, go, results) -> None:
    """In a process of its own (spawned): once `go` is set, at each offset (seconds) a raw COPY
    of `rows` into a fresh table shaped like the readings table; puts (start, end, rows) in
    `results` (monotonic times: the same clock in every process of this machine)."""
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = db_name  # the throw-away database
    from django.db import connection

    from equipment.models import Equipment

    ids = dict(Equipment.objects.values_list("code", "id"))
    table = f"bench_copy_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} (LIKE equipment_reading INCLUDING ALL)")
        ready.set()
        go.wait()
        started = time.monotonic()
        try:
            for offset in offsets:
                time.sleep(max(0.0, started + offset - time.monotonic()))
                cursor.execute(f"TRUNCATE {table}")
                begun = time.monotonic()
                with cursor.cursor.copy(  # psycopg's own cursor
                    f"COPY {table} (equipment_id, time, received_at, metrics, message_id) FROM STDIN"
                ) as copy:
                    now = datetime.now(UTC)
                    for code, time_text, metrics, message_id in rows:
                        copy.write_row((ids[code], time_text, now, json.dumps(metrics), message_id))
                results.put((begun, time.monotonic(), len(rows)))
        finally:
            cursor.execute(f"DROP TABLE {table}")
            results.put(None)


class CopyDuringLoad:
    """The baseline of the ingest benchmarks: raw COPYs of the same rows, run while the
    measured path is loaded, each paired with what the measured path did meanwhile."""

    def __init__(self, rows: list, offsets: list[float]) -> None:
        from django.db import connection

        spawn = multiprocessing.get_context("spawn")
        self.ready, self.go, self.results = spawn.Event(), spawn.Event(), spawn.Queue()
        self.process = spawn.Process(
            target=copy_runs,
            args=(
                connection.settings_dict["NAME"],
                rows,
                offsets,
                self.ready,
                self.go,
                self.results,
            ),
        )
        self.process.start()
        if not self.ready.wait(120):
            raise RuntimeError("the COPY baseline process did not start")
        self.runs: list[tuple[float, float, int]] = []

    def start(self) -> None:
        self.go.set()

    def busy(self) -> bool:
        return self.process.is_alive()

    def finish(self) -> list[tuple[float, float, int]]:
        while (run := self.results.get(timeout=600)) is not None:
            self.runs.append(run)
        self.process.join(30)
        return self.runs

    def report(self, label: str, done: list[tuple[float, int]], first: float, last: float) -> None:
        """Print each COPY, the rate of the measured path meanwhile (`done`: (time, items) as
        it answered), and the ratios. The measured path answers in bursts (a batch, a
        transaction), so its rate is taken over the COPY's time widened to at least
        PAIR_WINDOW_S, within the load (`first` to `last`); a COPY outside it is not paired."""
        pairs = []
        for begun, ended, count in self.runs:
            copy_rate = count / (ended - begun)
            widen = max(0.0, PAIR_WINDOW_S - (ended - begun)) / 2
            since, until = max(first, begun - widen), min(last, ended + widen)
            if begun < first or ended > last:
                print(f"  COPY at {copy_rate:,.0f} rows/s ran outside the load: not paired")
                continue
            items = sum(n for at, n in done if since < at <= until)
            pairs.append((items / (until - since), copy_rate))
        if not pairs:
            print("raw COPY baseline: no COPY ran within the load (run longer)")
            return
        measured = [m for m, _ in pairs]
        copies = [c for _, c in pairs]
        ratios = [m / c for m, c in pairs]
        print(
            f"raw COPY of the same {self.runs[0][2]} rows, {len(pairs)} runs during the load: "
            f"median {statistics.median(copies):,.0f} rows/s (each: "
            f"{', '.join(f'{c:,.0f}' for c in copies)})"
        )
        print(
            f"{label} around each COPY (>= {PAIR_WINDOW_S:.0f} s): "
            f"{', '.join(f'{m:,.0f}' for m in measured)} readings/s; ratio {label}/COPY, "
            f"median of {len(pairs)} pairs = {statistics.median(ratios):.3f} "
            f"(each: {', '.join(f'{r:.3f}' for r in ratios)})"
        )


def main() -> None:
    args = parse_args()
    # The load generator is not what is measured: its collector's passes over the rows kept
    # for the COPY baseline would take CPU from the servers on this 2-core machine.
    gc.disable()
    from django.conf import settings
    from django.db import connection

    from equipment.tokens import issue_token
    from ondijon.demo.seed import seed_demo

    if not settings.DATABASE_IS_POSTGRES or not settings.REDIS_URL:
        sys.exit("Run on the production stack: set DATABASE_URL (PostgreSQL) and REDIS_URL.")
    with throwaway_database():
        print("seeding the demo metropolis...", flush=True)
        seed_demo(password="bench-only")
        codes = prepare_devices()
        _, key = issue_token("bench gateway", all_equipment=True)
        target = int((args.rate or 14_000) * args.seconds * 1.2)
        print(f"generating {target} readings for {len(codes)} streetlights...", flush=True)
        load = Load(codes, target, args.batch, ahead=not args.rate, keep_rows=0, spread=args.spread)
        # The same first readings (same seed) for the baseline, made before the load starts.
        copy_rows = Load(
            codes, args.copy_rows, args.batch, keep_rows=args.copy_rows, spread=args.spread
        ).rows
        offsets = [args.seconds * (n + 1) / (args.copies + 1) for n in range(args.copies)]
        copier = CopyDuringLoad(copy_rows, offsets)
        del copy_rows
        servers = start_servers(args.servers, args.port)
        stop, ready = threading.Event(), threading.Event()
        received_at, sent_at = {}, {}
        listener = threading.Thread(target=listen, args=(stop, received_at, ready), daemon=True)
        listener.start()
        ready.wait(10)
        # Warm-up: a few batches, so that the memory figure at start is after imports.
        warm = Load(codes[:1000], 2000, 1000, minutes_ago=4)
        warm_totals = {"accepted": 0, "rejected": 0, "errors": 0}
        client(warm, key, args.port, threading.Event(), {}, warm_totals, lambda: None)
        rss_start = [rss_kib(process.pid) for process, _ in servers]

        totals = {"accepted": 0, "rejected": 0, "errors": 0}
        interval = args.batch / args.rate if args.rate else 0
        pace_lock, next_at = threading.Lock(), [time.monotonic()]

        def pace():
            if not interval:
                return
            with pace_lock:
                wait = next_at[0] - time.monotonic()
                next_at[0] = max(next_at[0], time.monotonic()) + interval
            if wait > 0:
                time.sleep(wait)

        answered: list[tuple[float, int]] = []
        durations: list[float] = []
        threads = [
            threading.Thread(
                target=client,
                args=(
                    load,
                    key,
                    servers[i % len(servers)][1],
                    stop,
                    sent_at,
                    totals,
                    pace,
                    answered,
                    durations,
                ),
            )
            for i in range(args.clients)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        copier.start()
        samples, next_sample = [], started + 30
        # The run lasts its seconds, and at least until the last COPY baseline ended.
        while any(t.is_alive() for t in threads) and (
            time.monotonic() - started < args.seconds or copier.busy()
        ):
            time.sleep(0.05)
            if time.monotonic() >= next_sample:  # memory every 30 s, to show it stays flat
                samples.append([rss_kib(process.pid) // 1024 for process, _ in servers])
                next_sample += 30
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        last_answer = max((at for at, _ in answered), default=started)
        copier.finish()
        time.sleep(1.0)  # the last events
        rss_end = [rss_kib(process.pid) for process, _ in servers]
        for process, _ in servers:
            process.terminate()
            process.wait(10)
        rate = totals["accepted"] / elapsed
        latencies = sorted(
            (received_at[code] - sent_at[code]) * 1000 for code in sent_at if code in received_at
        )
        connection.close()

    print(
        f"\n{args.servers} daphne process(es), {args.clients} clients, batches of {args.batch}, "
        f"{elapsed:.0f} s{f', paced at {args.rate:.0f}/s' if args.rate else ', flat out'}, "
        f"{args.spread} devices per batch"
    )
    print(
        f"accepted {totals['accepted']} readings ({totals['rejected']} rejected, "
        f"{totals['errors']} failed requests)"
    )
    print(f"HTTP batch ingest (no TLS), whole run: {rate:10.0f} readings/s")
    copier.report("HTTP ingest", answered, started, last_answer)
    if durations:
        times = sorted(d * 1000 for d in durations)
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(
            f"batch request time ({len(times)} batches): p50 {statistics.median(times):.0f} ms, "
            f"p99 {p99:.0f} ms, max {times[-1]:.0f} ms"
        )
    if latencies:
        p50 = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(
            f"threshold crossing -> alert.raised event: {len(latencies)}/{len(sent_at)} seen, "
            f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {latencies[-1]:.0f} ms"
        )
    for n, ((_, port), start_kib, end_kib) in enumerate(
        zip(servers, rss_start, rss_end, strict=True)
    ):
        print(
            f"daphne :{port} RSS {start_kib / 1024:.0f} MiB after warm-up -> {end_kib / 1024:.0f} MiB"
            f" (every 30 s: {[sample[n] for sample in samples]})"
        )


if __name__ == "__main__":
    with reported():
        main()

"""Failover drills of the two rooms: a server or a whole site fails while the room works, and
the drill counts what the room lost and how long it could not write.

    .venv/bin/python bench/failover.py --quick                    # every drill, a small city
    .venv/bin/python bench/failover.py --quick --drill pg-primary-kill

It needs nothing running: it starts, on free ports and folders of its own (tests/replicated.py;
the machine's shared servers are never touched), PostgreSQL with automatic failover by
pg_auto_failover (a monitor, site-a's node primary, site-b's a synchronous standby), a Redis
master and replica with three sentinels, Mosquitto, and HAProxy as the one address. The stack
runs in two sites: site-a has a daphne and a Celery worker, site-b a daphne, a worker, beat,
the MQTT bridge, the acknowledgement listener and the simulated devices. The platform reaches
the database by libpq's multi-host URL (`target_session_attrs=read-write`) and Redis through
the sentinels; the four wall screens and the dispatcher's desk (Chromium) and every load
client go through the one address. The traffic of bench/_drill_load.py runs all along (probe
changes and team moves through the API, telemetry over HTTP and MQTT, a command every half
second), with a write clock: a status change every 0.1 s, each acknowledged one noted.

The drills: the PostgreSQL primary's node killed (SIGKILL to its keeper and PostgreSQL); the
Redis master killed; site-a's daphne and worker killed; a switchover on purpose. Each prints:
- write unavailability: the longest time between two acknowledged writes of the clock;
- events acknowledged and missing: clock changes answered 200 with no event in the log after;
- readings acknowledged (HTTP 200 or MQTT PUBACK) and missing (not stored); commands lost;
- `verify_events`: the events log's hash chain after the drill;
- screens differing from the server (probe objects shown differently, or not live and caught
  up) once the traffic stopped; 5xx answers seen by load clients and pages;
- screens live again: from the fault to every screen live, caught up with the log and a
  heartbeat heard on its socket; for a lost site, the screens that were on it (the others
  kept their socket: the notes say when they too had heard a heartbeat since).
"""

import argparse
import itertools
import json
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import drills  # noqa: E402
from _report import command_line, load_average  # noqa: E402
from drills import DATABASE, PASSWORD, QUICK, Drill, Run, Size  # noqa: E402

from tests.instances import own_mosquitto, wait_until  # noqa: E402
from tests.replicated import EntryAddress, own_pg_cluster, own_redis_sentinels  # noqa: E402

FULL = Size(streetlights=34_000, screen_bound_s=60, plan_bound_s=60, settle_s=45)
SITE_A = ("daphne-1", "worker")


@dataclass
class Figures:
    """What a failover drill prints, beside the frame's row."""

    drill: str
    write_gap_s: float = 0.0
    acknowledged: int = 0
    acknowledged_missing: int = 0
    verify_events: str = ""
    failover_s: float | None = None  # the manager's own: fault to the new primary/master
    failovers_logged: list = field(default_factory=list)  # platform.database_failover events
    notes: list = field(default_factory=list)


class WriteClock(threading.Thread):
    """A status change of one device every 0.1 s through the one address; each acknowledged
    change (200) noted in order. A change not acknowledged is tried again as it was, so each
    acknowledged one must be an event of the log, in the same order."""

    STATUSES = ("ok", "fault")

    def __init__(self, answers, base: str, token: str, device: int) -> None:
        super().__init__(daemon=True, name="WriteClock")
        self.answers, self.base, self.token, self.device = answers, base, token, device
        self.stopping = threading.Event()
        self.acknowledged: list[tuple[float, str]] = []
        self.n = 0

    def run(self) -> None:
        from _drill_load import request

        while not self.stopping.is_set():
            status = self.STATUSES[self.n % 2]
            answer, _ = request(
                self.answers, self.base, "PATCH", f"/api/v1/equipment/{self.device}/",
                {"status": status}, self.token, timeout=10,
            )  # fmt: skip
            if answer == 200:
                self.acknowledged.append((time.time(), status))
                self.n += 1
            self.stopping.wait(0.1)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)

    def longest_gap(self) -> float:
        times = [at for at, _ in self.acknowledged]
        return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def missing_acknowledged(acknowledged: list[str], logged: list[str]) -> int:
    """Acknowledged changes not found, in order, among the log's (a change committed whose
    answer was lost is in the log without an acknowledgement: that is no loss)."""
    found, position = 0, 0
    for status in acknowledged:
        while position < len(logged) and logged[position] != status:
            position += 1
        if position < len(logged):
            found += 1
            position += 1
    return len(acknowledged) - found


class FailoverRun(Run):
    def __init__(self, args, size, cluster, sentinels, broker) -> None:
        super().__init__(args, size, cluster, sentinels, broker)
        self.cluster, self.sentinels = cluster, sentinels

    def environment(self) -> dict:
        return {
            **os.environ,
            "DATABASE_URL": self.cluster.url(DATABASE),
            "PG_MONITOR_URL": f"postgres://postgres@127.0.0.1:{self.cluster.monitor.port}/pg_auto_failover",
            "REDIS_SENTINELS": self.sentinels.setting,
            "REDIS_URL": "redis:///0",
            "CHANNEL_PREFIX": "failover",
            # The run's own events log has its own checkpoints: another run's would not match.
            "EVENTS_CHECKPOINT_FILE": str(self.logs / "events-checkpoints.jsonl"),
            "MQTT_URL": self.broker.url,
            "DEBUG": "true",
        }


def two_site_stack(run: FailoverRun):
    """bench/_drill_stack.py's stack with a second worker (site-b's), behind one address."""
    from _drill_stack import Process, Stack

    class TwoSiteStack(Stack):
        READY_SAYS = {**Stack.READY_SAYS, "worker-2": " ready."}

        def __init__(self, env, logs, topic_prefix) -> None:
            super().__init__(env, logs, topic_prefix)
            first = self.processes["worker"]
            first.command = [*first.command, "-n", "site-a@%h"]
            self.processes["worker-2"] = Process(
                "worker-2", [*first.command[:-2], "-n", "site-b@%h"], self.env, logs, None
            )
            self.entry = EntryAddress(logs, {"site-a": self.daphne_ports[0], "site-b": self.daphne_ports[1]})  # fmt: skip

        @property
        def bases(self) -> list[str]:
            return [self.entry.url]

        def start(self) -> None:
            super().start()
            if not (self.entry.process and self.entry.process.poll() is None):
                self.entry.start()

        def stop(self) -> None:
            super().stop()
            self.entry.stop()

    return TwoSiteStack(run.environment(), run.logs, run.prefix)


class FailoverDrill(Drill):
    def __enter__(self):
        from equipment.models import Equipment

        run = self.run
        self.figures = Figures(self.name)
        self.clock_device = run.clock_device
        self.events_before = drills.log_seq()
        self.clock = WriteClock(run.answers, run.stack.bases[0], run.token, self.clock_device)
        # The first change is one: the clock starts on the status the device does not have.
        self.clock.n = int(Equipment.objects.get(pk=self.clock_device).status == WriteClock.STATUSES[0])  # fmt: skip
        self.clock.start()
        return super().__enter__()

    def __exit__(self, *exc) -> None:
        self.clock.stop()
        super().__exit__(*exc)
        self.tally_acknowledged()
        self.figures.verify_events = verify_events()

    def moved_screens_back(self, sockets_before: list[int]) -> None:
        """A site lost: from now, how long until the screens that were on it (those that had
        to open a new socket) are live on the other site, caught up, a heartbeat heard on the
        new socket. The others kept their socket and stayed live: they must be caught up
        too, and the note says when every screen had heard a heartbeat since."""
        back_ms = time.time() * 1000
        target = drills.log_seq()
        room = self.run.room
        times = room.wait_each(target, back_ms, self.run.size.screen_bound_s)
        moved = [n for n, (a, b) in enumerate(zip(sockets_before, room.sockets(), strict=True)) if b > a]  # fmt: skip
        moved_times = [times[n] for n in moved]
        self.row.recovery_s.append(
            None if None in moved_times else round(max(moved_times, default=0.0), 1)
        )
        every = "not within bound" if None in times else f"{max(times, default=0.0):.1f} s"
        self.row.notes.append(
            f"{len(moved)} of {len(times)} screens were on the lost site and reconnected to the"
            f" other ({', '.join(drills.seconds_text([t]) for t in moved_times) or 'none'});"
            f" every screen, those that kept their socket too, had heard a heartbeat after {every}"
        )
        if None in times:
            behind = room.behind(target, back_ms)
            self.row.screens_frozen = max(self.row.screens_frozen, len(behind))
            self.row.notes.append(f"not caught up after {self.run.size.screen_bound_s:.0f} s: {room.describe()}")  # fmt: skip

    def tally_acknowledged(self) -> None:
        from supervision.models import Event

        logged = drills.with_database(
            lambda: [
                payload["equipment"]["status"]
                for payload in Event.objects.filter(
                    seq__gt=self.events_before,
                    kind="equipment.status_changed",
                    subject_id=str(self.clock_device),
                )
                .order_by("seq")
                .values_list("payload", flat=True)
            ]
        )
        acknowledged = [status for _, status in self.clock.acknowledged]
        self.figures.acknowledged = len(acknowledged)
        self.figures.acknowledged_missing = missing_acknowledged(acknowledged, logged)
        self.figures.write_gap_s = round(self.clock.longest_gap(), 1)
        logged = drills.with_database(
            lambda: list(
                Event.objects.filter(seq__gt=self.events_before, kind="platform.database_failover")
                .order_by("seq").values_list("payload", flat=True)
            )
        )  # fmt: skip
        self.figures.failovers_logged = [
            f"{p['previous']} -> {p['primary']}{' (planned)' if p['planned'] else ''}, {p['duration_s']} s"
            for p in logged
        ]  # fmt: skip
        if self.figures.acknowledged_missing:
            self.figures.notes.append(f"acknowledged {acknowledged}; logged {logged}")


def verify_events() -> str:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    try:
        drills.with_database(lambda: call_command("verify_events", stdout=out))
    except CommandError as error:
        return f"BROKEN: {error}"
    return "intact" if "intact" in out.getvalue() else out.getvalue().strip()


# --- The drills -------------------------------------------------------------------------------


def pg_primary_kill(drill: FailoverDrill) -> None:
    """The PostgreSQL primary's node killed (SIGKILL to its keeper and PostgreSQL)."""
    cluster = drill.run.cluster
    lost = cluster.primary()
    other = next(name for name in cluster.nodes if name != lost)
    killed = time.monotonic()
    cluster.nodes[lost].kill()
    promoted = wait_until(lambda: safe_primary(cluster) == other and writable(cluster, other), 60, 0.2)  # fmt: skip
    drill.figures.failover_s = None if promoted is None else round(time.monotonic() - killed, 1)
    drill.figures.notes.append(f"{lost} killed; {other} primary after {drill.figures.failover_s} s")  # fmt: skip
    drill.service_back()
    # The lost node comes back as the new primary's synchronous standby (pg_rewind).
    cluster.nodes[lost].start()
    cluster.wait_states({lost: {"secondary"}, other: {"primary"}}, timeout=120)


def safe_primary(cluster) -> str | None:
    try:
        return cluster.primary()
    except Exception:
        return None


def writable(cluster, name: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(cluster.node_url(name), connect_timeout=1, autocommit=True) as c:
            return not c.execute("SELECT pg_is_in_recovery()").fetchone()[0]
    except psycopg.Error:
        return False


def redis_master_kill(drill: FailoverDrill) -> None:
    """The Redis master killed (SIGKILL); the sentinels promote its replica."""
    group = drill.run.sentinels
    lost = group.master()
    killed = time.monotonic()
    lost.kill()
    promoted = wait_until(lambda: group.master() not in (None, lost), 60, 0.2)
    drill.figures.failover_s = None if promoted is None else round(time.monotonic() - killed, 1)
    drill.figures.notes.append(f"Redis :{lost.port} killed; new master after {drill.figures.failover_s} s")  # fmt: skip
    drill.service_back()
    # Back empty: the sentinels make it a replica of the new master.
    lost.start()


def site_lost(drill: FailoverDrill) -> None:
    """Site-a's daphne and worker killed (SIGKILL); the one address sends all to site-b."""
    stack, room = drill.run.stack, drill.run.room
    # The screens spread over both sites first: after the drills before, they may all be on
    # site-b (sockets stay where they reconnected). Reconnected at once, the one address
    # (leastconn) shares them between the two daphnes.
    room.drop_all()
    if room.wait_caught_up(drills.log_seq(), time.time() * 1000, drill.run.size.screen_bound_s) is None:  # fmt: skip
        drill.row.notes.append(f"screens not all live again before the kill: {room.describe()}")
    sockets = room.sockets()
    for name in SITE_A:
        stack[name].kill()
    drill.moved_screens_back(sockets)
    time.sleep(2)
    for name in SITE_A:
        stack[name].start()
    stack.wait_ready(timeout=60)


def switchover(drill: FailoverDrill) -> None:
    """A switchover on purpose (manage.py switchover): the primary role to the other site."""
    import subprocess

    cluster = drill.run.cluster
    before = cluster.primary()
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", "switchover"],
        cwd=BENCH.parent, env=drill.run.environment(), capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    said = done.stdout.strip().splitlines()[-1:] or done.stderr.strip().splitlines()[-1:]
    drill.figures.notes.append(f"manage.py switchover (exit {done.returncode}, its start-up included in the manager's time): {' '.join(said)}")  # fmt: skip
    (drill.run.logs / "switchover.log").write_text(done.stdout + done.stderr)
    other = next(name for name in cluster.nodes if name != before)
    cluster.wait_states({before: {"secondary"}, other: {"primary"}}, timeout=120)
    drill.figures.failover_s = round(time.monotonic() - started, 1)
    drill.figures.notes.append(f"primary {before} -> {other} in {drill.figures.failover_s} s")
    drill.service_back()


DRILLS = {
    "pg-primary-kill": pg_primary_kill,
    "redis-master-kill": redis_master_kill,
    "site-lost": site_lost,
    "switchover": switchover,
}


# --- The table ----------------------------------------------------------------------------------

HEADER = (
    "drill",
    "write unavailability",
    "manager's failover",
    "events acked / missing",
    "readings acked / missing",
    "commands lost",
    "verify_events",
    "screens differing (lost / frozen)",
    "5xx",
    "screens live again",
    "failover in the log",
)


def table_row(row, figures: Figures) -> tuple:
    failover = "-" if figures.failover_s is None else f"{figures.failover_s:.1f} s"
    if figures.drill == "site-lost":
        failover = "-"
    return (
        row.drill,
        f"{figures.write_gap_s:.1f} s",
        failover,
        f"{figures.acknowledged} / {figures.acknowledged_missing}",
        f"{row.readings_handed} / {row.readings_lost}",
        str(row.commands_lost),
        figures.verify_events,
        f"{row.updates_lost} / {row.screens_frozen}",
        drills.errors_text(row.errors_5xx),
        drills.seconds_text(row.recovery_s),
        "; ".join(figures.failovers_logged) or "-",
    )


def print_table(results: list) -> None:
    print("\n| " + " | ".join(HEADER) + " |")
    print("|" + "|".join(" --- " for _ in HEADER) + "|")
    for row, figures in results:
        print("| " + " | ".join(table_row(row, figures)) + " |")
    print()
    for row, figures in results:
        for note in [*figures.notes, *row.notes, *(f"manual step: {s}" for s in row.manual_steps)]:
            print(f"  {row.drill}: {note}")


# --- Main ---------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drill", action="append", choices=list(DRILLS), help="repeatable; default all")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="a small city and shorter bounds")
    parser.add_argument("--no-screens", action="store_true", help="no Chromium (screens not counted)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="write the rows there too (for the tests)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    for name in ("DATABASE_URL", "SQLITE_PATH", "REDIS_URL", "REDIS_SENTINELS", "CHANNEL_PREFIX", "MQTT_URL"):  # fmt: skip
        os.environ.pop(name, None)
    shown_command = command_line()
    size = QUICK if args.quick else FULL
    print(f"command: {shown_command}", flush=True)
    print(f"load average at start: {load_average()}", flush=True)
    started = time.monotonic()
    with own_pg_cluster() as cluster, own_redis_sentinels() as sentinels, own_mosquitto() as broker:
        print(f"servers ready in {time.monotonic() - started:.0f} s: PostgreSQL nodes {[n.port for n in cluster.nodes.values()]} (monitor :{cluster.monitor.port}), Redis {[n.port for n in sentinels.nodes]} with sentinels {[s.port for s in sentinels.sentinels]}, Mosquitto :{broker.port}", flush=True)  # fmt: skip
        cluster.create_database(DATABASE)
        run = FailoverRun(args, size, cluster, sentinels, broker)
        os.environ.update(run.environment())
        os.environ.setdefault("SECRET_KEY", "drills-only")
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API
        import _setup  # noqa: F401  (configures Django on the drill's servers)

        results = []
        try:
            results = drive(run, args.drill or list(DRILLS), screens=not args.no_screens)
        finally:
            print_table(results)
            print(f"load average at end: {load_average()}; ran {time.monotonic() - started:.0f} s", flush=True)  # fmt: skip
            if args.json:
                args.json.write_text(
                    json.dumps(
                        [{**asdict(row), **asdict(figures)} for row, figures in results], indent=1
                    )
                )


class NoRoom:
    """No screens (--no-screens): the frame's screen checks find nothing to compare."""

    screens: list = []

    def read(self) -> list:
        return []

    def wait_caught_up(self, target, since_ms, bound) -> float:
        return 0.0

    def wait_each(self, target, since_ms, bound) -> list:
        return []

    def sockets(self) -> list:
        return []

    def drop_all(self) -> None:
        pass

    def describe(self) -> str:
        return "no screens"

    def reload_all(self) -> None:
        pass

    def close(self) -> None:
        pass


def drive(run: FailoverRun, names: list[str], screens: bool = True) -> list:
    from _drill_load import Answers, MqttObserver
    from _drill_screens import Room
    from playwright.sync_api import sync_playwright

    from equipment.models import Equipment

    run.seed()
    run.clock_device = (
        Equipment.objects.filter(kind="streetlight")
        .exclude(status="offline")
        .order_by("-pk")
        .first()
        .pk
    )
    run.answers = Answers()
    run.stack = two_site_stack(run)
    run.observer = MqttObserver(run.broker.url, run.prefix)
    results = []
    started = time.monotonic()
    try:
        run.stack.start()
        with sync_playwright() as playwright:
            run.room = (
                Room(playwright, run.stack.bases, PASSWORD, run.probes, run.answers)
                if screens
                else NoRoom()
            )
            run.stack.wait_ready(timeout=90)
            print(f"stack and screens ready in {time.monotonic() - started:.0f} s", flush=True)
            try:
                for name in names:
                    print(f"drill {name} (at {time.monotonic() - started:.0f} s): {DRILLS[name].__doc__.splitlines()[0]}", flush=True)  # fmt: skip
                    drill = FailoverDrill(run, name)
                    with drill:
                        DRILLS[name](drill)
                    results.append((drill.row, drill.figures))
                    print("  " + " | ".join(table_row(drill.row, drill.figures)), flush=True)
            finally:
                run.room.close()
    finally:
        run.observer.stop()
        run.stack.stop()
    return results


if __name__ == "__main__":
    main()

"""Fault drills on the production stack: a server or a process of the platform fails while
the room works, and the drill counts what the room lost.

    .venv/bin/python bench/drills.py                       # every drill, the demo city
    .venv/bin/python bench/drills.py --quick               # a small city, shorter bounds
    .venv/bin/python bench/drills.py --drill pg-restart --drill worker-kill --quick

It needs nothing running: it starts a PostgreSQL, a Redis and a Mosquitto of its own on free
ports (tests/instances.py; the machine's shared servers are never touched), migrates and seeds
the demo metropolis there, then starts the stack as real processes (bench/_drill_stack.py):
two daphne, a Celery worker and beat, the MQTT telemetry bridge, the acknowledgement listener
and simulated devices; four wall screens and the dispatcher's desk in Chromium, spread over
both daphne (bench/_drill_screens.py). During each drill, the traffic of bench/_drill_load.py
runs all along: probe status changes and team moves through the API, telemetry over HTTP and
MQTT (an id per reading), and a command every half second.

Each drill prints one row:
- screens: updates lost (probe objects a screen shows differently from the database once
  everything settled) and screens frozen (not live and caught up within the bound);
- readings lost (handed over, HTTP 200 or MQTT PUBACK, and not stored) / duplicated (stored
  twice under one id);
- commands lost (left requested or sent, or timed out although the device answered) / late
  (delivered after the command's own deadline, `expires_at`, or after the crisis plan that
  asked for it was rolled back; one dropped as `expired` was rightly not delivered, and is
  counted apart) / duplicated (carried out more than once by its device, or one attempt sent
  twice; a resend whose device answers it as a repeat is counted apart in the notes), counted
  on the messages the devices received and sent on the drill's own broker;
- 5xx answers seen by the load clients and the browser pages, and which;
- recovery: from the service back to every screen live (saying so, and hearing heartbeats)
  and caught up with the log; for the worker drill, from the worker back to the plan sending
  again;
- manual step: what the drill had to do by hand because the stack did not recover by itself
  within the bound (reload the screens, start a process that exited, Retry a plan).
"""

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from _report import command_line, load_average  # noqa: E402

from tests.instances import own_mosquitto, own_postgres, own_redis  # noqa: E402

PASSWORD = "drill-password-123"
DATABASE = "ondijon_drills"
# A command is late when a device gets it after its own deadline (`expires_at`, per kind of
# command or per playbook step), or after the crisis plan that asked for it was rolled back.
# The worker checks the deadline when it takes a batch, then hands the batch to the broker:
# a delivery within this grace of the deadline was on time when it left.
HANDOVER_GRACE_S = 5.0


@dataclass
class Size:
    streetlights: int
    screen_bound_s: float  # longer than this to be live and caught up: frozen, reload by hand
    plan_bound_s: float  # a crisis plan not sending again by then: Retry by hand
    settle_s: float  # for commands to finish after the drill
    pg_down_s: float = 10.0
    redis_pause_s: float = 10.0
    worker_down_s: float = 5.0


FULL = Size(streetlights=34_000, screen_bound_s=60, plan_bound_s=60, settle_s=45)
QUICK = Size(streetlights=600, screen_bound_s=20, plan_bound_s=20, settle_s=20)


@dataclass
class Row:
    drill: str
    updates_lost: int = 0
    screens_frozen: int = 0
    readings_handed: int = 0  # acknowledged to their device (HTTP 200 or MQTT PUBACK)
    readings_lost: int = 0
    readings_duplicated: int = 0
    commands_lost: int = 0
    commands_late: int = 0
    commands_duplicated: int = 0
    errors_5xx: dict = field(default_factory=dict)
    recovery_s: list = field(default_factory=list)  # None: not within the bound
    plan_resumed_s: float | None = None
    manual_steps: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def manual(self, step: str) -> None:
        if step not in self.manual_steps:
            self.manual_steps.append(step)


# --- The database, seen from the drill (it may be down) -----------------------------------------


def with_database(query, timeout: float = 60.0):
    """Run `query()` once the database answers again (the drill's connection may be one the
    server cut)."""
    from django.db import DatabaseError, InterfaceError, connection

    deadline = time.monotonic() + timeout
    while True:
        try:
            return query()
        except (DatabaseError, InterfaceError):
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def log_seq() -> int:
    from ondijon import bus

    return with_database(bus.last_seq)


def last_command_id() -> int:
    from equipment.models import Command

    return with_database(lambda: Command.objects.order_by("-pk").values_list("pk", flat=True).first()) or 0  # fmt: skip


# --- Set-up -----------------------------------------------------------------------------------


class Run:
    """Servers, seeded database, stack, screens and observers shared by the drills of a run."""

    def __init__(self, args, size: Size, pg, redis, broker) -> None:
        self.args, self.size, self.pg, self.redis, self.broker = args, size, pg, redis, broker
        self.prefix = f"drills-{uuid.uuid4().hex[:8]}"
        self.logs = Path(tempfile.mkdtemp(prefix="ondijon-drills-logs-"))

    def seed(self) -> None:
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from rest_framework.authtoken.models import Token

        from equipment.models import Equipment
        from equipment.tokens import issue_token
        from interventions.models import Team
        from ondijon.demo import seed
        from supervision.models import WallScreen

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        seed.STREETLIGHTS = self.size.streetlights
        with one_password_hash():
            seed.seed_demo(password=PASSWORD)
        main = WallScreen.objects.get(slug="main")
        for slug in ("room-left", "room-right"):
            WallScreen.objects.get_or_create(
                slug=slug,
                defaults={"name": slug, "panels": main.panels, "map_layers": main.map_layers},
            )
        admin = get_user_model().objects.get(username="admin")
        self.token = Token.objects.create(user=admin).key
        self.admin = admin
        _, self.device_key = issue_token("drills", all_equipment=True)
        lights = list(
            Equipment.objects.filter(kind="streetlight", district__isnull=False)
            .exclude(status="offline")
            .order_by("pk")
            .values_list("pk", "code")
        )
        self.probes = {"devices": [pk for pk, _ in lights[:6]], "team": Team.objects.order_by("pk").first().pk}  # fmt: skip
        self.telemetry_codes = [code for _, code in lights[10:60]]
        self.command_codes = [code for _, code in lights[60:100]]
        print(
            f"seeded in {time.monotonic() - started:.0f} s: {Equipment.objects.count()} devices;"
            f" process logs in {self.logs}",
            flush=True,
        )

    def environment(self) -> dict:
        return {
            **os.environ,
            "DATABASE_URL": self.pg.url(DATABASE),
            "REDIS_URL": self.redis.url,
            "CHANNEL_PREFIX": "drills",
            # The run's own events log has its own checkpoints: another run's would not match.
            "EVENTS_CHECKPOINT_FILE": str(self.logs / "events-checkpoints.jsonl"),
            "MQTT_URL": self.broker.url,
            "DEBUG": "true",
        }


@contextmanager
def one_password_hash():
    """The demo users all get the drill's password: hashed once, not once per user (a second
    of a loaded core each)."""
    from django.contrib.auth import base_user, hashers

    hashed = hashers.make_password(PASSWORD)
    real = base_user.make_password
    base_user.make_password = lambda raw, *args, **kwargs: hashed if raw == PASSWORD else real(raw, *args, **kwargs)  # fmt: skip
    try:
        yield
    finally:
        base_user.make_password = real


# --- One drill --------------------------------------------------------------------------------


class Drill:
    """The frame of every drill: traffic on, the fault, recovery measured, traffic off, tally."""

    def __init__(self, run: Run, name: str) -> None:
        self.run, self.name = run, name
        self.row = Row(name)
        self.tag = f"{name}-{uuid.uuid4().hex[:4]}"

    def __enter__(self):
        from _drill_load import CommandTrickle, HttpTelemetry, MqttTelemetry, ProbeWriter

        run = self.run
        self.started = time.time()
        self.first_command = last_command_id()
        bases = run.stack.bases
        self.loads = [
            ProbeWriter(run.answers, bases, run.token, run.probes["devices"], run.probes["team"]),
            HttpTelemetry(run.answers, bases, run.device_key, run.telemetry_codes, self.tag),
            MqttTelemetry(run.broker.url, run.prefix, run.telemetry_codes, self.tag),
            CommandTrickle(run.answers, bases, run.token, run.command_codes),
        ]
        for load in self.loads:
            load.start()
        time.sleep(3)  # traffic flowing before the fault
        return self

    def __exit__(self, *exc) -> None:
        _, http, mqtt, _ = self.loads
        for load in self.loads:
            load.stop()
        http.flush(timeout=self.run.size.screen_bound_s)
        self.settle_screens()
        self.settle_commands()
        self.tally_readings(http, mqtt)
        self.tally_commands()
        self.row.errors_5xx = dict(self.run.answers.since(self.started))
        slow = self.run.answers.slow_since(self.started)
        if slow:
            self.row.notes.append(
                f"{sum(slow.values())} API answers took over {self.run.answers.SLOW_S:.0f} s: "
                + ", ".join(f"{what} x{n}" for what, n in slow.most_common(4))
            )
        self.repair()

    # -- recovery --

    def service_back(self) -> None:
        """Measure how long until every screen is live and caught up, from now."""
        back_ms = time.time() * 1000
        target = log_seq()
        room = self.run.room
        seconds = room.wait_caught_up(target, back_ms, self.run.size.screen_bound_s)
        self.row.recovery_s.append(None if seconds is None else round(seconds, 1))
        if seconds is None:
            behind = room.behind(target, back_ms)
            self.row.screens_frozen = max(self.row.screens_frozen, len(behind))
            self.row.notes.append(f"not caught up after {self.run.size.screen_bound_s:.0f} s: {room.describe()}")  # fmt: skip

    def settle_screens(self) -> None:
        """Once the traffic stopped: each screen's probe objects against the database."""
        from equipment.models import Equipment
        from interventions.models import Team

        probes = self.run.probes
        room = self.run.room

        def truth():
            statuses = dict(Equipment.objects.filter(pk__in=probes["devices"]).values_list("pk", "status"))  # fmt: skip
            team = Team.objects.get(pk=probes["team"])
            return [statuses[pk] for pk in probes["devices"]], [team.latitude]

        target = log_seq()
        walls, desk = with_database(truth)
        deadline = time.monotonic() + self.run.size.screen_bound_s
        while True:
            lost, frozen = 0, 0
            for screen, seen in zip(room.screens, room.read(), strict=True):
                expected = desk if screen.kind == "desk" else walls
                shown = seen["values"]
                if all(value is None for value in shown):
                    shown_ok = seen["seq"] >= target  # a screen without these objects: its number
                    lost += 0 if shown_ok else 1
                else:
                    lost += sum(
                        1
                        for got, want in zip(shown, expected, strict=True)
                        if not (got == want or (isinstance(want, float) and got is not None and abs(got - want) < 1e-6))
                    )  # fmt: skip
                frozen += seen["seq"] < target or seen["connection"] != "live"
            if (lost == 0 and frozen == 0) or time.monotonic() > deadline:
                break
            room.screens[0].page.wait_for_timeout(250)
        self.row.updates_lost = lost
        self.row.screens_frozen = max(self.row.screens_frozen, frozen)
        if lost or frozen:
            self.row.notes.append(f"after the traffic stopped: {room.describe()}")

    def settle_commands(self) -> None:
        """Commands of the drill end (acknowledged, failed, timed out) within `settle_s`."""
        from equipment.models import Command

        pending = Command.objects.filter(
            pk__gt=self.first_command, status__in=[Command.Status.REQUESTED, Command.Status.SENT]
        )
        deadline = time.monotonic() + self.run.size.settle_s
        while with_database(pending.exists) and time.monotonic() < deadline:
            time.sleep(0.5)

    # -- tallies --

    def tally_readings(self, http, mqtt) -> None:
        from django.db.models import Count

        from equipment.models import Reading

        handed = http.handed | mqtt.handed
        rows = Reading.objects.filter(message_id__startswith=f"{self.tag}-")

        def stored():
            ids = set(rows.values_list("message_id", flat=True))
            twice = rows.values("equipment_id", "message_id").annotate(n=Count("id")).filter(n__gt=1).count()  # fmt: skip
            return ids, twice

        deadline = time.monotonic() + 15  # the bridge's last batch
        ids, twice = with_database(stored)
        while handed - ids and time.monotonic() < deadline:
            time.sleep(0.5)
            ids, twice = with_database(stored)
        self.row.readings_handed = len(handed)
        self.row.readings_lost = len(handed - ids)
        self.row.readings_duplicated = twice
        refused = len(http.sent - http.handed)
        if refused:
            self.row.notes.append(f"{refused} HTTP readings never accepted (the device still holds them)")  # fmt: skip
        self.row.notes.append(f"readings handed over {len(handed)}, stored {len(ids)}")

    def tally_commands(self) -> None:
        from equipment.models import Command
        from supervision.models import ActivationCommand

        observer = self.run.observer
        rows = with_database(
            lambda: list(
                Command.objects.filter(pk__gt=self.first_command).values_list(
                    "pk", "status", "expires_at"
                )
            )
        )
        rolled_back = dict(
            with_database(
                lambda: list(
                    ActivationCommand.objects.filter(
                        command__pk__gt=self.first_command,
                        phase=ActivationCommand.Phase.APPLY,
                        activation__deactivated_at__isnull=False,
                    ).values_list("command_id", "activation__deactivated_at")
                )
            )
        )
        lost = late = twice = stuck = unanswered = expired = 0
        with observer.lock:
            deliveries = {pk: list(times) for pk, times in observer.deliveries.items()}
            attempts = {pk: list(seen) for pk, seen in observer.attempts.items()}
            answers = {pk: list(seen) for pk, seen in observer.answers.items()}
            carried_out = dict(observer.carried_out)
        resent = 0
        for pk, status, expires_at in rows:
            delivered = deliveries.get(pk, [])
            answered_ok = any(ok for _, ok in answers.get(pk, []))
            if status in (Command.Status.REQUESTED, Command.Status.SENT):
                lost += 1
                stuck += 1
            elif status in (Command.Status.FAILED, Command.Status.TIMED_OUT) and answered_ok:
                lost += 1
                unanswered += 1
            expired += status == Command.Status.EXPIRED
            due = [moment.timestamp() for moment in (expires_at, rolled_back.get(pk)) if moment]
            late += bool(due) and any(at > min(due) + HANDOVER_GRACE_S for at in delivered)
            # Duplicated: carried out twice by its device, or one attempt sent twice. A resend
            # (next attempt) while the answer waited is the protocol's at-least-once delivery,
            # answered again by the device and not carried out (equipment/adapters.py).
            sent_attempts = attempts.get(pk, [])
            twice += carried_out.get(pk, 0) > 1 or len(sent_attempts) != len(set(sent_attempts))
            resent += len(delivered) > 1
        self.row.commands_lost += lost  # (the drill may have counted some already)
        self.row.commands_late = late
        self.row.commands_duplicated = twice
        self.row.notes.append(
            f"commands {len(rows)}: {stuck} left requested/sent, {unanswered} timed out or failed"
            f" although the device answered, {expired} expired (not delivered by their deadline),"
            f" {resent} delivered again while their answer was on its way (carried out once)"
        )

    # -- what a person would have had to do --

    def repair(self) -> None:
        run = self.run
        for name in run.stack.stopped():
            self.row.manual(f"start {name} again (it exited)")
            run.stack[name].start()
        if self.row.screens_frozen or None in self.row.recovery_s:
            self.row.manual("reload the screens")
            run.room.reload_all()


# --- The drills -------------------------------------------------------------------------------


def pg_restart(drill: Drill) -> None:
    """PostgreSQL restarted, 10 s down, twice."""
    pg = drill.run.pg
    for _ in range(2):
        pg.stop()
        time.sleep(drill.run.size.pg_down_s)
        pg.start()
        drill.service_back()


def pg_terminate(drill: Drill) -> None:
    """The database connections of one daphne process cut (pg_terminate_backend)."""
    run = drill.run
    ports = client_ports(run.stack["daphne-1"].popen.pid)
    import psycopg

    with psycopg.connect(run.pg.url(), autocommit=True) as connection:
        cut = connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND client_port = ANY(%s)",
            [DATABASE, list(ports)],
        ).fetchone()[0]
    drill.row.notes.append(f"{cut} connection(s) of daphne-1 terminated")
    drill.service_back()


def client_ports(pid: int) -> set[int]:
    """Local TCP ports of a process's sockets (from /proc: its socket inodes, then the table)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if parts[9] in inodes:
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def redis_restart(drill: Drill) -> None:
    """Redis restarted (nothing kept, as the production one without persistence)."""
    drill.run.redis.restart(down_seconds=2)
    drill.service_back()


def redis_pause(drill: Drill) -> None:
    """Redis frozen (SIGSTOP) for 10 s."""
    with drill.run.redis.paused(drill.run.size.redis_pause_s):
        pass
    drill.service_back()


def worker_kill(drill: Drill) -> None:
    """The Celery worker killed (SIGKILL) a quarter into the lockdown plan, then started again.

    The lockdown is rolled back once its commands are acknowledged (or the bound is reached).
    """
    from supervision.crisis import services as crisis
    from supervision.models import ActivationCommand, CrisisMode

    run, size = drill.run, drill.run.size
    mode = CrisisMode.objects.get(code="lockdown")
    activation = crisis.activate(mode, run.admin, "Drill: worker killed", confirmed=True)
    plan = ActivationCommand.objects.filter(activation=activation, phase=ActivationCommand.Phase.APPLY)  # fmt: skip
    total = plan.count()
    sent = plan.filter(command__isnull=False)
    deadline = time.monotonic() + 60
    while sent.count() < total * 0.25 and time.monotonic() < deadline:
        time.sleep(0.05)
    run.stack["worker"].kill()
    at_kill = sent.count()
    drill.row.notes.append(f"lockdown plan {total} commands; {at_kill} sent when the worker was killed")  # fmt: skip
    time.sleep(size.worker_down_s)
    worker = run.stack["worker"]
    ready_before = worker.said(WORKER_READY)
    worker.start()
    started = time.monotonic()
    # The worker is back when it says it is ready: its start-up on a loaded machine is not
    # the plan's doing.
    while worker.said(WORKER_READY) == ready_before and time.monotonic() - started < 60:
        time.sleep(0.1)
    back = time.monotonic()
    drill.row.notes.append(f"new worker ready {back - started:.1f} s after it was started")
    # Resumed: the plan goes on with steps the killed worker never reached (commands it had
    # created already going out is the stranded-commands sweep, not the plan).
    resumed = None
    while time.monotonic() - back < size.plan_bound_s:
        if sent.count() > at_kill:
            resumed = time.monotonic() - back
            break
        if at_kill == total and not unsent_commands(activation):
            resumed = 0.0  # nothing was left to send
            break
        time.sleep(0.25)
    drill.row.plan_resumed_s = None if resumed is None else round(resumed, 1)
    drill.service_back()
    if resumed is None:
        drill.row.manual("Retry the crisis plan")
        crisis.retry_failures(activation, run.admin)
    if not wait_acknowledged(activation, ActivationCommand.Phase.APPLY, size.plan_bound_s):
        # Rolled back before the plan was carried out: what it never sent is lost to the room.
        unsent = crisis.progress(activation, ActivationCommand.Phase.APPLY)["unsent"]
        drill.row.commands_lost += unsent
        drill.row.notes.append(f"lockdown not carried out within {size.plan_bound_s:.0f} s of the plan resuming: {unsent} commands never sent")  # fmt: skip
    activation.refresh_from_db()
    crisis.deactivate(activation, run.admin, "Drill over")
    # The rollback is not the fault: it is given time to finish before the tally (thousands of
    # commands on a loaded machine), so that the next drill starts with an idle worker.
    wait_acknowledged(activation, ActivationCommand.Phase.RESTORE, 4 * size.plan_bound_s)
    for phase in (ActivationCommand.Phase.APPLY, ActivationCommand.Phase.RESTORE):
        progress = crisis.progress(activation, phase)
        drill.row.notes.append(
            f"{phase}: {progress['acknowledged']}/{progress['total']} acknowledged,"
            f" {progress['unsent']} never sent, {progress['failed']} failed"
        )


WORKER_READY = " ready."  # celery's "celery@host ready." at INFO


def unsent_commands(activation) -> int:
    from equipment.models import Command
    from supervision.models import ActivationCommand

    return ActivationCommand.objects.filter(
        activation=activation, command__status__in=[Command.Status.REQUESTED]
    ).count()


def wait_acknowledged(activation, phase: str, bound: float) -> bool:
    """Whether every command of the phase was answered within `bound`."""
    from supervision.crisis import services as crisis

    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        progress = crisis.progress(activation, phase)
        if progress["total"] and progress["pending"] == 0:
            return True
        time.sleep(0.5)
    return False


def listener_kill(seconds: float):
    def drill_function(drill: Drill) -> None:
        listener = drill.run.stack["listener"]
        listener.kill()
        time.sleep(seconds)
        listener.start()
        drill.service_back()

    drill_function.__doc__ = f"The acknowledgement listener killed (SIGKILL) for {seconds:.0f} s."
    return drill_function


def db_down_ingest(drill: Drill) -> None:
    """PostgreSQL down 10 s while telemetry, API requests and pages keep coming."""
    pg = drill.run.pg
    pg.stop()
    time.sleep(drill.run.size.pg_down_s)
    pg.start()
    drill.service_back()


DRILLS = {
    "pg-restart": pg_restart,
    "pg-terminate": pg_terminate,
    "redis-restart": redis_restart,
    "redis-pause": redis_pause,
    "worker-kill": worker_kill,
    "listener-kill-10": listener_kill(10),
    "listener-kill-35": listener_kill(35),
    "db-down-ingest": db_down_ingest,
}


# --- The table ----------------------------------------------------------------------------------


def seconds_text(values: list) -> str:
    return ", ".join("not within bound" if v is None else f"{v:.1f} s" for v in values) or "-"


def errors_text(errors: dict) -> str:
    if not errors:
        return "0"
    total = sum(errors.values())
    top = sorted(errors.items(), key=lambda item: -item[1])[:4]
    return f"{total} (" + ", ".join(f"{what} x{n}" for what, n in top) + (", ..." if len(errors) > 4 else "") + ")"  # fmt: skip


HEADER = (
    "drill",
    "screen updates lost / frozen",
    "readings lost / dup",
    "commands lost / late / dup",
    "5xx",
    "recovery (screens; plan)",
    "manual step",
)


def table_row(row: Row) -> tuple:
    recovery = seconds_text(row.recovery_s)
    if row.drill == "worker-kill":
        plan = "not within bound" if row.plan_resumed_s is None else f"{row.plan_resumed_s:.1f} s"
        recovery += f"; plan resumed {plan}"
    return (
        row.drill,
        f"{row.updates_lost} / {row.screens_frozen}",
        f"{row.readings_lost} / {row.readings_duplicated}",
        f"{row.commands_lost} / {row.commands_late} / {row.commands_duplicated}",
        errors_text(row.errors_5xx),
        recovery,
        "yes: " + "; ".join(row.manual_steps) if row.manual_steps else "no",
    )


def print_table(rows: list[Row]) -> None:
    lines = [HEADER, *map(table_row, rows)]
    print("\n| " + " | ".join(HEADER) + " |")
    print("|" + "|".join(" --- " for _ in HEADER) + "|")
    for line in lines[1:]:
        print("| " + " | ".join(line) + " |")
    print()
    for row in rows:
        for note in row.notes:
            print(f"  {row.drill}: {note}")


# --- Main ---------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drill", action="append", choices=list(DRILLS), help="repeatable; default all")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="a small city and shorter bounds")
    parser.add_argument("--json", type=Path, help="write the rows there too (for the tests)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    # The drill runs on servers of its own: the environment's servers play no part.
    for name in ("DATABASE_URL", "SQLITE_PATH", "REDIS_URL", "CHANNEL_PREFIX", "MQTT_URL"):
        os.environ.pop(name, None)
    shown_command = command_line()
    size = QUICK if args.quick else FULL
    with own_postgres() as pg, own_redis() as redis, own_mosquitto() as broker:
        pg.create_database(DATABASE)
        run = Run(args, size, pg, redis, broker)
        os.environ.update(run.environment())
        os.environ.setdefault("SECRET_KEY", "drills-only")
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API
        import _setup  # noqa: F401  (configures Django on the drill's servers)
        from _report import runtime

        print(f"command: {shown_command}", flush=True)
        print(f"runtime: {runtime()}; servers of the drill's own: PostgreSQL :{pg.port}, Redis :{redis.port}, Mosquitto :{broker.port}", flush=True)  # fmt: skip
        print(f"load average at start: {load_average()}", flush=True)
        started = time.monotonic()
        rows = []
        try:
            rows = drive(run, args.drill or list(DRILLS))
        finally:
            print_table(rows)
            print(f"load average at end: {load_average()}; ran {time.monotonic() - started:.0f} s", flush=True)  # fmt: skip
            if args.json:
                args.json.write_text(json.dumps([asdict(row) for row in rows], indent=1))


def drive(run: Run, names: list[str]) -> list[Row]:
    from _drill_load import Answers, MqttObserver
    from _drill_screens import Room
    from _drill_stack import Stack
    from playwright.sync_api import sync_playwright

    run.seed()
    run.answers = Answers()
    run.stack = Stack(run.environment(), run.logs, run.prefix)
    run.observer = MqttObserver(run.broker.url, run.prefix)
    rows = []
    started = time.monotonic()
    try:
        run.stack.start()
        with sync_playwright() as playwright:
            # The screens log in while the other processes start (they need daphne only).
            run.room = Room(playwright, run.stack.bases, PASSWORD, run.probes, run.answers)
            run.stack.wait_ready(timeout=60)
            print(f"stack and screens ready in {time.monotonic() - started:.0f} s", flush=True)
            try:
                for name in names:
                    print(
                        f"drill {name} (at {time.monotonic() - started:.0f} s):"
                        f" {DRILLS[name].__doc__.splitlines()[0]}",
                        flush=True,
                    )
                    drill = Drill(run, name)
                    with drill:
                        DRILLS[name](drill)
                    rows.append(drill.row)
                    print("  " + " | ".join(table_row(drill.row)), flush=True)
            finally:
                run.room.close()
    finally:
        run.observer.stop()
        run.stack.stop()
    return rows


if __name__ == "__main__":
    main()

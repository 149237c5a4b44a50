"""Activating the demo's lockdown playbook (2,270 commands to 2,234 devices) and rolling it
back: time until 99 % and 100 % of the commands are acknowledged, for both, how long the
request that switches the mode takes, and the longest wait of another event writer meanwhile.

The events log's numbering lock (the EventSequence row, `ondijon/bus.py`) is held by every
transaction that writes an event until it commits, so the figures that matter to the rest of
the platform (telemetry, dispatch...) are how long it is held (`EventsLockTrace`) and how long
another writer is kept waiting: a probe thread on its own connection writes one event every
5 ms during each phase and reports its longest and 99th-percentile wait. On SQLite every
writer waits for every other (one database lock, taken at BEGIN IMMEDIATE), and a waiter
polls for it (SQLite's busy handler: every 100 ms once it has waited a while), so with many
writers in turn a wait can be much longer than any single hold.

Two stacks:
- `--stack embedded` (default): the demo as `manage.py demo` runs it, Celery eager in this
  process, the simulated devices answering after 0.2-1.5 s each (no failures, so 99 % can be
  reached);
- `--stack production` (needs PostgreSQL and Redis): a Celery worker on Redis with the MQTT
  adapter, the acknowledgement listener and simulated devices on the broker, all separate
  processes.

    DEBUG=1 .venv/bin/python bench/crisis_lockdown.py
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_i7 \
      REDIS_URL=redis://127.0.0.1:6379/7 CHANNEL_PREFIX=i7 \
      .venv/bin/python bench/crisis_lockdown.py --stack production
"""

import argparse
import contextlib
import threading
import time
import traceback

from _command_stack import production_stack, wait_until
from _report import reported
from _setup import percentile, throwaway_database

TIMEOUT_S = 120


def counts(activation, phase: str) -> tuple[int, int, int]:
    """Planned commands of the phase (sent or not yet), acknowledged, failed."""
    from django.db.models import Count, Q

    from supervision.models import ActivationCommand

    row = ActivationCommand.objects.filter(activation=activation, phase=phase).aggregate(
        total=Count("id"),
        acknowledged=Count("id", filter=Q(command__status="acknowledged")),
        failed=Count("id", filter=Q(command__status__in=["failed", "timed_out"])),
    )
    return row["total"], row["acknowledged"], row["failed"]


class EventsLockTrace:
    """In this process: how long each transaction holds the lock other event writers wait
    for, and who held it longest.

    On PostgreSQL that is the EventSequence row, from a transaction's first event to its
    commit; on SQLite (IMMEDIATE transactions) the database's write lock, from BEGIN to
    COMMIT, which every writer needs. On the embedded stack every writer runs in this
    process (the jobs thread, the simulated devices' answers, the probe); on the production
    stack only the switching transactions do, the rest being in the Celery worker and the
    acknowledgement listener, where the probe's waits are the measure.
    """

    APPS = ("equipment", "supervision", "interventions", "hotline")

    def __init__(self) -> None:
        self.holds: list[tuple[float, str]] = []
        self.local = threading.local()

    def install(self) -> None:
        from django.db import connection

        if connection.vendor == "sqlite":
            self.install_sqlite()
        else:
            self.install_postgresql()

    def install_sqlite(self) -> None:
        from django.db.backends.sqlite3.base import DatabaseWrapper

        begin, commit = DatabaseWrapper._start_transaction_under_autocommit, DatabaseWrapper._commit
        trace = self

        def traced_begin(wrapper) -> None:
            begin(wrapper)  # returns once the write lock is ours
            trace.local.since = (time.perf_counter(), trace.holder())

        def traced_commit(wrapper) -> None:
            try:
                commit(wrapper)
            finally:
                since = getattr(trace.local, "since", None)
                trace.local.since = None
                if since:
                    trace.holds.append((time.perf_counter() - since[0], since[1]))

        DatabaseWrapper._start_transaction_under_autocommit = traced_begin
        DatabaseWrapper._commit = traced_commit

    def install_postgresql(self) -> None:
        from django.db import connection

        from supervision.models import EventSequence

        manager = EventSequence.objects
        real = type(manager).select_for_update
        trace = self

        class LockedRow:
            def __init__(self, queryset) -> None:
                self.queryset = queryset

            def get_or_create(self, **kwargs):
                result = self.queryset.get_or_create(**kwargs)
                hooks = connection.run_on_commit
                if not any(getattr(f, "events_lock_trace", False) for _, f, _ in hooks):
                    since, holder = time.perf_counter(), trace.holder()

                    def released() -> None:
                        trace.holds.append((time.perf_counter() - since, holder))

                    released.events_lock_trace = True
                    # First in line after the commit: other hooks may start new transactions.
                    hooks.insert(0, (set(connection.savepoint_ids), released, False))
                return result

        manager.select_for_update = lambda *a, **k: LockedRow(real(manager, *a, **k))

    def holder(self) -> str:
        """The innermost function of the project that holds the lock."""
        for frame in reversed(traceback.extract_stack(limit=30)):
            parts = frame.filename.split("/")
            if len(parts) > 1 and parts[-2] in self.APPS:
                return f"{parts[-2]}/{parts[-1]}:{frame.name}"
        return "the probe"  # the only writer outside the apps

    def report(self) -> str:
        holds, self.holds = self.holds, []
        if not holds:
            return "no lock taken here"
        longest, holder = max(holds)
        return f"lock held at most {1000 * longest:.0f} ms here ({holder}; {len(holds)} holds)"


class EventWriterProbe(threading.Thread):
    """Another writer of the events log: one small event every 5 ms, each wait recorded."""

    def __init__(self) -> None:
        super().__init__(name="events-lock-probe", daemon=True)
        self.waits: list[float] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        from django.db import connection, transaction

        from ondijon import bus

        try:
            while not self.stopping.is_set():
                started = time.perf_counter()
                with transaction.atomic():
                    bus.emit("bench.probe", subject_type="bench", subject_label="probe")
                self.waits.append(time.perf_counter() - started)
                time.sleep(0.005)
        finally:
            connection.close()

    def stop(self) -> str:
        self.stopping.set()
        self.join()
        if not self.waits:
            return "no probe write"
        return (
            f"event writer waited at most {1000 * max(self.waits):.0f} ms"
            f" (p99 {1000 * percentile(self.waits, 0.99):.0f} ms, {len(self.waits)} writes)"
        )


def follow(activation, phase: str, started: float) -> dict:
    """Seconds from `started` until 99 % and 100 % of the phase's commands are acknowledged."""
    figures = {}
    for share in (0.99, 1.0):

        def reached(share=share):
            total, acknowledged, _ = counts(activation, phase)
            return total and acknowledged >= share * total

        if wait_until(reached, TIMEOUT_S, step=0.05) is None:
            figures[share] = None
        else:
            figures[share] = time.perf_counter() - started
    figures["commands"], figures["acknowledged"], figures["failed"] = counts(activation, phase)
    return figures


def show(label: str, figures: dict, request_s: float, probe: str, trace: str) -> None:
    def seconds(value):
        return f"{value:6.2f} s" if value is not None else "  not reached"

    print(
        f"{label:<10} {figures['commands']:>5} commands | request {request_s:5.2f} s"
        f" | 99 % acknowledged {seconds(figures[0.99])} | 100 % {seconds(figures[1.0])}"
        f" | failed {figures['failed']}\n{'':<10} {probe} | {trace}"
    )


def explain(activation, phase: str, figures: dict) -> None:
    """When 100 % was not reached: what the crisis page would show."""
    if figures[1.0] is not None:
        return
    from supervision.crisis import services as crisis

    activation.refresh_from_db()
    progress = crisis.progress(activation, phase)
    failures = ", ".join(f"{f['equipment']}: {f['error']}" for f in progress["failures"][:5])
    print(
        f"{'':<10} not reached: {progress['sent']} of {progress['total']} sent,"
        f" {progress['pending']} pending, error {progress['error'] or 'none'},"
        f" stalled {progress['stalled']}; failures {failures or 'none'}"
    )


def run(stack: str) -> None:
    from django.conf import settings

    from ondijon.demo.seed import seed_demo
    from supervision.crisis import services as crisis
    from supervision.models import ActivationCommand, CrisisMode

    print("seeding the demo metropolis...", flush=True)
    seed_demo(password="bench-password")
    settings.COMMAND_SIMULATOR = {**settings.COMMAND_SIMULATOR, "failure_rate": 0.0}
    if stack == "embedded":
        from ondijon.celery import app

        app.conf.task_always_eager = True  # as `manage.py demo` runs without Redis
    mode = CrisisMode.objects.get(code="lockdown")
    check = crisis.precheck(mode)
    print(
        f"stack: {stack}; lockdown playbook: {check['devices']} devices, {check['offline']} offline"
    )

    trace = EventsLockTrace()
    trace.install()
    probe = EventWriterProbe()
    probe.start()
    started = time.perf_counter()
    activation = crisis.activate(mode, None, "Benchmark", confirmed=True)
    activated = time.perf_counter() - started
    figures = follow(activation, ActivationCommand.Phase.APPLY, started)
    show("activate", figures, activated, probe.stop(), trace.report())
    explain(activation, ActivationCommand.Phase.APPLY, figures)

    probe = EventWriterProbe()
    probe.start()
    started = time.perf_counter()
    crisis.deactivate(activation, None, "Benchmark over")
    deactivated = time.perf_counter() - started
    figures = follow(activation, ActivationCommand.Phase.RESTORE, started)
    show("rollback", figures, deactivated, probe.stop(), trace.report())
    explain(activation, ActivationCommand.Phase.RESTORE, figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=["embedded", "production"], default="embedded")
    args = parser.parse_args()
    with throwaway_database():
        stack = production_stack() if args.stack == "production" else contextlib.nullcontext()
        with stack:
            run(args.stack)
            time.sleep(1)  # let late simulated answers land before the database goes


if __name__ == "__main__":
    with reported():
        main()

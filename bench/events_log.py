"""Events log write throughput: `bus.emit_many` (sequence lock, hash chain, JSON payload)
against a plain `bulk_create` of the same rows, in the same process and database.

The baseline is batched like the measured path: batches of the same size, one transaction
each. Per batch size, measured and baseline runs alternate in pairs (bench/_report.py).
Prints events/s for batches of 1, 100 and 1,000 events, the medians and the median ratio.

    DEBUG=1 .venv/bin/python bench/events_log.py [--pairs 3] [--events 5000]
"""

import argparse
import itertools
import time

from _report import paired, reported
from _setup import throwaway_database

TOTAL = 5_000
counter = itertools.count(10_000_000)


def payload(n: int) -> dict:
    return {
        "equipment": {"id": n, "code": f"SL-{n:05d}", "status": "fault", "state": {"lamp": "off"}}
    }


def emit_batches(batch_size: int, total: int) -> int:
    from django.db import transaction

    from ondijon import bus

    for start in range(0, total, batch_size):
        with transaction.atomic():
            bus.emit_many(
                [
                    bus.EventRecord(
                        "equipment.status_changed", "equipment", n, f"SL-{n}", payload(n)
                    )
                    for n in range(start, start + batch_size)
                ]
            )
    return total


def plain_bulk_create(batch_size: int, total: int) -> int:
    """The same rows, no lock, no chain: `bulk_create` in the same batches and transactions."""
    from django.db import transaction
    from django.utils import timezone

    from supervision.models import Event

    for start in range(0, total, batch_size):
        now = timezone.now()
        with transaction.atomic():
            Event.objects.bulk_create(
                Event(
                    seq=next(counter),
                    time=now,
                    kind="baseline",
                    subject_type="equipment",
                    subject_id=str(n),
                    payload=payload(n),
                    prev_hash="",
                    hash="",
                )
                for n in range(start, start + batch_size)
            )
    return total


def rate_of(run) -> float:
    started = time.perf_counter()
    items = run()
    return items / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--events", type=int, default=TOTAL, help="events per run")
    args = parser.parse_args()
    from django.db import connection

    with throwaway_database():
        print(
            f"database: {connection.vendor}; {args.events} events per run, {args.pairs} pairs of runs"
            " per batch size (baseline: bulk_create in the same batches and transactions)"
        )
        for batch_size in (1, 100, 1000):
            figures = paired(
                lambda b=batch_size: rate_of(lambda: emit_batches(b, args.events)),
                lambda b=batch_size: rate_of(lambda: plain_bulk_create(b, args.events)),
                args.pairs,
            )
            print(
                f"batches of {batch_size:>5}: bus.emit_many {figures.measured:8.0f} events/s, "
                f"bulk_create {figures.baseline:8.0f} events/s (medians); ratio, median of "
                f"pairs {figures.ratio:.2f} (each: {figures.ratios_text()})"
            )


if __name__ == "__main__":
    with reported():
        main()

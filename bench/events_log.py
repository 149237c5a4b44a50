"""Events log write throughput: `bus.emit_many` (sequence lock, hash chain, JSON payload)
against a plain `bulk_create` of the same rows, in the same process and database.

Prints events/s for batches of 1, 100 and 1,000 events and the ratio to the baseline.
"""

import itertools

from _setup import median_rate, throwaway_database

TOTAL = 5_000
counter = itertools.count(10_000_000)


def payload(n: int) -> dict:
    return {
        "equipment": {"id": n, "code": f"SL-{n:05d}", "status": "fault", "state": {"lamp": "off"}}
    }


def emit_batches(batch_size: int) -> int:
    from django.db import transaction

    from ondijon import bus

    for start in range(0, TOTAL, batch_size):
        with transaction.atomic():
            bus.emit_many(
                [
                    bus.EventRecord(
                        "equipment.status_changed", "equipment", n, f"SL-{n}", payload(n)
                    )
                    for n in range(start, start + batch_size)
                ]
            )
    return TOTAL


def plain_bulk_create() -> int:
    from django.db import transaction
    from django.utils import timezone

    from supervision.models import Event

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
            for n in range(TOTAL)
        )
    return TOTAL


def main() -> None:
    from django.db import connection

    with throwaway_database():
        print(f"database: {connection.vendor}; {TOTAL} events per run, median of 3 runs")
        baseline = median_rate(plain_bulk_create)
        print(f"baseline bulk_create, one transaction: {baseline:10.0f} events/s")
        for batch_size in (1, 100, 1000):
            rate = median_rate(lambda b=batch_size: emit_batches(b))
            print(
                f"bus.emit_many, batches of {batch_size:>5}:     {rate:10.0f} events/s"
                f"  ({rate / baseline:.2f}x baseline)"
            )


if __name__ == "__main__":
    main()

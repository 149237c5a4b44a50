"""Chain verification time (`supervision.log.timeline.verify_chain`, the `verify_events` command) for
one million events.

The events are generated with a valid chain (hashes computed here with `ondijon.bus.event_hash`)
and loaded with COPY on PostgreSQL (executemany on SQLite). Prints the load and verification
times, and the ratio to a same-process baseline: reading the same rows without hashing them,
the two run in pairs (order alternating); medians, and the median of the pairs' ratios.

    .venv/bin/python bench/verify_chain.py [number of events, default 1000000] [--pairs 3]
"""

import argparse
import time
from datetime import timedelta
from types import SimpleNamespace

from _report import paired, reported
from _setup import throwaway_database

KINDS = ["team.moved", "equipment.status_changed", "alert.raised", "intervention.status_changed"]


def generate(count: int):
    """Rows (seq, time, kind, actor_label, service, subject_type, subject_id, subject_label,
    payload JSON text, prev_hash, hash), chained like the bus chains them."""
    from django.utils import timezone

    from ondijon import bus

    start = timezone.now() - timedelta(days=30)
    prev_hash = bus.GENESIS_HASH
    for seq in range(1, count + 1):
        kind = KINDS[seq % len(KINDS)]
        subject_type = kind.split(".")[0]
        payload = {
            subject_type: {"id": seq % 5000, "status": "ok", "lat": 47.3 + (seq % 997) / 10000}
        }
        event = SimpleNamespace(
            seq=seq,
            time=start + timedelta(milliseconds=seq * 2),
            kind=kind,
            actor_label="system",
            service="roads",
            subject_type=subject_type,
            subject_id=str(seq % 5000),
            subject_label=f"{subject_type} {seq % 5000}",
            payload=payload,
            correction_of_id=None,
            actor_id=None,
            hash_version=bus.HASH_VERSION,  # the column's default: COPY leaves it out
        )
        event_hash = bus.event_hash(prev_hash, event)
        yield (
            seq,
            event.time,
            kind,
            "system",
            "roads",
            subject_type,
            event.subject_id,
            event.subject_label,
            bus.canonical_json(payload),
            prev_hash,
            event_hash,
        )
        prev_hash = event_hash


COLUMNS = (
    "seq, time, kind, actor_label, service, subject_type, subject_id, subject_label, payload, "
    "prev_hash, hash"
)


def load(count: int) -> str:
    from django.db import connection, transaction

    last_hash = ""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY supervision_event ({COLUMNS}) FROM STDIN") as copy:
                for row in generate(count):
                    copy.write_row(row)
                    last_hash = row[-1]
        else:
            batch = []
            for row in generate(count):
                batch.append(row)
                last_hash = row[-1]
                if len(batch) == 10_000:
                    cursor.executemany(
                        f"INSERT INTO supervision_event ({COLUMNS}) VALUES ({', '.join(['%s'] * 11)})",
                        batch,
                    )
                    batch = []
            if batch:
                cursor.executemany(
                    f"INSERT INTO supervision_event ({COLUMNS}) VALUES ({', '.join(['%s'] * 11)})",
                    batch,
                )
        cursor.execute(
            "UPDATE supervision_eventsequence SET last_seq = %s, last_hash = %s WHERE id = 1",
            [count, last_hash],
        )
        if cursor.rowcount == 0:
            cursor.execute(
                "INSERT INTO supervision_eventsequence (id, last_seq, last_hash, group_heads)"
                " VALUES (1, %s, %s, %s)",
                [count, last_hash, "{}"],
            )
    return last_hash


def main() -> None:
    from django.db import connection

    from supervision.log.timeline import HASHED_FIELDS, verify_chain
    from supervision.models import Event

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    count = args.count
    with throwaway_database():
        started = time.perf_counter()
        load(count)
        print(
            f"database: {connection.vendor}; generated and loaded {count} chained events in "
            f"{time.perf_counter() - started:.1f} s"
        )

        def plain_read() -> float:
            started = time.perf_counter()
            rows = Event.objects.order_by("seq").values_list(*HASHED_FIELDS, "prev_hash", "hash")
            read = sum(1 for _ in rows.iterator(chunk_size=20_000))
            assert read == count, read
            return time.perf_counter() - started

        def verify() -> float:
            started = time.perf_counter()
            report = verify_chain()
            elapsed = time.perf_counter() - started
            assert report.intact and report.checked == count, report
            return elapsed

        figures = paired(verify, plain_read, args.pairs)
        print(
            f"baseline: reading the {count} rows without hashing: {figures.baseline:.1f} s"
            f" (median of {args.pairs})"
        )
        print(
            f"verify_chain: {count} events intact in {figures.measured:.1f} s (median; "
            f"{count / figures.measured:,.0f} events/s), {figures.ratio:.1f}x the plain read "
            f"(median of pairs; each: {figures.ratios_text()})"
        )


if __name__ == "__main__":
    with reported():
        main()

"""A district-wide power cut and a desk with 50,000 open alerts: what the room's alarm
management leaves on the desk, and what the desk and the wall's snapshot cost.

Part 1, the storm: seeds the demo metropolis and its alert rules in a throw-away database,
then 10,000 streetlights (the districts' lamps in district order, until 10,000) report a fault
within 60 simulated seconds (a power cut seen by the lamps' controllers), through the real
ingest (state, rules, correlation, alerts, events), one batch per simulated second; the
periodic checks and the flood check run as the beat runs them. Prints the alerts raised, the
top-level alerts the desk lists (the issue's target: at most 20), the alarm rate and flood
events from the events log (supervision/alerts/kpis.py), and the ingest's wall-clock time.

Part 2, 50,000 open alerts (bulk-created, as many causes, spread over the city): the desk's
first page (its queue query and rendering, the `alert_desk` view through the test client, median
of 5) and the wall's snapshot as the wall downloads it (`wire_snapshot`: the panel's first alerts
whole, the others in columns), JSON and gzip-compressed (the issue's target: under 1 MB), beside
the form with every alert whole.

The wall's frame rate, long tasks and catch-up during the storm, in Chromium on the real clock,
are bench/alarm_storm_wall.py's.

    .venv/bin/python bench/alarm_storm.py --faults 10000 --seconds 60 --open-alerts 50000
"""

import argparse
import gzip
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

from _report import reported
from _setup import throwaway_database


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=60, help="simulated seconds of the storm")
    parser.add_argument("--open-alerts", type=int, default=50_000)
    return parser.parse_args()


def storm(args) -> None:
    from equipment.ingest import ingest
    from equipment.models import Equipment
    from supervision.alerts import flood, kpis, rules
    from supervision.models import OPEN_ALERT_STATUSES, Alert

    lamps = list(
        Equipment.objects.filter(kind="streetlight")
        .order_by("district_id", "id")
        .values_list("code", "district_id")[: args.faults]
    )
    districts = len({district for _, district in lamps})
    start = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    clock = {"now": start}
    per_second = -(-len(lamps) // args.seconds)
    started = time.monotonic()
    with mock.patch("django.utils.timezone.now", lambda: clock["now"]):
        for second in range(args.seconds + 120):
            now = start + timedelta(seconds=second)
            clock["now"] = now
            batch = lamps[second * per_second : (second + 1) * per_second]
            if batch:
                stamp = now.isoformat()
                ingest(
                    [
                        {
                            "device": code,
                            "time": stamp,
                            "metrics": {"status": "fault", "lamp": "off"},
                        }
                        for code, _ in batch
                    ]
                )
            if second % 15 == 0:
                rules.run_checks(now)
            if second % 60 == 0:
                flood.check_flood(now)
        elapsed = time.monotonic() - started
        end = clock["now"]
    open_alerts = Alert.objects.filter(status__in=OPEN_ALERT_STATUSES)
    top = open_alerts.filter(parent=None)
    figures = kpis.alarm_kpis(start, end + timedelta(seconds=1))
    print(
        f"storm: {len(lamps)} streetlight faults over {districts} districts in {args.seconds} "
        f"simulated s, ingested in {elapsed:.1f} s of wall clock"
    )
    print(
        f"  alerts raised {Alert.objects.count()}, open {open_alerts.count()}, top-level on the "
        f"desk {top.count()} (target <= 20)"
    )
    print("  top-level:", "; ".join(top.order_by("-severity").values_list("title", flat=True)[:25]))
    print(
        f"  alarms (events log): {figures.alarms}, peak {figures.peak_per_ten_minutes:g} per "
        f"position in 10 min; time in flood {figures.flood_share:.0%}"
    )


def open_alerts(args) -> None:
    from django.test import Client
    from django.utils import timezone

    from equipment.models import Equipment
    from ondijon import roles
    from supervision.models import Alert, Event
    from supervision.wall.state import build_snapshot, wire_snapshot
    from supervision.wall.views import SNAPSHOT_GZIP_LEVEL

    Alert.objects.all().delete()
    devices = list(Equipment.objects.values_list("id", "latitude", "longitude")[: args.open_alerts])
    now = timezone.now()
    Alert.objects.bulk_create(
        [
            Alert(
                title=f"Bench alert {n}",
                source=Alert.Source.RULE,
                severity=1 + n % 5,
                category="lighting",
                equipment_id=devices[n % len(devices)][0],
                latitude=devices[n % len(devices)][1],
                longitude=devices[n % len(devices)][2],
                raised_at=now - timedelta(seconds=n),
                updated_at=now,
            )
            for n in range(args.open_alerts)
        ],
        batch_size=2000,
    )
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user("bench-operator", password="x")
    user.groups.add(Group.objects.get(name=roles.OPERATOR))
    client = Client()
    client.force_login(user)
    times = []
    for _ in range(5):
        started = time.monotonic()
        response = client.get("/alerts/")
        times.append(time.monotonic() - started)
        assert response.status_code == 200
    started = time.monotonic()
    snapshot = wire_snapshot()
    built = time.monotonic() - started
    # The snapshot view's own level, and gzip's default for comparison.
    compressed = len(gzip.compress(snapshot, compresslevel=SNAPSHOT_GZIP_LEVEL))
    compressed_6 = len(gzip.compress(snapshot, compresslevel=6))
    whole = json.dumps(build_snapshot(), separators=(",", ":")).encode()
    whole_compressed = len(gzip.compress(whole, compresslevel=6))
    print(
        f"{args.open_alerts} open alerts ({Event.objects.count()} events): desk first page "
        f"median {statistics.median(times) * 1000:.0f} ms (of 5: "
        f"{', '.join(f'{t * 1000:.0f}' for t in times)}; target <= 1000 ms)"
    )
    print(
        f"  wall snapshot as downloaded (wire_snapshot) {len(snapshot) / 1e6:.2f} MB JSON, "
        f"{compressed / 1e6:.2f} MB gzip level {SNAPSHOT_GZIP_LEVEL} (the view's), "
        f"{compressed_6 / 1e6:.2f} MB at level 6 (target < 1 MB), built in {built * 1000:.0f} ms"
    )
    print(
        f"  every alert whole (build_snapshot, per-device rows): {len(whole) / 1e6:.2f} MB JSON, "
        f"{whole_compressed / 1e6:.2f} MB gzip level 6"
    )


def main() -> None:
    args = parse_args()
    with reported(), throwaway_database():
        from ondijon.demo.seed import seed_demo

        started = time.monotonic()
        seed_demo(password="bench")
        print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
        storm(args)
        open_alerts(args)


if __name__ == "__main__":
    main()

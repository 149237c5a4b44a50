"""The demo left running: open alerts and the alarm rate over simulated time.

Seeds the demo metropolis (34,000 streetlights, 680 cabinets...) and its alert rules in a
throw-away database, then plays the simulator second by second on a simulated clock: each
simulated second's batches go through the real ingest (`equipment.ingest.ingest`: state,
rules, alerts, events), and the periodic rule checks (silence, durations, clearing) run every
RULE_CHECK_SECONDS of simulated time, as the beat would run them. Time is compressed by
running the simulated seconds back to back as fast as the machine goes: the clock that
readings, ingest and rules read (`django.utils.timezone.now`) is the simulated one. Vehicles
do not move (they raise no alert).

Prints every 10 simulated minutes: open alerts, open top-level alerts (what the desk lists),
alerts raised in the last 10 minutes, and the rate per hour; then the run's totals.

    .venv/bin/python bench/demo_day.py --minutes 60
"""

import argparse
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

from _report import reported
from _setup import throwaway_database


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60, help="simulated minutes")
    parser.add_argument("--rate", type=float, default=50, help="the simulator's --rate")
    parser.add_argument("--check-seconds", type=float, default=15, help="rule checks period")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    with reported(), throwaway_database():
        from django.db.models import Q

        from equipment.ingest import ingest
        from ondijon.demo.seed import seed_demo
        from ondijon.demo.simulator import CitySimulator
        from supervision.alerts import rules
        from supervision.models import OPEN_ALERT_STATUSES, Alert

        started = time.monotonic()
        seed_demo(password="bench")
        print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
        simulator = CitySimulator(rate=args.rate, seed=args.seed, key="unused")
        batches_for_second = getattr(simulator, "batches_for_second", None)
        start = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
        clock = {"now": start}
        top_level = Q(parent=None) if hasattr(Alert, "parent") else Q()
        raised_before = 0
        readings = 0
        wall_started = time.monotonic()
        with mock.patch("django.utils.timezone.now", lambda: clock["now"]):
            for second in range(int(args.minutes * 60)):
                now = start + timedelta(seconds=second)
                clock["now"] = now
                stamp = now.timestamp()
                batches = (
                    batches_for_second(stamp)
                    if batches_for_second
                    else [simulator.readings_for_second(stamp)]
                )
                for batch in batches:
                    readings += ingest(batch).accepted
                if second % args.check_seconds == 0:
                    rules.run_checks(now)
                if (second + 1) % 600 == 0:
                    open_alerts = Alert.objects.filter(status__in=OPEN_ALERT_STATUSES)
                    raised = Alert.objects.count()
                    print(
                        f"t={(second + 1) / 60:5.0f} min: open alerts {open_alerts.count()}, "
                        f"top-level {open_alerts.filter(top_level).count()}, raised in the "
                        f"last 10 min {raised - raised_before} "
                        f"({(raised - raised_before) * 6} per hour); readings {readings}; "
                        f"wall clock {time.monotonic() - wall_started:.0f} s",
                        flush=True,
                    )
                    raised_before = raised
        by_rule = (
            Alert.objects.filter(status__in=OPEN_ALERT_STATUSES)
            .values_list("details__rule", flat=True)
            .order_by()
        )
        counts: dict[str, int] = {}
        for name in by_rule:
            counts[name] = counts.get(name, 0) + 1
        print(f"open alerts by rule at the end: {counts}")
        print(
            f"simulated {args.minutes:g} min in {time.monotonic() - wall_started:.0f} s of wall "
            f"clock ({args.minutes * 60 / (time.monotonic() - wall_started):.1f}x); "
            f"{readings} readings; {Alert.objects.count()} alerts raised in all"
        )


if __name__ == "__main__":
    main()

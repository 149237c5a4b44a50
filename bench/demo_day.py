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
and the alarm rate per operator position in those 10 minutes (alarms: alerts that reached the
desk by themselves, read from the events log by `supervision.alerts.kpis`, as the KPIs page
reads them); then the run's KPIs against ISA-18.2's targets (about 6 an hour per position
acceptable, 12 manageable, more than 10 in 10 minutes a flood): the rate per hour and per
10 minutes, the alarms by rule, chattering alerts and the run's totals.

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
        from supervision.alerts import flood, kpis, rules
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
                if second % 60 == 0:
                    flood.check_flood(now)  # as the beat runs it: the flood events
                if (second + 1) % 600 == 0:
                    open_alerts = Alert.objects.filter(status__in=OPEN_ALERT_STATUSES)
                    raised = Alert.objects.count()
                    ten = kpis.alarm_kpis(now - timedelta(seconds=599), now + timedelta(seconds=1))
                    print(
                        f"t={(second + 1) / 60:5.0f} min: open alerts {open_alerts.count()}, "
                        f"top-level {open_alerts.filter(top_level).count()}; alerts raised "
                        f"{raised - raised_before}, of which alarms {ten.alarms}: "
                        f"{ten.alarms / ten.positions:g} per position in 10 min "
                        f"({ten.average_per_hour:.0f} per hour); readings {readings}; "
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
        end = start + timedelta(seconds=int(args.minutes * 60))
        run = kpis.alarm_kpis(start, end)
        print(
            f"alarm rate per position ({run.positions} position(s)): average "
            f"{run.average_per_hour:.1f} per hour, peak hour {run.peak_per_hour:g}, peak 10 min "
            f"{run.peak_per_ten_minutes:g} (ISA-18.2: ~{kpis.ACCEPTABLE_PER_HOUR}/h acceptable, "
            f"<= {kpis.MANAGEABLE_PER_HOUR}/h manageable, > {run.flood_threshold} in 10 min a "
            f"flood): {run.verdict}"
        )
        print("per hour:", ", ".join(f"{rate:g}" for _, rate in run.per_hour))
        print("per 10 min:", ", ".join(f"{rate:g}" for _, rate in run.per_ten_minutes))
        print(f"time in flood: {run.flood_share:.0%}")
        print("alarms by rule:", ", ".join(f"{name} {count}" for name, count in run.top_rules))
        print("chattering:", ", ".join(f"{n} ({c})" for n, c in run.chattering) or "none")
        print(
            f"simulated {args.minutes:g} min in {time.monotonic() - wall_started:.0f} s of wall "
            f"clock ({args.minutes * 60 / (time.monotonic() - wall_started):.1f}x); "
            f"{readings} readings; {Alert.objects.count()} alerts raised in all"
        )


if __name__ == "__main__":
    main()

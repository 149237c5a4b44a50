"""Nearest-team ranking time (`interventions.dispatch.rank_teams`) for the demo fleet (205
vehicles) and a region-wide fleet of 5,000, at random incident points.

Prints p50/p99 in ms per fleet, and the ratio to a same-process baseline: fetching one team by
primary key (the cheapest query the database can answer). Baseline and ranking are timed in
pairs, one after the other at each incident point (the order alternating); the ratio is the
median of the pairs' ratios.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_bench \
      .venv/bin/python bench/dispatch_ranking.py [--runs 400]
"""

import argparse
import random
import statistics
import time

from _report import reported
from _setup import percentile, throwaway_database

RUNS = 400
SERVICES = ["police", "lighting", "roads", "water", "cleaning", "green_spaces", "buildings"]
CENTRE = (47.322, 5.041)


def make_fleet(size: int, single_service: bool) -> None:
    from django.utils import timezone

    from interventions.models import Team

    Team.objects.all().delete()
    rng = random.Random(size)
    now = timezone.now()
    teams = []
    for n in range(size):
        stale = n % 10 == 9
        teams.append(
            Team(
                call_sign=f"T-{n:05d}",
                service="police" if single_service else SERVICES[n % len(SERVICES)],
                status="busy" if n % 7 == 6 else "available",
                # A region: about 60 km across around Dijon.
                latitude=CENTRE[0] + rng.uniform(-0.27, 0.27),
                longitude=CENTRE[1] + rng.uniform(-0.4, 0.4),
                position_at=now - timezone.timedelta(hours=1) if stale else now,
                skills=["aerial_lift"] if n % 3 == 0 else [],
            )
        )
    Team.objects.bulk_create(teams, batch_size=1000)


def ms(call, lat: float, lon: float) -> float:
    started = time.perf_counter()
    call(lat, lon)
    return (time.perf_counter() - started) * 1000


def paired_timings(call, baseline, runs: int) -> tuple[list[float], list[float]]:
    """ms of `call` and of `baseline` at the same `runs` random incident points, in pairs."""
    rng = random.Random(7)
    measured, base = [], []
    for n in range(runs):
        lat, lon = CENTRE[0] + rng.uniform(-0.2, 0.2), CENTRE[1] + rng.uniform(-0.3, 0.3)
        if n % 2:
            measured.append(ms(call, lat, lon))
            base.append(ms(baseline, lat, lon))
        else:
            base.append(ms(baseline, lat, lon))
            measured.append(ms(call, lat, lon))
    return measured, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    from django.db import connection

    from interventions.dispatch import rank_teams
    from interventions.models import Team

    with throwaway_database():
        print(
            f"database: {connection.vendor}; {args.runs} rankings per fleet, top 5 + stale list,"
            " each paired with a primary-key fetch"
        )
        for size, single in ((205, False), (5000, False), (5000, True)):
            make_fleet(size, single)
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("ANALYZE interventions_team")
            first = Team.objects.order_by("pk").first().pk

            def fetch(lat, lon, pk=first):
                return Team.objects.filter(pk=pk).first()

            label = f"{size} vehicles, {'all police' if single else '7 services'}"
            cases = (
                ("rank", lambda lat, lon: rank_teams(lat, lon, "police")),
                ("rank+skill", lambda lat, lon: rank_teams(lat, lon, "police", ["aerial_lift"])),
            )
            for name, call in cases:
                values, baseline = paired_timings(call, fetch, args.runs)
                p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
                ratio = statistics.median(v / b for v, b in zip(values, baseline, strict=True))
                print(
                    f"{label:<28} {name:<11} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
                    f"  ({ratio:.1f}x a primary-key fetch at p50 {percentile(baseline, 0.5):.2f}"
                    " ms, median of pairs)"
                )


if __name__ == "__main__":
    with reported():
        main()

"""Nearest-team ranking time (`interventions.dispatch.rank_teams`) for the demo fleet (205
vehicles) and a region-wide fleet of 5,000, at random incident points.

Prints p50/p99 in ms per fleet, and the ratio to a same-process baseline: fetching one team by
primary key (the cheapest query the database can answer).
"""

import random
import time

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


def timings(call) -> list[float]:
    rng = random.Random(7)
    values = []
    for _ in range(RUNS):
        lat, lon = CENTRE[0] + rng.uniform(-0.2, 0.2), CENTRE[1] + rng.uniform(-0.3, 0.3)
        started = time.perf_counter()
        call(lat, lon)
        values.append((time.perf_counter() - started) * 1000)
    return values


def main() -> None:
    from django.db import connection

    from interventions.dispatch import rank_teams
    from interventions.models import Team

    with throwaway_database():
        print(f"database: {connection.vendor}; {RUNS} rankings per fleet, top 5 + stale list")
        for size, single in ((205, False), (5000, False), (5000, True)):
            make_fleet(size, single)
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("ANALYZE interventions_team")
            first = Team.objects.order_by("pk").first().pk
            baseline = timings(lambda lat, lon, pk=first: Team.objects.filter(pk=pk).first())
            ranking = timings(lambda lat, lon: rank_teams(lat, lon, "police"))
            skilled = timings(lambda lat, lon: rank_teams(lat, lon, "police", ["aerial_lift"]))
            label = f"{size} vehicles, {'all police' if single else '7 services'}"
            base50 = percentile(baseline, 0.5)
            for name, values in (("rank", ranking), ("rank+skill", skilled)):
                p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
                print(
                    f"{label:<28} {name:<11} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
                    f"  ({p50 / base50:.1f}x a primary-key fetch at {base50:.2f} ms)"
                )


if __name__ == "__main__":
    main()

"""Statistics page server time with one year of hotline calls (~55,000), by default on PostgreSQL.

Run:  DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_i6 .venv/bin/python bench/hotline_stats.py [--calls 55000] [--runs 15]

Works on a throw-away test database (created and dropped here). Prints the median and
95th percentile server time of GET /hotline/statistics/ for the whole year and for the default
four weeks, of the CSV export, and the ratio to a same-process baseline page (/healthz).
Target: <= 300 ms for the year on PostgreSQL.
"""

import argparse
import math
import random
import statistics
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from _setup import percentile, throwaway_database
from django.db import connection
from django.test import Client

PARIS = ZoneInfo("Europe/Paris")


def seed_year(calls: int, first_day: date) -> None:
    from hotline.models import Call, Category, Referral
    from ondijon.demo import hotline as demo

    demo.seed_categories()
    categories = {c.code: c for c in Category.objects.all()}
    codes = list(demo.MIX_START)
    rng = random.Random(55)
    rows = []
    for _ in range(calls):
        day = first_day + timedelta(days=rng.randrange(365))
        hour = rng.choices(range(24), demo.HOUR_CURVE)[0]
        started = datetime(day.year, day.month, day.day, hour, tzinfo=PARIS) + timedelta(
            seconds=rng.randrange(3600)
        )
        code = rng.choices(codes, [demo.MIX_START[c] for c in codes])[0]
        seconds = max(20, int(rng.lognormvariate(math.log(demo.HANDLING.get(code, 140)), 0.45)))
        rows.append(
            Call(
                started_at=started,
                ended_at=started + timedelta(seconds=seconds),
                category=categories[code],
                outcome=rng.choices(["answered", "transferred", "call_back"], [86, 9, 5])[0],
            )
        )
    Call.objects.bulk_create(rows, batch_size=5000)
    Referral.objects.bulk_create(
        [
            Referral(
                person_name=f"Person {n}",
                consent=True,
                status=rng.choice(["new", "contacted", "supported", "closed"]),
                created_at=rows[n * 50].started_at,
            )
            for n in range(calls // 50)
        ],
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def timed(client: Client, url: str, runs: int) -> list[float]:
    client.get(url)  # warm-up: first query plans, template compilation
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=55_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    with throwaway_database():
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from ondijon import roles

        first_day = date(2025, 1, 1)
        started = time.perf_counter()
        seed_year(args.calls, first_day)
        seeded = time.perf_counter() - started
        user = get_user_model().objects.create_user("bench-supervisor", password="x" * 12)
        user.groups.add(Group.objects.get(name=roles.SUPERVISOR))
        client = Client()
        client.force_login(user)

        year = f"/hotline/statistics/?start={first_day}&end={first_day + timedelta(days=364)}"
        cases = {
            "baseline /healthz": "/healthz",
            "statistics, one year": year,
            "statistics, default 4 weeks": "/hotline/statistics/",
            "CSV export, one year": year.replace("statistics/", "statistics.csv"),
        }
        print(
            f"database: {connection.vendor}; {args.calls} calls over 365 days seeded in "
            f"{seeded:.1f} s; {args.runs} runs each after one warm-up"
        )
        baseline = None
        for label, url in cases.items():
            times = sorted(timed(client, url, args.runs))
            median = statistics.median(times)
            p95 = percentile(times, 0.95)
            baseline = baseline or median
            print(
                f"  {label:<30} median {median:7.1f} ms   p95 {p95:7.1f} ms   "
                f"x{median / baseline:5.1f} baseline"
            )


if __name__ == "__main__":
    main()

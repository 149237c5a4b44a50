"""Statistics page server time with one year of hotline calls (~55,000), by default on PostgreSQL.

Run:  DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_i6 .venv/bin/python bench/hotline_stats.py [--calls 55000] [--runs 15]

Works on a throw-away test database (created and dropped here). Prints the median and
95th percentile server time of GET /hotline/statistics/ for the whole year and for the default
four weeks, of the CSV export, and the ratio to a same-process baseline page (/healthz),
requested in pairs with each measured page (order alternating; the ratio is the median of
the pairs' ratios). Pages are served in this process by Django's test client (no HTTP server,
no network). Target: <= 300 ms for the year on PostgreSQL.
"""

import argparse
import math
import random
import statistics
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from _report import reported
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


def ms(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def paired_times(client: Client, url: str, baseline: str, runs: int):
    """ms of `url` and of `baseline`, requested in `runs` pairs."""
    client.get(url)  # warm-up: first query plans, template compilation
    client.get(baseline)
    measured, base = [], []
    for n in range(runs):
        if n % 2:
            measured.append(ms(client, url))
            base.append(ms(client, baseline))
        else:
            base.append(ms(client, baseline))
            measured.append(ms(client, url))
    return measured, base


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
            "statistics, one year": year,
            "statistics, default 4 weeks": "/hotline/statistics/",
            "CSV export, one year": year.replace("statistics/", "statistics.csv"),
        }
        print(
            f"database: {connection.vendor}; {args.calls} calls over 365 days seeded in "
            f"{seeded:.1f} s; {args.runs} runs each after one warm-up, each paired with"
            " GET /healthz"
        )
        for label, url in cases.items():
            times, baseline = paired_times(client, url, "/healthz", args.runs)
            ratio = statistics.median(t / b for t, b in zip(times, baseline, strict=True))
            print(
                f"  {label:<30} median {statistics.median(times):7.1f} ms   "
                f"p95 {percentile(times, 0.95):7.1f} ms   x{ratio:5.1f} baseline "
                f"(/healthz median {statistics.median(baseline):.1f} ms; median of pairs)"
            )


if __name__ == "__main__":
    with reported():
        main()

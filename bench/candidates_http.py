"""Nearest-team candidates over HTTP, as the dispatch desk asks for them, with a region-wide
fleet of 5,000 vehicles; paired with a plain GET of the same intervention through the same API.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_bench \\
      .venv/bin/python bench/candidates_http.py [--runs 400] [--vehicles 5000]

How it measures: one daphne process, one keep-alive HTTP connection with a dispatcher's API
token (as a desk's browser keeps one). At each of `runs` random interventions it GETs
`/api/v1/interventions/<id>/candidates/` and, in the same pair (order alternating),
`/api/v1/interventions/<id>/` (the baseline: the same authentication, permissions and object
read, without the ranking). Prints p50/p99 of each and the median of the pairs' ratios; the
same ranking as a function call in this process, and /healthz (no database, no login) through
the same connection: the request's own overhead.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from http.client import HTTPConnection

from _report import reported
from _setup import ROOT, daphne_env, percentile, release_database, throwaway_database, wait_for_port
from dispatch_ranking import CENTRE, make_fleet

PORT = int(os.environ.get("BENCH_PORT", "18340"))
DAPHNE = [sys.executable, "-m", "daphne", "-b", "127.0.0.1"]


def make_interventions(count: int) -> list[int]:
    from interventions.models import Intervention
    from interventions.services import create_intervention

    rng = random.Random(11)
    made = []
    for n in range(count):
        lat, lon = CENTRE[0] + rng.uniform(-0.2, 0.2), CENTRE[1] + rng.uniform(-0.3, 0.3)
        made.append(
            create_intervention(
                {
                    "title": f"Bench {n}",
                    "category": "public_order",
                    "service": "police",
                    "priority": 2,
                    "latitude": lat,
                    "longitude": lon,
                }
            ).pk
        )
    assert Intervention.objects.count() >= count
    return made


def timed_get(connection: HTTPConnection, path: str, token: str) -> float:
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Token {token}"})
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--vehicles", type=int, default=5000)
    parser.add_argument("--interventions", type=int, default=200)
    args = parser.parse_args()

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection as db
    from rest_framework.authtoken.models import Token

    from interventions.dispatch import rank_teams_for
    from interventions.models import Intervention
    from ondijon import roles

    with throwaway_database():
        make_fleet(args.vehicles, single_service=False)
        interventions = make_interventions(args.interventions)
        if db.vendor == "postgresql":
            with db.cursor() as cursor:
                cursor.execute("ANALYZE")
        user = get_user_model().objects.create_user("bench-dispatcher", password="x")
        user.groups.add(Group.objects.get(name=roles.DISPATCHER))
        token = Token.objects.create(user=user).key
        daphne = subprocess.Popen(
            [*DAPHNE, "-p", str(PORT), "ondijon.asgi:application"],
            env=daphne_env(),
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for_port(PORT)
            http = HTTPConnection("127.0.0.1", PORT, timeout=30)
            rng = random.Random(5)
            for pk in interventions[:10]:  # warm: connections, caches, imports
                timed_get(http, f"/api/v1/interventions/{pk}/candidates/", token)
            measured, base, calls, health = [], [], [], []
            for n in range(args.runs):
                pk = rng.choice(interventions)
                ranking = f"/api/v1/interventions/{pk}/candidates/"
                plain = f"/api/v1/interventions/{pk}/"
                if n % 2:
                    measured.append(timed_get(http, ranking, token))
                    base.append(timed_get(http, plain, token))
                else:
                    base.append(timed_get(http, plain, token))
                    measured.append(timed_get(http, ranking, token))
                health.append(timed_get(http, "/healthz", token))
                item = Intervention.objects.get(pk=pk)
                started = time.perf_counter()
                rank_teams_for(item)
                calls.append((time.perf_counter() - started) * 1000)
            ratio = statistics.median(m / b for m, b in zip(measured, base, strict=True))
            print(
                f"{args.vehicles} vehicles, {args.runs} GETs each over one keep-alive "
                f"connection: candidates p50 {percentile(measured, 0.5):.1f} ms, p99 "
                f"{percentile(measured, 0.99):.1f} ms; plain GET of the intervention p50 "
                f"{percentile(base, 0.5):.1f} ms, p99 {percentile(base, 0.99):.1f} ms; "
                f"ratio {ratio:.2f} (median of pairs); the ranking as a call in-process p50 "
                f"{percentile(calls, 0.5):.1f} ms, p99 {percentile(calls, 0.99):.1f} ms; "
                f"/healthz (no database, no login) p50 {percentile(health, 0.5):.1f} ms, p99 "
                f"{percentile(health, 0.99):.1f} ms"
            )
        finally:
            daphne.terminate()
            daphne.wait(timeout=10)
            release_database()


if __name__ == "__main__":
    with reported():
        main()

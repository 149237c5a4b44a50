"""The operators' device console over the demo metropolis (35,702 devices): how long a search
answers (p50, p99, max over mixed queries: a code's start, a full code, a site's name or
address, a district, with and without filters), how long a device's page takes to render,
and how long the preview of a selection of about 2,000 streetlights takes (a district's, the
district nearest that count), all through the pages' own URLs as a logged-in operator
(Django's test client: the view, its queries and the template, without a network). On
PostgreSQL the tables are ANALYZEd after seeding, as a live database's are. Each search is
paired with the same URL finding nothing (session, login, permissions, JSON: the floor of any
request here at this load), and the median of the pairs' ratios printed.

With `--stack production` the selection is sent and rolled back through a Celery worker, the
MQTT adapter, the acknowledgement listener and simulated devices, once a small selection
elsewhere went through (a running room's stack is warm; that first one's time is printed on
its own): the seconds until 99 % and until 100 % of the online devices acknowledged.

    DEBUG=1 .venv/bin/python bench/device_console.py
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_console \
      .venv/bin/python bench/device_console.py
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_console \
      REDIS_URL=redis://127.0.0.1:6379/4 CHANNEL_PREFIX=ondijon_console \
      .venv/bin/python bench/device_console.py --stack production
"""

import argparse
import json
import random
import statistics
import time

from _report import reported
from _setup import percentile, throwaway_database

TIMEOUT_S = 120


def timed(call) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed * 1000


def show(name: str, values: list[float]) -> None:
    print(
        f"{name:<28} n={len(values):<5} p50 {statistics.median(values):7.1f} ms"
        f"   p99 {percentile(values, 0.99):7.1f} ms   max {max(values):7.1f} ms",
        flush=True,
    )


def run(rounds: int, stack: bool) -> None:
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from equipment.models import District, Equipment, Site
    from ondijon import roles
    from ondijon.demo.seed import seed_demo

    print("seeding the demo metropolis...", flush=True)
    seed_demo(password="bench-password")
    print(f"devices: {Equipment.objects.count()}", flush=True)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user = User.objects.create_user("bench-operator", password="x")
    user.groups.add(Group.objects.get(name=roles.OPERATOR))
    client = Client()
    client.force_login(user)

    rng = random.Random(21)
    codes = list(Equipment.objects.values_list("code", flat=True))
    sites = list(Site.objects.values_list("name", "address"))
    districts = list(District.objects.values_list("name", "code"))
    queries = []
    for _ in range(rounds):
        code = rng.choice(codes)
        site_name, address = rng.choice(sites)
        district_name, district_code = rng.choice(districts)
        queries += [
            {"q": code},
            {"q": code[: max(3, len(code) - 2)].lower()},
            {"q": site_name[:8]},
            {"q": address[:10] or site_name},
            {"q": district_name},
            {"q": district_name, "kind": "streetlight", "status": "ok"},
            {"kind": "bollard"},
            {"district": district_code, "kind": "streetlight"},
        ]
    client.get("/console/search.json", {"q": "SL-0"})  # warm the caches
    # The baseline, paired with each search: the same URL with nothing to find (session,
    # login, permissions and the JSON answer, no query of the devices): the floor a search
    # cannot go under on this machine at this load.
    searches, floor = [], []
    for q in queries:
        searches.append(timed(lambda q=q: client.get("/console/search.json", q)))
        floor.append(timed(lambda: client.get("/console/search.json")))
    show("search", searches)
    show("  baseline (nothing to find)", floor)
    print(
        f"  search / baseline: median of pairs' ratios"
        f" {statistics.median(s / f for s, f in zip(searches, floor, strict=True)):.2f}",
        flush=True,
    )
    by_way: dict[str, list[float]] = {}
    for query, ms in zip(queries, searches, strict=True):
        by_way.setdefault(",".join(sorted(query)), []).append(ms)
    for way, values in sorted(by_way.items()):
        show(f"  search by {way}", values)

    picked = [rng.choice(codes) for _ in range(rounds * 4)]
    pages = [timed(lambda code=code: client.get(f"/console/devices/{code}/")) for code in picked]
    show("device page", pages)

    from django.db.models import Count

    per_district = (
        Equipment.objects.filter(kind="streetlight")
        .values("district__code")
        .annotate(n=Count("id"))
        .values_list("district__code", "n")
    )
    district, lights = min(per_district, key=lambda row: abs(row[1] - 2000))
    body = json.dumps(
        {
            "selection": {"kind": "streetlight", "district": district},
            "action": "dim",
            "params": {"level": 40},
        }
    )
    previews = []
    for _ in range(10):
        previews.append(
            timed(
                lambda: client.post(
                    "/console/selection/preview.json", body, content_type="application/json"
                )
            )
        )
    print(f"selection: {lights} streetlights of district {district}")
    show("selection preview", previews)
    if stack:
        send_and_roll_back(district, user)


def acknowledged_within(origin: str, total: int, started: float) -> tuple[float | None, ...]:
    """Seconds until 99 % and 100 % of `total` commands of `origin` were acknowledged."""
    from _command_stack import wait_until

    from equipment.models import Command

    def share() -> int:
        return Command.objects.filter(origin=origin, status="acknowledged").count()

    # Each share is timed when it is reached (not when the last one is).
    first = wait_until(lambda: share() >= 0.99 * total, timeout=TIMEOUT_S)
    first = None if first is None else time.perf_counter() - started
    all_ = wait_until(lambda: share() >= total, timeout=TIMEOUT_S)
    all_ = None if all_ is None else time.perf_counter() - started
    return first, all_, share()


def stages(origin: str, since) -> None:
    """Where the time went, from the commands' own timestamps (seconds after `since`, the
    moment the operator sent): when the last batch was created, when the commands went out
    (p50 / p99 / last), when they were acknowledged; and the waits between the stages."""
    from equipment.models import Command

    rows = list(
        Command.objects.filter(origin=origin, status="acknowledged").values_list(
            "requested_at", "sent_at", "finished_at"
        )
    )
    if not rows:
        return

    def seconds(values) -> str:
        values = sorted(values)
        return (
            f"p50 {statistics.median(values):5.2f}  p99 {percentile(values, 0.99):5.2f}"
            f"  last {values[-1]:5.2f} s"
        )

    after = lambda moment: (moment - since).total_seconds()  # noqa: E731
    print(f"    created   {seconds(after(r[0]) for r in rows)}", flush=True)
    print(f"    sent      {seconds(after(r[1]) for r in rows)}", flush=True)
    print(f"    answered  {seconds(after(r[2]) for r in rows)}", flush=True)
    print(f"    created→sent     {seconds((r[1] - r[0]).total_seconds() for r in rows)}")
    print(f"    sent→answered    {seconds((r[2] - r[1]).total_seconds() for r in rows)}")


def warm_up(district: str, user) -> None:
    """A small selection elsewhere first, as a running room's stack is warm: the worker's
    processes have booted and run a selection and a send, the listener and the devices have
    their sessions. Its own figure is printed: the first selection after the stack starts."""
    from equipment.models import Equipment
    from supervision.console import selection as selections

    latitude, longitude = (
        Equipment.objects.filter(kind="streetlight")
        .exclude(district__code=district)
        .exclude(status="offline")
        .values_list("latitude", "longitude")
        .first()
    )
    box = [latitude - 0.002, longitude - 0.003, latitude + 0.002, longitude + 0.003]
    started = time.perf_counter()
    sent = selections.send_to_selection(
        {"kind": "streetlight", "box": box},
        "dim",
        {"level": 60},
        reason="Benchmark warm-up",
        confirmed=True,
        actor=user,
    )
    online = Equipment.objects.filter(pk__in=sent.devices).exclude(status="offline").count()
    _p99, p100, _done = acknowledged_within(sent.origin, online, started)
    print(f"warm-up (first selection after start): {online} devices acknowledged in {p100} s")


def send_and_roll_back(district: str, user) -> None:
    """The selection sent and rolled back on the production stack: a Celery worker on Redis
    with the MQTT adapter, the acknowledgement listener, simulated devices on the broker."""
    from _command_stack import production_stack

    from equipment.models import Equipment
    from supervision.console import selection as selections

    with production_stack():
        warm_up(district, user)
        before = dict(
            Equipment.objects.filter(kind="streetlight", district__code=district).values_list(
                "pk", "state"
            )
        )
        from django.utils import timezone

        since, started = timezone.now(), time.perf_counter()
        sent = selections.send_to_selection(
            {"kind": "streetlight", "district": district},
            "dim",
            {"level": 40},
            reason="Benchmark",
            confirmed=True,
            actor=user,
        )
        recorded = time.perf_counter() - started
        # Offline devices fail at once (the preview names them): the others are counted.
        online = Equipment.objects.filter(pk__in=sent.devices).exclude(status="offline").count()
        print(f"selection: {len(sent.devices)} devices, {online} online", flush=True)
        p99, p100, done = acknowledged_within(sent.origin, online, started)
        print(
            f"send {len(sent.devices)}: recorded in {recorded * 1000:.0f} ms; 99 % acknowledged"
            f" in {p99 if p99 is None else round(p99, 2)} s, 100 % in"
            f" {p100 if p100 is None else round(p100, 2)} s ({done} acknowledged)",
            flush=True,
        )
        stages(sent.origin, since)
        since, started = timezone.now(), time.perf_counter()
        sent = selections.roll_back(sent, user)
        p99, p100, done = acknowledged_within(
            sent.restore_origin, len(sent.restore_orders), started
        )
        print(
            f"rollback {len(sent.restore_orders)}: 99 % acknowledged in"
            f" {p99 if p99 is None else round(p99, 2)} s, 100 % in"
            f" {p100 if p100 is None else round(p100, 2)} s ({done} acknowledged)",
            flush=True,
        )
        stages(sent.restore_origin, since)
    after = dict(Equipment.objects.filter(pk__in=before).values_list("pk", "state"))
    wrong = [pk for pk, state in before.items() if after[pk].get("dim") != state.get("dim")]
    print(f"rollback exact: {not wrong} ({len(wrong)} devices not back to their prior level)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60, help="queries of each way: x8")
    parser.add_argument(
        "--stack",
        choices=["none", "production"],
        default="none",
        help="production: also send the selection and roll it back on the production stack"
        " (needs PostgreSQL, Redis and MQTT)",
    )
    args = parser.parse_args()
    with reported(), throwaway_database():
        run(args.rounds, args.stack == "production")


if __name__ == "__main__":
    main()

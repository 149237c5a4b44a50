"""Team positions accepted per second through the HTTP API, with a wall listening live.

A real daphne process serves a throw-away database; a "wall" in this process is subscribed to
the teams group on the channel layer (as the wall's consumer is) and counts the `team.moved`
events it receives. Clients post, over keep-alive connections from 4 threads:
  - one position per request  (POST /api/v1/teams/<id>/position/, a crew's phone),
  - batches                   (POST /api/v1/teams/positions/, a vehicle tracker gateway).

Prints positions/s accepted per mode (plain HTTP on loopback, no TLS; median of --repeats
runs) and how many of the `team.moved` events written the wall received. Needs PostgreSQL and
Redis for figures that mean anything (SQLite + in-memory layer also runs, but the wall in this
process cannot hear daphne's in-memory layer).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_bench \
      REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/positions_api.py [--repeats 3]
"""

import argparse
import asyncio
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time

from _report import reported
from _setup import ROOT, throwaway_database

PORT = int(os.environ.get("BENCH_PORT", "18510"))
CLIENTS = 4
TEAMS = 205
CENTRE = (47.322, 5.041)


class Wall:
    """Counts events delivered on the channel layer's teams group, like a wall screen."""

    def __init__(self):
        self.received = 0
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self.listen()), daemon=True)

    async def listen(self):
        from channels.layers import get_channel_layer

        from ondijon.bus import TEAMS, channel_group

        EVENTS_GROUP = channel_group(TEAMS)
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(EVENTS_GROUP, channel)
        self.ready.set()
        renewed = time.monotonic()
        while not self.stop.is_set():
            if time.monotonic() - renewed > 5:  # as a screen's heartbeat renews its membership
                await layer.group_add(EVENTS_GROUP, channel)
                renewed = time.monotonic()
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.5)
            except TimeoutError:
                continue
            self.received += len(message["events"])
        await layer.group_discard(EVENTS_GROUP, channel)


def start_daphne() -> subprocess.Popen:
    from django.db import connection

    db = connection.settings_dict
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"}
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(PORT),
            "ondijon.asgi:application",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection_ = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection_.request("GET", "/healthz")
            if connection_.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("daphne did not start")


def post_all(requests: list[tuple[str, dict]], token: str) -> None:
    """Send the requests from CLIENTS threads, each on its own keep-alive connection."""
    errors = []

    def client(share):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        for path, body in share:
            connection.request("POST", path, json.dumps(body), headers)
            response = connection.getresponse()
            response.read()
            if response.status != 202:
                errors.append(response.status)

    threads = [
        threading.Thread(target=client, args=(requests[n::CLIENTS],)) for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} requests refused, e.g. {errors[:3]}")


def make_requests(teams, size: int, count: int, point) -> list[tuple[str, dict]]:
    """`count` requests: one position each (a crew's phone) or batches of `size` (a tracker)."""
    from django.utils import timezone

    if size == 1:
        return [(f"/api/v1/teams/{teams[n % TEAMS].pk}/position/", point()) for n in range(count)]
    requests = []
    for _ in range(count):
        stamp = timezone.now()
        rows = [
            {
                "team": teams[n % TEAMS].call_sign,
                **point(),
                "time": (stamp + timezone.timedelta(milliseconds=n)).isoformat(),
            }
            for n in range(size)
        ]
        requests.append(("/api/v1/teams/positions/", {"positions": rows}))
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from interventions.models import Team
    from ondijon import roles
    from supervision.models import Event

    with throwaway_database():
        teams = Team.objects.bulk_create(
            Team(call_sign=f"T-{n:03d}", service="police", latitude=CENTRE[0], longitude=CENTRE[1])
            for n in range(TEAMS)
        )
        tracker = User.objects.create_user("tracker")
        tracker.groups.add(Group.objects.get(name=roles.ADMINISTRATOR))
        token = Token.objects.create(user=tracker).key
        daphne = start_daphne()
        wall = Wall()
        wall.thread.start()
        wall.ready.wait(10)
        rng = random.Random(1)

        def point():
            return {
                "latitude": round(CENTRE[0] + rng.uniform(-0.05, 0.05), 6),
                "longitude": round(CENTRE[1] + rng.uniform(-0.07, 0.07), 6),
            }

        try:
            print(f"database: {connection.vendor}; daphne on :{PORT}, {CLIENTS} client threads")
            modes = [
                ("one per request", 1, 400),
                ("batches of 100", 100, 100),
                ("batches of 500", 500, 40),
                ("batches of 2000", 2000, 10),
            ]
            for label, size, count in modes:
                rates, heard, written = [], 0, 0
                for _ in range(args.repeats):
                    requests = make_requests(teams, size, count, point)
                    before = wall.received
                    written_before = Event.objects.filter(kind="team.moved").count()
                    started = time.perf_counter()
                    post_all(requests, token)
                    rates.append(size * count / (time.perf_counter() - started))
                    time.sleep(1.0)  # let the last publications arrive
                    heard += wall.received - before
                    written += Event.objects.filter(kind="team.moved").count() - written_before
                print(
                    f"{label:<16} {size * count:6d} positions a run: "
                    f"{statistics.median(rates):7.0f} positions/s accepted (median of "
                    f"{args.repeats}; each: {', '.join(f'{r:.0f}' for r in rates)}); "
                    f"wall heard {heard} of the {written} team.moved written"
                )
        finally:
            wall.stop.set()
            wall.thread.join(5)
            daphne.terminate()
            daphne.wait(10)


if __name__ == "__main__":
    with reported():
        main()

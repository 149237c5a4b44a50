"""The wall's snapshot at city scale: its size on the wire, the server's time to answer it, and
the wall's time to interactive in Chromium, for a demo metropolis of each size asked.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_bench \\
      REDIS_URL=redis://127.0.0.1:6379/9 CHANNEL_PREFIX=bench \\
      .venv/bin/python bench/wall_snapshot.py --devices 35000,150000

How it measures:
- The demo city is seeded in a throw-away database at the first size, then grown to the next
  (more streetlights and their cabinets: ondijon.demo.seed.streetlights_for).
- Server: the snapshot view's work in this process (the one-instant read, the JSON, gzip), the
  columns the wall downloads (`wire_snapshot`) paired with the per-device form it replaced
  (`build_snapshot` through JsonResponse and gzip_page's level): medians, ratio of the pairs.
- Over HTTP: GET of the snapshot from one daphne process with the kiosk's session, gzip
  accepted, until the last byte (loopback: no network time).
- Time to interactive: navigation start -> the wall's first full drawing painted (the next
  animation frame after it: bench/_browser.py), headless Chromium at 1920x1080, median of
  the loads; the page's own split (snapshot fetched, parsed, drawn) beside it; with the base
  map and without it (its street tiles refused), in pairs whose order alternates: the medians,
  the median of the pairs' differences and ratios, and when the base map's first view was all
  drawn (its tiles come after the wall is interactive: the wall does not wait for them).
"""

import argparse
import gzip
import http.cookiejar
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

from _browser import CHROMIUM, CHROMIUM_ARGS, PAGE_PROBES, long_tasks_text
from _report import paired, reported
from _setup import ROOT, daphne_env, release_database, throwaway_database, wait_for_port

PORT = int(os.environ.get("BENCH_PORT", "18330"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench-password-123"

# The page's own timings of its start (Resource Timing of the snapshot, the wall's marks).
START_SPLIT = """() => {
  const snapshot = performance.getEntriesByType("resource").find((e) => e.name.includes("/snapshot/"));
  return {
    fetched: snapshot ? Math.round(snapshot.responseEnd) : null,
    transfer: snapshot ? snapshot.transferSize : null,
    body: snapshot ? snapshot.decodedBodySize : null,
    ready: Number(document.body.dataset.readyMs),
    painted: Math.round(window.__readyPaintedMs),
  };
}"""


# The base map's first view drawn: every street tile of it loaded (Leaflet marks a tile
# once its canvas is drawn), the time since navigation start.
TILES_DRAWN = """() => {
  const tiles = document.querySelectorAll(".ondijon-streets .leaflet-tile");
  const waiting = document.querySelectorAll(".ondijon-streets .leaflet-tile:not(.leaflet-tile-loaded)");
  return tiles.length > 0 && waiting.length === 0 ? performance.now() : false;
}"""


def server_times(pairs: int) -> tuple:
    from django.http import JsonResponse
    from django.utils.text import compress_string

    from supervision.wall import state as wall
    from supervision.wall.views import SNAPSHOT_GZIP_LEVEL

    sizes = {}

    def columns() -> float:
        started = time.perf_counter()
        body = wall.wire_snapshot()
        packed = gzip.compress(body, compresslevel=SNAPSHOT_GZIP_LEVEL, mtime=0)
        elapsed = time.perf_counter() - started
        sizes["columns"] = (len(body), len(packed))
        return elapsed

    def rows() -> float:
        started = time.perf_counter()
        body = JsonResponse(wall.build_snapshot()).content
        packed = compress_string(body)  # what gzip_page did
        elapsed = time.perf_counter() - started
        sizes["rows"] = (len(body), len(packed))
        return elapsed

    return paired(columns, rows, pairs), sizes


def http_times(count: int) -> list[float]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{BASE}/accounts/login/").read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"username": "wall", "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    ).encode()
    opener.open(
        urllib.request.Request(
            f"{BASE}/accounts/login/", data=form, headers={"Referer": f"{BASE}/accounts/login/"}
        )
    ).read()
    times = []
    for _ in range(count):
        request = urllib.request.Request(
            f"{BASE}/wall/main/snapshot/", headers={"Accept-Encoding": "gzip"}
        )
        started = time.perf_counter()
        with opener.open(request) as response:
            response.read()
        times.append(time.perf_counter() - started)
    return times


def browser_loads(loads: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        page.goto(f"{BASE}/accounts/login/")
        page.fill("#id_username", "wall")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.add_init_script(PAGE_PROBES)
        splits = []
        # Loads with the base map and without it (its street tiles refused), in pairs, the
        # order alternating from one pair to the next.
        for n in range(loads * 2):
            streets = (n % 2 == 0) == ((n // 2) % 2 == 0)
            if not streets:
                page.route("**/map/streets/**", lambda route: route.abort())
            page.goto(f"{BASE}/wall/main/")
            page.wait_for_function("() => window.__readyPaintedMs !== null", timeout=60000)
            split = page.evaluate(START_SPLIT)
            split["tiles"] = None
            if streets:
                # When the first view's street tiles are all drawn (checked every frame).
                split["tiles"] = round(
                    page.wait_for_function(TILES_DRAWN, polling="raf", timeout=60000).json_value()
                )
            split["long_tasks"] = [d for _, d in page.evaluate("window.__longTasks")]
            split["streets"] = streets
            splits.append(split)
            if not streets:
                page.unroute("**/map/streets/**")
        browser.close()
    return splits


def measure(devices: int, args) -> None:
    from equipment.models import Equipment

    pair, sizes = server_times(args.pairs)
    print(
        f"{Equipment.objects.count()} devices: snapshot in columns {sizes['columns'][0] / 1e6:.2f}"
        f" MB raw, {sizes['columns'][1] / 1e6:.2f} MB gzip; one row per device (before) "
        f"{sizes['rows'][0] / 1e6:.2f} MB raw, {sizes['rows'][1] / 1e6:.2f} MB gzip"
    )
    print(
        f"{devices} devices: server time (read, JSON, gzip; median of {args.pairs} pairs) columns"
        f" {pair.measured * 1000:.0f} ms, rows {pair.baseline * 1000:.0f} ms, ratio "
        f"{pair.ratio:.2f} ({pair.ratios_text()})"
    )
    daphne = subprocess.Popen(
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
        env=daphne_env(),
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(PORT)
        times = http_times(args.gets)
        print(
            f"{devices} devices: GET snapshot over HTTP (gzip, one daphne) median "
            f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
            f"({args.gets} GETs)"
        )
        every = browser_loads(args.loads)
        medians = {}
        for streets in (True, False):
            splits = [s for s in every if s["streets"] is streets]
            painted = [s["painted"] for s in splits]
            medians[streets] = statistics.median(painted)
            tasks = [d for s in splits for d in s["long_tasks"]]
            print(
                f"{devices} devices, {'with' if streets else 'without'} the base map: time to"
                f" interactive, painted, median {medians[streets]} ms, all {painted}; snapshot"
                f" fetched at {[s['fetched'] for s in splits]} ms"
                f" ({splits[-1]['transfer'] / 1e6:.2f} MB transferred), drawn at"
                f" {[s['ready'] for s in splits]} ms; {long_tasks_text(tasks)}"
            )
        with_map = [s["painted"] for s in every if s["streets"]]
        without = [s["painted"] for s in every if not s["streets"]]
        differences = [a - b for a, b in zip(with_map, without, strict=True)]
        ratios = [a / b for a, b in zip(with_map, without, strict=True)]
        tiles = [s["tiles"] for s in every if s["streets"]]
        print(
            f"{devices} devices: the base map adds {medians[True] - medians[False]:.0f} ms to"
            f" the wall's time to interactive (medians); pair by pair"
            f" {statistics.median(differences):.0f} ms (median of {differences}), ratio"
            f" {statistics.median(ratios):.2f} (median of the pairs'); the base map's first"
            f" view all drawn at median {statistics.median(tiles):.0f} ms (all {tiles}),"
            f" {statistics.median(tiles) - medians[False]:.0f} ms after the wall without it was"
            " interactive"
        )
    finally:
        daphne.terminate()
        daphne.wait(timeout=10)
        release_database()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", default="35000,150000", help="city sizes, ascending")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--gets", type=int, default=5)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()

    from django.conf import settings

    if not settings.DATABASE_IS_POSTGRES:
        print("note: not PostgreSQL (set DATABASE_URL): the columns are written by Python")
    from ondijon.demo.seed import seed_demo, streetlights_for

    with throwaway_database():
        for devices in [int(n) for n in args.devices.split(",")]:
            started = time.perf_counter()
            seed_demo(password=PASSWORD, streetlights=streetlights_for(devices))
            from django.db import connection

            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            print(f"seeded to {devices} devices in {time.perf_counter() - started:.0f} s")
            measure(devices, args)


if __name__ == "__main__":
    with reported():
        main()

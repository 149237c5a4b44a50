"""Wall screens under load, on the production stack (PostgreSQL, Redis, daphne) with the whole
demo metropolis: time to interactive, event-to-screen latency, longest main-thread task, and
daphne's memory over a soak.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_i3 \\
      REDIS_URL=redis://127.0.0.1:6379/3 CHANNEL_PREFIX=i3 \\
      .venv/bin/python bench/wall_live.py --rates 0,100,1000 --seconds 20 --soak-seconds 300

How it measures:
- One daphne process serves the API and the 20 screens' sockets. Screen 1 is the full wall page
  in headless Chromium (1920x1080, 34,000+ devices on the canvas); screens 2..20 are real
  WebSocket connections to the same consumer from a second page (each receives every frame),
  so the server does the work of 20 screens without 20 canvases competing for 2 cores.
- Background load: a separate process changes the status of random devices at the given rate
  (a phase at rate 0 has only the probes: the baseline),
  in one transaction per 10 ms tick (as a telemetry batch ingest does), each change an
  `equipment.status_changed` event with the device's snapshot.
- Latency probes: every 100 ms the bench PATCHes a probe device through the REST API and
  notes when the call returns; the wall page notes when the frame holding that status is on
  the screen: drawn (the wall's requestAnimationFrame) and painted (the next animation frame,
  bench/_browser.py). Latency = painted - returned (same machine, same clock). The time the
  page applied the frame (its WebSocket callback, before drawing) is printed beside it.
- Time to interactive: navigation start -> the wall's first full drawing painted.
- Long tasks: PerformanceObserver("longtask") in the wall page during each load phase; the
  browser reports only tasks over 50 ms, so none reported prints as "no long task over 50 ms".
"""

import argparse
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

from _browser import CHROMIUM, CHROMIUM_ARGS, PAGE_PROBES, long_tasks_text, ready_to_draw
from _report import reported
from _setup import ROOT, percentile, release_database, throwaway_database

PORT = int(os.environ.get("BENCH_PORT", "18310"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench-password-123"
PROBES = 40
SPAWN = multiprocessing.get_context("spawn")


def load_process(rate: int, seconds: float, exclude: list[int], db_name: str) -> None:
    """Change `rate` device statuses a second for `seconds`, one transaction per 10 ms tick."""
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = db_name  # the throw-away database (spawned process)
    from django.db import transaction

    from equipment.models import Equipment
    from equipment.services import equipment_snapshot
    from ondijon import bus

    devices = list(Equipment.objects.exclude(pk__in=exclude).order_by("pk"))
    rng = random.Random(rate)
    statuses = ["ok", "degraded", "fault", "offline", "maintenance"]
    tick = 0.01
    per_tick = rate * tick
    carry = 0.0
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        carry += per_tick
        count, carry = int(carry), carry - int(carry)
        batch = rng.sample(devices, count) if count else []
        if batch:
            with transaction.atomic():
                records = []
                for device in batch:
                    previous, device.status = device.status, rng.choice(statuses)
                    records.append(
                        bus.EventRecord(
                            kind="equipment.status_changed",
                            subject_type="equipment",
                            subject_id=device.pk,
                            subject_label=device.code,
                            payload={
                                "equipment": equipment_snapshot(device),
                                "previous_status": previous,
                            },
                        )
                    )
                Equipment.objects.bulk_update(batch, ["status"])
                bus.emit_many(records)
        next_tick = started + (int(elapsed / tick) + 1) * tick
        time.sleep(max(0.0, next_tick - time.monotonic()))


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def api_patch(token: str, equipment_id: int, status: str) -> None:
    request = urllib.request.Request(
        f"{BASE}/api/v1/equipment/{equipment_id}/",
        data=json.dumps({"status": status}).encode(),
        method="PATCH",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


# Per probe status shown: [device, status, epoch ms] when the frame was applied (WebSocket
# callback) and when it was painted.
FRAME_RECORDER = (
    PAGE_PROBES
    + """
window.__applied = [];
window.__painted = [];
document.addEventListener("wall:frame", (event) => {
  const applied = Date.now();
  const changed = (event.detail.objects || {}).equipment || {};
  const seen = (window.__probeKeys || []).filter((key) => changed[key]).map((key) => [key, changed[key][2]]);
  if (!seen.length) return;
  for (const [key, status] of seen) window.__applied.push([key, status, applied]);
  window.__afterPaint((painted) => {
    for (const [key, status] of seen) window.__painted.push([key, status, painted]);
  });
});
"""
)

SOCKETS = """
(count) => {
  window.__sockets = [];
  for (let i = 0; i < count; i++) {
    const state = { seq: Number(%(seq)s), frames: 0 };
    const open = () => {
      const ws = new WebSocket(`ws://${location.host}/ws/wall/main/?after=${state.seq}`);
      ws.onmessage = (m) => { const d = JSON.parse(m.data); if (d.type === "frame" && d.after === state.seq) { state.seq = d.seq; state.frames++; } };
      ws.onclose = () => setTimeout(open, 500);
    };
    open();
    window.__sockets.push(state);
  }
}
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--rates", default="0,100,1000", help="background updates/s per phase (0: probes only)"
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--screens", type=int, default=20)
    parser.add_argument("--soak-seconds", type=float, default=0)
    args = parser.parse_args()

    from django.conf import settings

    if not (settings.DATABASE_IS_POSTGRES and settings.REDIS_URL):
        print("note: not the production stack (set DATABASE_URL and REDIS_URL)")
    from playwright.sync_api import sync_playwright
    from rest_framework.authtoken.models import Token

    from equipment.models import Equipment
    from ondijon.demo.seed import seed_demo
    from supervision.wall.state import last_seq

    with throwaway_database():
        started = time.perf_counter()
        seed_demo(password=PASSWORD)
        print(
            f"demo seeded in {time.perf_counter() - started:.1f}s: "
            f"{Equipment.objects.count()} devices"
        )
        from django.contrib.auth import get_user_model

        token = Token.objects.create(user=get_user_model().objects.get(username="admin")).key
        probes = list(
            Equipment.objects.filter(kind="streetlight")
            .order_by("pk")
            .values_list("pk", flat=True)[:PROBES]
        )
        db = settings.DATABASES["default"]
        env = {**os.environ, "DEBUG": "true"}
        if settings.DATABASE_IS_POSTGRES:
            env["DATABASE_URL"] = (
                f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
            )
        else:
            env["SQLITE_PATH"] = str(db["NAME"])
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
            env=env,
            cwd=ROOT,
        )
        try:
            time.sleep(4)
            run(args, token, probes, daphne, db["NAME"], last_seq, sync_playwright)
        finally:
            daphne.terminate()
            daphne.wait(timeout=10)
            release_database()


def run(args, token, probes, daphne, db_name, last_seq, sync_playwright) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        page.goto(f"{BASE}/accounts/login/")
        page.fill("#id_username", "wall")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

        page.add_init_script(FRAME_RECORDER)
        # Time to interactive: navigation start -> snapshot drawn, panels filled, painted.
        painted, drawn = [], []
        for _ in range(3):
            page.goto(f"{BASE}/wall/main/")
            page.wait_for_function("() => window.__readyPaintedMs !== null", timeout=60000)
            painted.append(round(page.evaluate("window.__readyPaintedMs")))
            drawn.append(int(page.evaluate("document.body.dataset.readyMs")))
        print(
            f"time to interactive, to the painted screen (whole demo, 3 loads): median "
            f"{statistics.median(painted)} ms, all {painted} (drawn, before the paint: {drawn})"
        )
        page.goto(f"{BASE}/wall/main/")
        page.wait_for_selector("#wall-connection[data-state=live]", timeout=30000)
        page.evaluate(f"window.__probeKeys = {json.dumps([str(p) for p in probes])}")
        others = context.new_page()
        others.goto(f"{BASE}/wall/")
        seq = page.evaluate("document.body.dataset.lastSeq")
        others.evaluate(SOCKETS % {"seq": seq}, args.screens - 1)
        time.sleep(2)
        print(f"wall page idle: {ready_to_draw(page):.0f} animation frames/s")
        print(f"daphne RSS at start: {rss_kb(daphne.pid) / 1024:.0f} MB")

        for rate in [int(r) for r in args.rates.split(",")]:
            phase(page, others, token, probes, rate, args, db_name, last_seq)
        if args.soak_seconds:
            soak(page, others, token, probes, daphne, args.soak_seconds, db_name, last_seq)
        browser.close()


def phase(page, others, token, probes, rate, args, db_name, last_seq) -> None:
    seconds = args.seconds
    page.evaluate(
        "window.__applied = []; window.__painted = []; window.__longTasks = [];"
        " window.__countFrames();"
    )
    load = SPAWN.Process(target=load_process, args=(rate, seconds, probes, db_name))
    load.start()
    time.sleep(1)  # let the load settle
    sent = {}
    statuses = ["fault", "ok"]
    n = 0
    phase_start = time.time() * 1000
    end = time.monotonic() + seconds - 2
    while time.monotonic() < end:
        key = probes[n % len(probes)]
        status = statuses[(n // len(probes)) % 2]
        api_patch(token, key, status)
        sent[(str(key), status, n // len(probes))] = time.time() * 1000
        n += 1
        time.sleep(0.1)
    load.join()
    time.sleep(1.5)
    frame_rate = page.evaluate("window.__framesPerSecond()")
    painted = latencies_after(sent, page.evaluate("window.__painted"))
    applied = latencies_after(sent, page.evaluate("window.__applied"))
    long_tasks = [d for at, d in page.evaluate("window.__longTasks") if at >= phase_start]
    renders = page.evaluate(
        "(since) => performance.getEntriesByName('wall:render')"
        ".filter((e) => performance.timeOrigin + e.startTime >= since).map((e) => e.duration)",
        phase_start,
    )
    seqs = others.evaluate("window.__sockets.map((s) => s.seq)")
    wall_seq = int(page.evaluate("document.body.dataset.lastSeq"))
    server_seq = last_seq()
    at_last = sum(s == server_seq for s in seqs) + (wall_seq == server_seq)
    render_text = (
        f"wall render p99 {percentile(renders, 0.99):.0f} ms, max {max(renders):.0f} ms"
        if renders
        else "no render"
    )
    print(
        f"{rate} updates/s, {seconds:.0f}s, {args.screens} screens: API answer -> painted on the "
        f"wall p50 {quantile_text(painted, 0.5)}, p99 {quantile_text(painted, 0.99)} "
        f"({len(painted)}/{len(sent)} probes seen; applied, before drawing: p50 "
        f"{quantile_text(applied, 0.5)}, p99 {quantile_text(applied, 0.99)}); "
        f"{long_tasks_text(long_tasks)}; {render_text}; {frame_rate:.0f} animation frames/s; "
        f"screens at the server's last number: {at_last}/{args.screens}"
    )


def latencies_after(sent: dict, seen: list) -> list[float]:
    """Per probe sent, ms from the API's answer to the first time the page showed it."""
    latencies = []
    for (key, status, _round), returned in sorted(sent.items(), key=lambda item: item[1]):
        later = [at for k, s, at in seen if k == key and s == status and at >= returned - 1000]
        if later:
            latencies.append(max(0.0, min(later) - returned))
    return latencies


def quantile_text(values: list[float], fraction: float) -> str:
    return f"{percentile(values, fraction):.0f} ms" if values else "none"


def soak(page, others, token, probes, daphne, seconds, db_name, last_seq) -> None:
    load = SPAWN.Process(target=load_process, args=(1000, seconds, probes, db_name))
    samples = [rss_kb(daphne.pid)]
    load.start()
    stop = threading.Event()
    while load.is_alive():
        load.join(timeout=30)
        samples.append(rss_kb(daphne.pid))
    stop.set()
    time.sleep(2)
    samples.append(rss_kb(daphne.pid))
    print(
        f"soak 1000 updates/s for {seconds:.0f}s: daphne RSS start {samples[0] / 1024:.0f} MB, "
        f"end {samples[-1] / 1024:.0f} MB, max {max(samples) / 1024:.0f} MB "
        f"(samples every 30 s: {[round(s / 1024) for s in samples]})"
    )
    print(f"wall page at {page.evaluate('document.body.dataset.lastSeq')}, server at {last_seq()}")


if __name__ == "__main__":
    with reported():
        main()

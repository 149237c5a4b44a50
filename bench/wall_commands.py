"""The wall's commands panel during the demo's lockdown (2,270 commands in a few seconds) and its
rollback: what the screen receives and how long its main thread is busy.

    DEBUG=1 .venv/bin/python bench/wall_commands.py                      # embedded, SQLite
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ondijon_wc \\
      REDIS_URL=redis://127.0.0.1:6379/10 CHANNEL_PREFIX=wc \\
      .venv/bin/python bench/wall_commands.py --stack production

How it measures:
- The whole demo metropolis is seeded in a throw-away database; one daphne process serves it.
  Embedded stack: Celery eager and the simulated devices (0.2-1.5 s, 1 % refusing) inside
  daphne, as `manage.py demo` runs. Production stack: a Celery worker on Redis with the MQTT
  adapter, the acknowledgement listener and simulated MQTT devices (bench/_command_stack.py).
- Headless Chromium (1920x1080) shows the main wall (34,000+ devices on the canvas, every
  panel). The bench switches the city into lockdown through the API, waits until the panel
  counts every command as acknowledged or failed, then rolls back the same way.
- Per phase: time from the API request to the first command painted on the panel and to the
  last one finished painted (the page reads its panel once each frame it applied is painted:
  bench/_browser.py), the frames the screen received (count, largest, total bytes; counted by
  the browser's WebSocket inspector, not in the page), the long tasks (PerformanceObserver
  "longtask", which reports only tasks over 50 ms) and the wall's render times; an idle phase
  of the same length gives the baseline. At the end the screen's state is compared with a
  fresh snapshot.
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

from _browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_PROBES,
    long_tasks_since,
    long_tasks_text,
    ready_to_draw,
)
from _command_stack import database_url, production_stack
from _report import reported
from _setup import ROOT, percentile, release_database, throwaway_database

PORT = int(os.environ.get("BENCH_PORT", "18320"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench-password-123"
TIMEOUT_S = 180

OBSERVERS = (
    PAGE_PROBES
    + """
// What each frame carried (read from the event the wall dispatches; cheap): to say what a long
// task followed.
window.__frames = [];
// The commands panel as painted after each frame: [epoch ms, in flight, acknowledged, failed].
window.__panels = [];
const panel = () => [Number(document.getElementById("cmd-in-flight").textContent),
  Number(document.getElementById("cmd-acknowledged").textContent),
  Number(document.getElementById("cmd-failed").textContent)];
document.addEventListener("wall:frame", (event) => {
  const frame = event.detail;
  window.__frames.push([Date.now(), Object.keys((frame.objects || {}).command || {}).length,
    Object.keys(frame.objects || {}).filter((t) => t !== "command").join("+"), !!frame.mode]);
  // The panel is read in the first animation frame, after the wall drew it, and stamped in the
  // next, once painted.
  requestAnimationFrame(() => {
    const shown = panel();
    requestAnimationFrame(() => window.__panels.push([Date.now(), ...shown]));
  });
});
"""
)

PANEL = """() => ({
  inFlight: Number(document.getElementById("cmd-in-flight").textContent),
  acknowledged: Number(document.getElementById("cmd-acknowledged").textContent),
  failed: Number(document.getElementById("cmd-failed").textContent),
  rows: document.querySelectorAll("#command-list li[data-command]").length,
})"""


def api_post(token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{BASE}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


class Frames:
    """Sizes of the frames the wall page receives, read off its socket by Playwright."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def attach(self, page) -> None:
        def on_socket(socket) -> None:
            socket.on("framereceived", self.received)

        page.on("websocket", on_socket)

    def received(self, payload) -> None:
        text = payload if isinstance(payload, str) else payload.decode()
        if '"frame"' in text[:60]:
            self.sizes.append(len(text.encode()))

    def take(self) -> str:
        sizes, self.sizes = self.sizes, []
        if not sizes:
            return "no frame"
        return (
            f"{len(sizes)} frames, largest {max(sizes) / 1024:.0f} KiB, "
            f"total {sum(sizes) / 1024:.0f} KiB"
        )


def long_tasks(page, since_ms: float) -> str:
    """Each long task, and the frame applied just before it (command rows, other objects,
    whether the city mode changed)."""
    frames = page.evaluate("window.__frames")
    lines = []
    for at, duration in page.evaluate("window.__longTasks"):
        if at < since_ms:
            continue
        before = [f for f in frames if f[0] <= at + duration]
        rows, others, mode = before[-1][1:] if before else (0, "", False)
        lines.append(
            f"{duration:.0f} ms at +{(at - since_ms) / 1000:.2f} s after a frame of {rows} "
            f"command rows, other objects: {others or 'none'}{', city mode' if mode else ''}"
        )
    return "; ".join(lines)


def main_thread(page, since_ms: float) -> str:
    tasks = long_tasks_since(page, since_ms)
    renders = page.evaluate(
        "(since) => performance.getEntriesByName('wall:render')"
        ".filter((e) => performance.timeOrigin + e.startTime >= since).map((e) => e.duration)",
        since_ms,
    )
    if not renders:
        return f"{long_tasks_text(tasks)}; no render"
    return (
        f"{long_tasks_text(tasks)}; {len(renders)} renders, "
        f"p50 {statistics.median(renders):.1f} ms, p99 {percentile(renders, 0.99):.1f} ms, "
        f"max {max(renders):.1f} ms"
    )


def painted_times(page, since_ms: float, finished_before: int, total: int):
    """Seconds from `since_ms` until the panel painted a first command in flight, and until
    it painted all `total` commands finished with none in flight (None if it never did)."""
    first = done = None
    for at, in_flight, acknowledged, failed in page.evaluate("window.__panels"):
        if at < since_ms:
            continue
        if first is None and in_flight > 0:
            first = (at - since_ms) / 1000
        if done is None and acknowledged + failed - finished_before >= total and in_flight == 0:
            done = (at - since_ms) / 1000
    return first, done


def phase(page, frames: Frames, label: str, start) -> None:
    """Run `start()` (an API call returning how many commands it planned), then follow the
    panel until that many more commands are finished and none is in flight."""
    before = page.evaluate(PANEL)
    finished_before = before["acknowledged"] + before["failed"]
    frames.take()
    since = time.time() * 1000
    started = time.perf_counter()
    total = start()
    returned = time.perf_counter()
    peak = 0
    while time.perf_counter() - returned < TIMEOUT_S:
        panel = page.evaluate(PANEL)
        peak = max(peak, panel["inFlight"])
        finished = panel["acknowledged"] + panel["failed"] - finished_before
        if finished >= total and panel["inFlight"] == 0:
            break
        time.sleep(0.02)
    time.sleep(0.2)  # the last frame painted
    first, done = painted_times(page, since, finished_before, total)
    print(
        f"{label:<9} {total} commands | API answered in {returned - started:.2f} s | painted on "
        f"the panel: first command {seconds_text(first)}, all finished {seconds_text(done)} "
        f"after the request (peak {peak} in flight; {panel['acknowledged']} acknowledged, "
        f"{panel['failed']} failed today)\n{'':<9} {frames.take()}; {main_thread(page, since)}"
    )
    if detail := long_tasks(page, since):
        print(f"{'':<9} long tasks: {detail}")


def seconds_text(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def idle(page, frames: Frames, seconds: float) -> None:
    frames.take()
    since = time.time() * 1000
    time.sleep(seconds)
    print(f"{'idle':<9} {seconds:.0f} s | {frames.take()}; {main_thread(page, since)}")


def run(stack: str) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from playwright.sync_api import sync_playwright
    from rest_framework.authtoken.models import Token

    from ondijon.demo.seed import seed_demo
    from supervision.crisis import services as crisis
    from supervision.models import ActivationCommand, CrisisMode
    from supervision.wall import state as wall

    started = time.perf_counter()
    seed_demo(password=PASSWORD)
    mode = CrisisMode.objects.get(code="lockdown")
    check = crisis.precheck(mode)
    print(
        f"stack {stack}: demo seeded in {time.perf_counter() - started:.0f} s; lockdown "
        f"playbook: {check['devices']} devices, {check['offline']} offline"
    )
    token = Token.objects.create(user=get_user_model().objects.get(username="admin")).key
    db = settings.DATABASES["default"]
    env = {**os.environ, "DEBUG": "true"}
    if settings.DATABASE_IS_POSTGRES:
        env["DATABASE_URL"] = database_url()
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(PORT)]
    daphne = subprocess.Popen([*command, "ondijon.asgi:application"], env=env, cwd=ROOT)
    try:
        time.sleep(4)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            page.goto(f"{BASE}/accounts/login/")
            page.fill("#id_username", "wall")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
            page.add_init_script(OBSERVERS)
            frames = Frames()
            frames.attach(page)
            page.goto(f"{BASE}/wall/main/")
            page.wait_for_selector("#wall-connection[data-state=live]", timeout=60000)
            time.sleep(2)
            print(f"{'idle':<9} wall page: {ready_to_draw(page):.0f} animation frames/s")
            # The observer's check: loading 34,000 devices does take long tasks.
            print(f"{'load':<9} snapshot and first draw | {main_thread(page, 0)}")
            idle(page, frames, 10)
            activation = {}

            def planned(phase_name: str) -> int:
                """The plan is recorded by the switch itself: known once the API answered."""
                return ActivationCommand.objects.filter(
                    activation_id=activation["id"], phase=phase_name
                ).count()

            def activate() -> int:
                body = {"reason": "Benchmark", "confirm": True}
                activation.update(api_post(token, "/api/v1/crisis-modes/lockdown/activate/", body))
                return planned(ActivationCommand.Phase.APPLY)

            def deactivate() -> int:
                path = f"/api/v1/crisis-activations/{activation['id']}/deactivate/"
                api_post(token, path, {"reason": "Benchmark over"})
                return planned(ActivationCommand.Phase.RESTORE)

            phase(page, frames, "lockdown", activate)
            page.screenshot(path=str(ROOT / "test-artifacts" / "bench-wall-commands.png"))
            phase(page, frames, "rollback", deactivate)
            time.sleep(2)
            page.wait_for_function(
                f"Number(document.body.dataset.lastSeq) >= {wall.last_seq()}", timeout=30000
            )
            fresh = json.loads(json.dumps(wall.build_snapshot()))
            shown = page.evaluate(
                "() => JSON.parse(JSON.stringify({seq: window.ondijonWall.state.seq,"
                " command: window.ondijonWall.state.command,"
                " commands: window.ondijonWall.state.commands}))"
            )
            same = shown == {k: fresh[k] for k in ("seq", "command", "commands")}
            print(
                f"screen at {shown['seq']}, server at {fresh['seq']}: commands state equal: {same}"
            )
            browser.close()
    finally:
        daphne.terminate()
        try:
            daphne.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daphne.kill()
        release_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=["embedded", "production"], default="embedded")
    args = parser.parse_args()
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    with throwaway_database():
        stack = production_stack() if args.stack == "production" else contextlib.nullcontext()
        with stack:
            run(args.stack)


if __name__ == "__main__":
    with reported():
        main()

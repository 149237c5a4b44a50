"""Live video on a wall: camera frame -> painted in Chromium, first frame, 16 tiles' frame
rate, the gateway's CPU, and one pull per camera however many walls watch.

    DEBUG=1 .venv/bin/python bench/video_latency.py [--seconds 20] [--walls 4]

How it measures:
- A throw-away SQLite database with 16 simulated cameras (ondijon/demo/cameras.py: each
  picture carries a bar code of its capture time in ms) and wall screens of 2×2 and 4×4.
- The media gateway runs as its own process (`manage.py media_gateway`), daphne serves the web
  app with MEDIA_GATEWAY_URLS pointing at it. On this stack the gateway also draws and encodes
  the simulated cameras (no RTSP server here); their encoding alone is measured in this
  process for the same pictures and time and taken off, leaving the relay's share.
- Headless Chromium (1920x1080) opens the wall as a kiosk. Each tile reads the stamp of every
  painted frame (requestVideoFrameCallback: expectedDisplayTime against Date.now()'s clock,
  same machine): latency = painted - captured. First frame = tile opened -> first painted,
  with the median time each step of the setup ended at: the browser's ICE candidates
  gathered, the web app's answer back (its checks, the gateway's answer, the view logged),
  the connection up (ICE and DTLS); the rest is the wait for a keyframe and the decoding.
- Phase 1: the 2×2 wall. Phase 2: the 4×4 wall (16 distinct cameras): frames painted per
  second per tile, the pictures each camera gave the gateway per second (its status), and the
  gateway's CPU (utime+stime from /proc) over the phase. Phase 3:
  `--walls` pages of the 4×4 wall at once; the gateway's status says how many times it opened
  each camera (1 = pulled once).
- Phase 4, main or sub stream on the 4×4 wall, paired (`--pairs`, order alternating): daphne
  restarted with VIDEO_SUB_STREAM_FROM_LAYOUT=99 (every tile the 640×360 main stream: before)
  or the default 9 (the 320×180 sub stream: after), the 16 tiles' painted frames per second
  (requestVideoFrameCallback), the frames Chromium decoded and dropped
  (getVideoPlaybackQuality), and the gateway's CPU. `--streams-only` runs this phase alone.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

from _browser import CHROMIUM, CHROMIUM_ARGS
from _report import paired, reported
from _setup import ROOT, percentile, throwaway_database

PORT = int(os.environ.get("BENCH_PORT", "18340"))
GATEWAY_PORT = PORT + 1
BASE = f"http://127.0.0.1:{PORT}"
GATEWAY = f"http://127.0.0.1:{GATEWAY_PORT}"
TOKEN = "bench-gateway-token-0123456789"
PASSWORD = "bench-password-123"
CAMERAS = 16
APP = "ondijon.asgi:application"


def seed() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from equipment import cameras
    from equipment.models import District, Equipment
    from ondijon import roles
    from supervision.models import WallScreen

    roles.sync_roles()
    district = District.objects.create(
        code="b", name="Bench", center_latitude=47.32, center_longitude=5.04
    )
    codes = []
    for number in range(CAMERAS):
        code = f"CAM-B{number:02d}"
        equipment = Equipment.objects.create(
            code=code,
            kind=Equipment.Kind.CAMERA,
            district=district,
            latitude=47.32 + number * 0.001,
            longitude=5.04,
        )
        cameras.create_camera({"equipment": equipment, "simulated": True})
        codes.append(code)
    for slug, layout in (("v4", 4), ("v16", 16)):
        WallScreen.objects.create(
            slug=slug,
            name=slug,
            panels=["video"],
            video_layout=layout,
            video_tiles=[{"cameras": [code]} for code in codes[:layout]],
        )
    kiosk = get_user_model().objects.create_user("kiosk", password=PASSWORD)
    kiosk.groups.add(Group.objects.get(name=roles.WALL_DISPLAY))


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def encoding_cpu(pictures: int) -> float:
    """CPU seconds this process spends drawing and encoding `pictures` simulated pictures."""
    from ondijon.demo.cameras import TestPattern

    pattern = TestPattern(1)
    start = time.process_time()
    for index in range(pictures):
        pattern.encode(1_000_000 + index * 40)
    return time.process_time() - start


def gateway_status() -> dict:
    request = urllib.request.Request(f"{GATEWAY}/status", headers={"X-Gateway-Token": TOKEN})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_port(port: int, process: subprocess.Popen) -> None:
    import socket

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("a server stopped")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def open_wall(browser, slug: str):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{BASE}/wall/{slug}/")
    page.fill("#id_username", "kiosk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def stats(page) -> dict:
    return page.evaluate("() => JSON.parse(JSON.stringify(window.ondijonVideo.tiles))")


def wait_live(page, tiles: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = stats(page) if page.evaluate("() => !!window.ondijonVideo") else {}
        if len(state) == tiles and all(tile["frames"] > 0 for tile in state.values()):
            return
        time.sleep(0.2)
    raise RuntimeError(f"tiles not live: {stats(page)}")


def phase(page, tiles: int, seconds: float, gateway_pid: int) -> dict:
    wait_live(page, tiles)
    before, cpu_before, started = stats(page), cpu_seconds(gateway_pid), time.monotonic()
    time.sleep(seconds)
    after, cpu_after, elapsed = stats(page), cpu_seconds(gateway_pid), time.monotonic() - started
    latencies = [value for tile in after.values() for value in tile["latencies"]]
    fps = [(after[n]["frames"] - before[n]["frames"]) / elapsed for n in sorted(after, key=int)]
    return {
        "latencies": latencies,
        "first": [tile["firstFrameMs"] for tile in after.values()],
        "setup": [tile["setup"] for tile in after.values()],
        "fps": fps,
        "cpu": (cpu_after - cpu_before) / elapsed,
        "elapsed": elapsed,
    }


def camera_rates(before: dict, after: dict, elapsed: float) -> list[float]:
    """Packets (one a picture) each camera gave the gateway per second between two statuses."""
    return [
        (feed["packets"] - before["feeds"].get(camera, {"packets": 0})["packets"]) / elapsed
        for camera, feed in after["feeds"].items()
        if feed["viewers"]
    ]


def setup_steps(result: dict) -> str:
    """The median time each step of a view's setup ended at, after the tile opened."""
    steps = {"gathered": "ICE gathered", "answered": "gateway answered", "connected": "connected"}
    parts = [
        f"{label} {statistics.median(setup[step] for setup in result['setup']):.0f} ms"
        for step, label in steps.items()
        if all(step in (setup or {}) for setup in result["setup"])
    ]
    return ", ".join([*parts, f"first frame {statistics.median(result['first']):.0f} ms"])


def playback(page) -> list[tuple[int, int]]:
    """Each tile's (decoded, dropped) frames so far, as Chromium counts them."""
    return [
        tuple(pair)
        for pair in page.evaluate(
            """() => [...document.querySelectorAll('.video-tile video')].map((video) => {
                const quality = video.getVideoPlaybackQuality();
                return [quality.totalVideoFrames, quality.droppedVideoFrames];
            })"""
        )
    ]


def start_daphne(env: dict) -> subprocess.Popen:
    daphne = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(PORT), APP],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(PORT, daphne)
    return daphne


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:  # a busy machine: its views still closing
        process.kill()
        process.wait(timeout=15)


def sixteen_tiles(browser, env: dict, gateway_pid: int, seconds: float, sub: bool) -> dict:
    """One run of the 4×4 wall on the sub stream or the main one (daphne started for it)."""
    daphne = start_daphne({**env, "VIDEO_SUB_STREAM_FROM_LAYOUT": "9" if sub else "99"})
    try:
        page = open_wall(browser, "v16")
        wait_live(page, 16)
        quality_before, started = playback(page), time.monotonic()
        result = phase(page, 16, seconds, gateway_pid)
        quality_after, elapsed = playback(page), time.monotonic() - started
        streams = {tile["stream"] for tile in stats(page).values()}
        page.close()
    finally:
        stop(daphne)
    decoded = [(a[0] - b[0]) / elapsed for a, b in zip(quality_after, quality_before, strict=True)]
    dropped = [(a[1] - b[1]) / elapsed for a, b in zip(quality_after, quality_before, strict=True)]
    time.sleep(4)  # this run's feeds stop being pulled before the next run
    return {
        "streams": streams,
        "fps": statistics.median(result["fps"]),
        "lowest": min(result["fps"]),
        "decoded": statistics.median(decoded),
        "dropped": statistics.median(dropped),
        "cpu": result["cpu"],
        "latency": percentile(result["latencies"], 0.5) if result["latencies"] else float("nan"),
    }


def report_streams(browser, env: dict, gateway_pid: int, args) -> None:
    runs = {"sub": [], "main": []}

    def run(sub: bool) -> float:
        figures = sixteen_tiles(browser, env, gateway_pid, args.seconds, sub)
        runs["sub" if sub else "main"].append(figures)
        print(
            f"  4×4 wall, {'/'.join(sorted(figures['streams']))} stream: painted "
            f"{figures['fps']:.1f}/s per tile (median; lowest {figures['lowest']:.1f}), decoded "
            f"{figures['decoded']:.1f}/s, dropped {figures['dropped']:.1f}/s, frame -> painted "
            f"p50 {figures['latency']:.0f} ms, gateway CPU {figures['cpu'] * 100:.0f} %; "
            f"load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        return figures["fps"]

    result = paired(lambda: run(True), lambda: run(False), args.pairs)
    print(
        f"4×4 wall, 16 tiles, painted frames/s per tile (median of tiles, then of {args.pairs} "
        f"paired runs): main stream 640×360 (before) {result.baseline:.1f}, sub stream 320×180 "
        f"(after) {result.measured:.1f}; ratio after/before {result.ratio:.2f} (pairs: "
        f"{result.ratios_text()})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--walls", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--streams-only", action="store_true")
    args = parser.parse_args()
    from django.db import connection
    from playwright.sync_api import sync_playwright

    with reported(), throwaway_database():
        seed()
        env = {
            **os.environ,
            "DEBUG": "true",
            "SQLITE_PATH": str(connection.settings_dict["NAME"]),
            "MEDIA_GATEWAY_URLS": GATEWAY,
            "MEDIA_GATEWAY_TOKEN": TOKEN,
            "MEDIA_GATEWAY_IDLE_SECONDS": "3",
        }
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        gateway = subprocess.Popen(
            [sys.executable, "manage.py", "media_gateway", "--port", str(GATEWAY_PORT)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_port(GATEWAY_PORT, gateway)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                if not args.streams_only:
                    daphne = start_daphne(env)
                    try:
                        report(browser, args, gateway.pid)
                    finally:
                        stop(daphne)
                    time.sleep(4)
                report_streams(browser, env, gateway.pid, args)
                browser.close()
        finally:
            stop(gateway)


def report(browser, args, gateway_pid: int) -> None:
    page = open_wall(browser, "v4")
    four = phase(page, 4, args.seconds, gateway_pid)
    page.close()
    lat = four["latencies"]
    print(
        f"2×2 wall, {args.seconds:g} s: frame -> painted p50 {percentile(lat, 0.5):.0f} ms, "
        f"p95 {percentile(lat, 0.95):.0f} ms ({len(lat)} stamped frames); first frame "
        f"median {statistics.median(four['first']):.0f} ms, max {max(four['first']):.0f} ms"
    )
    print(f"2×2 wall, first frame's setup: {setup_steps(four)}")
    time.sleep(4)  # the 2×2 wall's cameras stop being pulled
    page = open_wall(browser, "v16")
    wait_live(page, 16)
    sent_before, sent_started = gateway_status(), time.monotonic()
    sixteen = phase(page, 16, args.seconds, gateway_pid)
    sent = camera_rates(sent_before, gateway_status(), time.monotonic() - sent_started)
    pictures = int(CAMERAS * 25 * sixteen["elapsed"])
    encoding = encoding_cpu(min(pictures, 2000)) * pictures / min(pictures, 2000)
    encoding_share = encoding / sixteen["elapsed"]
    lat = sixteen["latencies"]
    print(
        f"4×4 wall, 16 cameras: frames painted per second per tile: median "
        f"{statistics.median(sixteen['fps']):.1f}, lowest {min(sixteen['fps']):.1f}; "
        f"frame -> painted p50 {percentile(lat, 0.5):.0f} ms, p95 {percentile(lat, 0.95):.0f} ms"
    )
    print(
        f"4×4 wall, pictures the 16 simulated cameras gave the gateway per second: median "
        f"{statistics.median(sent):.1f}, lowest {min(sent):.1f}"
    )
    print(
        f"4×4 wall, first frame median {statistics.median(sixteen['first']):.0f} ms, max "
        f"{max(sixteen['first']):.0f} ms; setup: {setup_steps(sixteen)}"
    )
    print(
        f"gateway CPU: {sixteen['cpu'] * 100:.0f} % of one core in all; drawing and encoding "
        f"the 16 simulated cameras alone {encoding_share * 100:.0f} %; relay (the rest) "
        f"{max(sixteen['cpu'] - encoding_share, 0) * 100:.0f} %"
    )
    pages = [page] + [open_wall(browser, "v16") for _ in range(args.walls - 1)]
    for other in pages[1:]:
        wait_live(other, 16, timeout=60)
    status = gateway_status()
    pulls = [feed["pulls"] for feed in status["feeds"].values()]
    print(
        f"{args.walls} walls × 16 cameras: {status['sessions']} WebRTC sessions, cameras pulled "
        f"{sorted(set(pulls))} time(s) each ({len(pulls)} cameras)"
    )
    for other in pages:
        other.close()


if __name__ == "__main__":
    main()

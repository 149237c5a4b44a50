"""How long live pages take to be live and caught up again after a database or Redis fault,
on servers of the bench's own (tests/instances.py: never the machine's shared ones).

    .venv/bin/python bench/live_recovery.py [--down-seconds 10]

How it measures:
- Its own PostgreSQL and Redis on free ports; one daphne on them (production defaults:
  WALL_HEARTBEAT_SECONDS 5, WALL_RECOVERY_SECONDS 15). In headless Chromium, the main wall screen
  (kiosk account) and the dispatcher's desk.
- Each fault, then one change (a new intervention, which both pages show) written by the bench
  process straight into the database: its message never reaches daphne's Redis, so the pages
  learn of it only from the log (the heartbeat's catch-up or a reconnection's replay), the path
  every lost message takes.
- Recovery = from the moment the service is back (or the sessions were cut) until both pages
  say "live" (body[data-connection]) at the log's last number. The pages' states in between
  are recorded in the page (a MutationObserver), so "left live" says whether the page showed
  the fault.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.instances import own_postgres, own_redis, wait_for_port  # noqa: E402

PASSWORD = "bench-password-123"
STATES = """
window.__states = [];
new MutationObserver(() => {
  window.__states.push([Date.now(), document.body.dataset.connection]);
}).observe(document, { subtree: true, attributes: true,
  attributeFilter: ["data-connection"] });
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down-seconds", type=float, default=10)
    args = parser.parse_args()
    with own_postgres() as postgres, own_redis() as redis:
        # The bench process works on its own PostgreSQL and publishes nowhere (in-memory layer).
        os.environ["DATABASE_URL"] = postgres.url("ondijon_bench")
        os.environ.pop("REDIS_URL", None)
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs a loop
        from _report import reported
        from _setup import release_database, throwaway_database

        with reported(), throwaway_database():
            print(f"daphne on: own PostgreSQL :{postgres.port}, own Redis :{redis.port}")
            try:
                run(postgres, redis, args.down_seconds)
            finally:
                from django.db import connection

                connection.close()
                release_database()


def run(postgres, redis, down_seconds: float) -> None:
    from _browser import CHROMIUM, CHROMIUM_ARGS
    from _command_stack import database_url
    from django.db import connection
    from playwright.sync_api import sync_playwright

    seed()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis.url,
        "CHANNEL_PREFIX": "bench-live",
        "DEBUG": "true",
    }
    log = open(f"/tmp/bench-live-recovery-daphne-{port}.log", "wb")  # noqa: SIM115
    daphne = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "ondijon.asgi:application"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=90)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = {"wall": open_page(browser, base, "kiosk", "/wall/main/"),
                     "desk": open_page(browser, base, "dora", "/dispatch/")}  # fmt: skip
            faults = [
                ("PostgreSQL: daphne's sessions terminated", lambda: cut_sessions(postgres)),
                (f"PostgreSQL restarted, {down_seconds:g} s down",
                 lambda: postgres.restart(down_seconds=down_seconds)),
                ("Redis restarted", redis.restart),
                (f"Redis paused {down_seconds:g} s", lambda: pause(redis, down_seconds)),
            ]  # fmt: skip
            print(f"{'fault':<42} {'wall':>8} {'desk':>8}  left live")
            for name, fault in faults:
                wait_caught_up(pages, timeout=60)
                for page in pages.values():
                    page.evaluate("window.__states = []")
                connection.close()
                fault()
                back = write_change()
                print(f"{name:<42} " + " ".join(recovery(pages, back)), flush=True)
            browser.close()
    finally:
        daphne.terminate()
        daphne.wait(timeout=15)
        log.close()


def seed() -> None:
    from django.contrib.auth.models import Group, User

    from ondijon import roles
    from supervision.models import WallScreen

    WallScreen.objects.get_or_create(
        slug="main", defaults={"name": "Main wall", "panels": WallScreen.Panel.values}
    )
    for username, role in [("kiosk", roles.WALL_DISPLAY), ("dora", roles.DISPATCHER)]:
        user = User.objects.create_user(username, password=PASSWORD)
        user.groups.add(Group.objects.get(name=role))


def free_port() -> int:
    from tests.instances import free_port as free

    return free()


def open_page(browser, base: str, username: str, path: str):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.add_init_script(STATES)
    page.goto(base + path)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + path)
    deadline = time.monotonic() + 30
    while page.evaluate("document.body.dataset.connection") != "live":
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not go live")
        time.sleep(0.1)
    return page


def cut_sessions(postgres) -> None:
    from django.db import connection

    postgres.terminate_sessions(connection.settings_dict["NAME"])


def pause(redis, seconds: float) -> None:
    with redis.paused(seconds):
        pass


def write_change() -> float:
    """Write the change as soon as the database takes it; return when it first did (epoch):
    the moment the service is back."""
    from django.db import OperationalError, connection

    from interventions import services

    while True:
        connection.close()
        attempt = time.time()
        try:
            services.create_intervention(
                {
                    "title": "Bench: fallen tree",
                    "category": "public_order",
                    "service": "police",
                    "priority": 2,
                    "latitude": 47.3221,
                    "longitude": 5.0412,
                    "address": "Rue de la Liberté",
                }
            )
            return attempt
        except OperationalError:  # still starting up
            time.sleep(0.1)


def page_caught_up(page, last: int) -> bool:
    state, seq = page.evaluate(
        "[document.body.dataset.connection, Number(document.body.dataset.lastSeq)]"
    )
    return state == "live" and seq == last


def wait_caught_up(pages: dict, timeout: float) -> None:
    from supervision.wall import state as wall

    last = wall.last_seq()
    deadline = time.monotonic() + timeout
    while not all(page_caught_up(page, last) for page in pages.values()):
        if time.monotonic() > deadline:
            raise RuntimeError("the pages did not come back live and caught up")
        time.sleep(0.1)


def recovery(pages: dict, back: float) -> list[str]:
    """Seconds after `back` (epoch) until each page was live at the log's last number."""
    from supervision.wall import state as wall

    last = wall.last_seq()
    shown, left = [], False
    for page in pages.values():
        deadline = time.monotonic() + 120
        while not page_caught_up(page, last):
            if time.monotonic() > deadline:
                shown.append("   never")
                break
            time.sleep(0.05)
        else:
            shown.append(f"{time.time() - back:7.1f}s")
        left |= any(state != "live" for _, state in page.evaluate("window.__states"))
    return [*shown, " yes" if left else " no"]


if __name__ == "__main__":
    main()

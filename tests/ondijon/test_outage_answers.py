"""Honest answers during an outage: while the database or Redis is unreachable, every
endpoint says 503 with `Retry-After` (JSON for the API, a plain page for people), never 500,
and a write whose publishing or hand-off to the worker waits on a frozen Redis still returns
at once (the screens repair by replay from the log, the command stays `requested`).

The platform runs as in production (daphne, DEBUG off) on a PostgreSQL and a Redis of the
test's own, which the test stops and freezes; the shared servers are never touched."""

import http.cookiejar
import json
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import psycopg
import pytest

from tests.conftest import ARTIFACTS, ROOT, die_with_parent, free_port, port_open, stop_daphne
from tests.instances import own_postgres, own_redis

pytestmark = pytest.mark.drill

PASSWORD = "correct horse battery staple"
# A request that waits on a frozen Redis waits as long as Redis stays frozen; with the
# platform's time-outs (0.5 s here, for publishing and for the hand-off) it returns well
# within this bound, however busy the machine.
BOUND = 3.0
SETUP = f"""
import json
PASSWORD = {PASSWORD!r}
from django.contrib.auth.models import Group, User
from equipment.models import District, Equipment
from equipment.tokens import issue_token
operator = User.objects.create_user("operator", password=PASSWORD)
operator.groups.add(Group.objects.get(name="operator"))
User.objects.create_superuser("admin", password=PASSWORD)
district = District.objects.create(code="centre", name="Centre", center_latitude=47.32,
                                   center_longitude=5.04)
light = Equipment.objects.create(code="SL-1", kind="streetlight", district=district,
                                 latitude=47.32, longitude=5.04)
token, key = issue_token("gateway", all_equipment=True)
print(json.dumps({{"key": key}}))
"""


class Browser:
    """A person's browser and a device, talking to the platform over HTTP."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.cookies if c.name == name)

    def request(self, method: str, path: str, body=None, headers=None, timeout: float = 20):
        headers = {"Referer": self.base + "/", **(headers or {})}
        data = None
        if isinstance(body, dict) and headers.get("Content-Type") == "application/json":
            data = json.dumps(body).encode()
        elif isinstance(body, dict):
            data = urllib.parse.urlencode(body).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def log_in(self, username: str) -> None:
        self.request("GET", "/accounts/login/")
        status, _, _ = self.request(
            "POST",
            "/accounts/login/",
            {
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.cookie("csrftoken"),
            },
        )
        assert status == 200, status  # redirected to the home page

    def send_readings(self, key: str, metrics: dict, timeout: float = 20):
        reading = {"device": "SL-1", "time": "2026-12-01T18:00:00+01:00", "metrics": metrics}
        return self.request(
            "POST",
            "/api/v1/telemetry/",
            {"readings": [reading]},
            {"Content-Type": "application/json", "Authorization": f"Token {key}"},
            timeout,
        )


@pytest.fixture(scope="module")
def platform():
    with own_postgres() as postgres, own_redis() as redis:
        database_url = postgres.create_database("ondijon")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ondijon.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis.url,
            "CHANNEL_PREFIX": "outage-drill",
            "DEBUG": "false",
            "SECRET_KEY": "outage-drill",
            "ALLOWED_HOSTS": "127.0.0.1",
            "PUBLISH_TIMEOUT_SECONDS": "0.5",
            "JOBS_HANDOFF_TIMEOUT_SECONDS": "0.5",
        }
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
        setup = subprocess.run(
            [*manage, "shell", "-c", SETUP], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert setup.returncode == 0, setup.stderr
        key = json.loads(setup.stdout.strip().splitlines()[-1])["key"]
        port = free_port()
        ARTIFACTS.mkdir(exist_ok=True)
        with (ARTIFACTS / f"daphne-outage-{port}.log").open("wb") as log:
            daphne = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                 "ondijon.asgi:application"],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
            )  # fmt: skip
        deadline = time.monotonic() + 90
        while not port_open("127.0.0.1", port):
            assert daphne.poll() is None and time.monotonic() < deadline, "daphne did not start"
            time.sleep(0.1)
        try:
            yield {
                "base": f"http://127.0.0.1:{port}",
                "key": key,
                "postgres": postgres,
                "redis": redis,
                "database_url": database_url,
            }
        finally:
            stop_daphne(daphne)


def assert_unavailable(answer, json_body: bool) -> None:
    status, headers, body = answer
    assert status == 503, (status, body[:300])
    assert int(headers["Retry-After"]) > 0
    if json_body:
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(body)["code"] == "unavailable"
    else:
        assert headers["Content-Type"].startswith("text/html")
        # the outage page, in French by default ("service brièvement indisponible")
        assert "indisponible" in body.lower()


def test_every_endpoint_answers_503_while_the_database_is_down(platform):
    person, device, visitor = (Browser(platform["base"]) for _ in range(3))
    person.log_in("operator")
    admin = Browser(platform["base"])
    admin.log_in("admin")
    visitor.request("GET", "/accounts/login/")
    assert person.request("GET", "/api/v1/equipment/")[0] == 200

    platform["postgres"].stop()
    try:
        # The device token is looked up before anything else: that lookup fails too.
        assert_unavailable(device.send_readings(platform["key"], {"lamp": "on"}), json_body=True)
        assert_unavailable(person.request("GET", "/api/v1/equipment/"), json_body=True)
        assert_unavailable(person.request("GET", "/"), json_body=False)
        assert_unavailable(admin.request("GET", "/admin/"), json_body=False)
        login = {
            "username": "operator",
            "password": PASSWORD,
            "csrfmiddlewaretoken": visitor.cookie("csrftoken"),
        }
        assert_unavailable(visitor.request("POST", "/accounts/login/", login), json_body=False)
    finally:
        platform["postgres"].start()

    deadline = time.monotonic() + 30
    while person.request("GET", "/api/v1/equipment/")[0] != 200:
        assert time.monotonic() < deadline, "the platform did not come back with its database"
        time.sleep(0.5)


def events_of_kind(database_url: str, kind: str) -> list[dict]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT payload FROM supervision_event WHERE kind = %s ORDER BY seq", [kind]
        ).fetchall()
    return [row[0] for row in rows]


def test_a_write_returns_at_once_while_redis_is_frozen_and_its_event_is_in_the_log(platform):
    device, person = Browser(platform["base"]), Browser(platform["base"])
    person.log_in("operator")
    already = len(events_of_kind(platform["database_url"], "command.requested"))
    with platform["redis"].paused():
        # Publishing the readings' events to the screens waits on Redis: it gives up quickly.
        started = time.monotonic()
        status, _, body = device.send_readings(platform["key"], {"status": "fault"}, timeout=30)
        reading_took = time.monotonic() - started
        # A command is handed to the worker through Redis: the hand-off gives up too.
        started = time.monotonic()
        status_command, _, body_command = person.request(
            "POST",
            "/api/v1/commands/",
            {"equipment": "SL-1", "action": "off", "reason": "drill"},
            {"Content-Type": "application/json", "X-CSRFToken": person.cookie("csrftoken")},
            timeout=30,
        )
        command_took = time.monotonic() - started
    assert status == 200 and json.loads(body)["accepted"] == 1, body
    assert reading_took < BOUND, f"the telemetry batch waited {reading_took:.1f} s on Redis"
    assert status_command == 201, body_command
    assert json.loads(body_command)["status"] == "requested"
    assert command_took < BOUND, f"the command request waited {command_took:.1f} s on Redis"
    # Both changes are in the log, from which the screens replay what they missed.
    assert events_of_kind(platform["database_url"], "equipment.status_changed")
    assert len(events_of_kind(platform["database_url"], "command.requested")) == already + 1


def test_the_daphne_of_the_stack_reports_itself_on_the_platform_panel(platform):
    with psycopg.connect(platform["database_url"]) as connection:
        rows = connection.execute(
            "SELECT kind, state FROM supervision_platformprocess WHERE kind = 'web'"
        ).fetchall()
    assert rows == [("web", "running")]


class Recorder(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_job_for_a_broker_that_is_down_is_logged_and_the_caller_goes_on():
    """`run_later` on the production stack with Redis down: the request is not held, the
    job is logged as not handed over (the work it stands for stays recorded for its sweep)."""
    from ondijon import jobs

    conf = jobs.task_named("equipment.tasks.send_commands").app.conf
    before = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = f"redis://127.0.0.1:{free_port()}/0", False
    recorder = Recorder()
    jobs.logger.addHandler(recorder)
    try:
        jobs.run_later("equipment.tasks.send_commands", [41, 42])
    finally:
        conf.broker_url, conf.task_always_eager = before
        jobs.logger.removeHandler(recorder)

    assert recorder.messages == [
        "Could not hand equipment.tasks.send_commands([41, 42],) to the worker"
    ]

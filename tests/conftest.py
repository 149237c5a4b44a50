"""Shared fixtures: users per role, API clients, and the rule that in CI nothing is skipped."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from ondijon import roles
from ondijon.celery import app as celery_app
from tests import replicated

# Tasks run in the test process; a test that needs a real worker starts one itself.
celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True

# PBKDF2's million rounds make every test user and login cost a third of a second of CPU; the
# tests check who may do what, not the strength of the stored hash (production keeps a million).
settings.PASSWORD_HASHERS = [
    "tests.hashers.QuickPBKDF2PasswordHasher",
    *settings.PASSWORD_HASHERS,
]

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
ARTIFACTS = ROOT / "test-artifacts"


def mqtt_url() -> str:
    return os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


SERVICES = {
    "postgres": lambda: settings.DATABASE_IS_POSTGRES,
    "redis": lambda: bool(settings.REDIS_URL),
    "replicated": lambda: not replicated.available(),
    "mqtt": lambda: port_open(urlparse(mqtt_url()).hostname, urlparse(mqtt_url()).port or 1883),
}


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test gets its own channel layer: channels_redis binds its locks and queues to the
    event loop that first used them, and every async test has a loop of its own."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _require_services(request):
    """A test marked with a service it cannot reach is skipped on a laptop, fails in CI."""
    for name, available in SERVICES.items():
        if request.node.get_closest_marker(name) and not available():
            message = f"this test needs {name}, which is not configured or not reachable"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)


_PAYLOAD_VALIDATORS: dict = {}


def payload_errors(kind: str, payload: dict) -> list[str]:
    """What the payload lacks against its kind's schema (supervision/api/shapes.py), as the
    log stores it (JSON); nothing for a kind without a schema (the tests' own kinds)."""
    from django.core.serializers.json import DjangoJSONEncoder
    from jsonschema import Draft202012Validator

    from supervision.api import shapes

    if kind not in _PAYLOAD_VALIDATORS:
        schema = shapes.payload_schema(kind)
        _PAYLOAD_VALIDATORS[kind] = schema and Draft202012Validator(schema)
    validator = _PAYLOAD_VALIDATORS[kind]
    if not validator:
        return []
    stored = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(stored)]


@pytest.fixture(autouse=True)
def _events_match_their_payload_schemas(request, monkeypatch):
    """Every event a test makes through the real services is checked against its kind's
    published payload schema before it is written: the suite is the sample of each kind.
    A test that forges events to follow their routing says so (`forged_events`)."""
    from ondijon import bus

    if request.node.get_closest_marker("forged_events"):
        return
    monkeypatch.setattr(bus, "emit_many", schema_checked(bus.emit_many))


def schema_checked(write):
    """`bus.emit_many` that first checks each record's payload against its kind's schema (also
    for data a module fixture writes once for all its tests)."""

    def checked(records, *args, **kwargs):
        for record in records:
            errors = payload_errors(record.kind, record.payload)
            assert not errors, (record.kind, errors[:5])
        return write(records, *args, **kwargs)

    return checked


@pytest.fixture(scope="session", autouse=True)
def _end_leftover_test_connections(django_db_setup, django_db_blocker):
    """Async tests run database code on asgiref's worker threads, whose connections outlive the
    tests; end them at the close of the session so the test database drops cleanly."""
    yield
    from django.db import connection
    from django.db.backends.base.creation import TEST_DATABASE_PREFIX

    if connection.vendor != "postgresql":
        return
    if not connection.settings_dict["NAME"].startswith(TEST_DATABASE_PREFIX):
        return  # no test of this session needed the database: none was set up
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if IN_CI and reporter and reporter.stats.get("skipped"):
        reporter.write_line("CI: skipped tests are failures here.", red=True)
        session.exitstatus = 1


@pytest.fixture
def make_user(db, django_user_model):
    def make(role: str | None = None, username: str | None = None, **extra):
        username = username or f"{role or 'nobody'}-user"
        user = django_user_model.objects.create_user(
            username=username,
            password="correct horse battery staple",
            is_staff=role == roles.ADMINISTRATOR,
            **extra,
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def api_client_for(make_user):
    def client_for(role: str | None) -> APIClient:
        client = APIClient()
        if role is not None:
            client.force_authenticate(make_user(role))
        return client

    return client_for


@pytest.fixture
def district(db):
    from equipment.models import District

    return District.objects.create(
        code="centre",
        name="Centre",
        center_latitude=47.322,
        center_longitude=5.041,
        boundary=[[5.03, 47.31], [5.05, 47.31], [5.05, 47.33], [5.03, 47.33], [5.03, 47.31]],
    )


@pytest.fixture
def streetlight(district):
    from equipment.models import Equipment

    return Equipment.objects.create(
        code="SL-TEST-1",
        kind=Equipment.Kind.STREETLIGHT,
        district=district,
        latitude=47.3221,
        longitude=5.0412,
        state={"lamp": "on"},
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, so no server outlives a run."""
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_test_daphne(app: str = "ondijon.asgi:application") -> tuple[subprocess.Popen, str]:
    """A real daphne process serving the test database; its process and its address."""
    from django.db import connection

    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ondijon.settings", "DEBUG": "true"}
    db = connection.settings_dict
    if settings.DATABASE_IS_POSTGRES:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"daphne-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    deadline = time.monotonic() + 90  # generous: CI machines are shared and busy
    while not port_open("127.0.0.1", port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"daphne did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    return process, f"http://127.0.0.1:{port}"


class SharedDaphne:
    """One daphne for the tests of a session (starting one costs seconds of CPU a test): its
    application (tests/live_asgi.py) says, between two tests, when nothing is being served
    any more, and forgets what it kept in memory of the last test's data. A server still
    serving the last test is stopped, as each test's own server was, and a new one started."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.url = ""

    def between_tests(self, wait: float) -> None:
        """Make the server as new: quiet and forgetful, or a new process."""
        if self.process is not None and self.process.poll() is None:
            from tests.live_asgi import BETWEEN_TESTS_PATH

            try:
                with urlopen(
                    f"{self.url}{BETWEEN_TESTS_PATH}?wait={wait}", timeout=wait + 30
                ) as answer:
                    if json.load(answer)["quiet"]:
                        return
            except OSError:
                pass
        self.stop()
        self.process, self.url = start_test_daphne("tests.live_asgi:application")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_daphne(self.process)
        self.process = None


@pytest.fixture(scope="session")
def _shared_daphne(django_db_setup, django_db_blocker):
    server = SharedDaphne()
    yield server
    server.stop()


@pytest.fixture
def asgi_server(transactional_db, request):
    """A real daphne process serving the test database, for browser and WebSocket tests.

    On the production runtime (Redis) daphne only serves: one process is shared by the
    session's tests, made as new between two (`SharedDaphne`). On the embedded default the
    same process also runs the background and periodic jobs, whose timing a test may see:
    each test has a daphne of its own there."""
    if not settings.REDIS_URL:
        process, url = start_test_daphne()
        yield url
        stop_daphne(process)
        return
    server = request.getfixturevalue("_shared_daphne")
    server.between_tests(wait=0)
    yield server.url
    # Before the test database is emptied: nothing of this test is still being served.
    server.between_tests(wait=10)


def stop_daphne(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if daphne does not exit: a request still in flight when its event
    loop stops leaves asgiref's thread waiting on that loop forever (live pages fetch as the
    browser closes), and daphne waits for that thread."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def celery_environment(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a Celery process (worker, beat) working on the test database."""
    from django.db import connection

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ondijon.settings", "DEBUG": "true", **extra}
    db = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    return env


@pytest.fixture
def worker_environment() -> dict[str, str]:
    """Settings of the `background_worker` process, as environment variables; a test module
    overrides this fixture to give the worker its own (a device adapter, time-outs)."""
    return {}


@pytest.fixture
def background_worker(transactional_db, worker_environment):
    """With Redis (the production stack) background tasks need a Celery worker: a real one,
    on the test database. Without Redis, daphne runs them on its in-process jobs thread."""
    if not settings.REDIS_URL:
        yield None
        return
    env = celery_environment(worker_environment)
    celery = [sys.executable, "-m", "celery", "-A", "ondijon"]
    # Tasks left in the queue by an earlier run refer to rows that no longer exist.
    subprocess.run([*celery, "purge", "-f"], env=env, cwd=ROOT, check=True, capture_output=True)
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "celery-worker.log").open("ab") as log:
        process = subprocess.Popen(
            [*celery, "worker", "-l", "WARNING", "-c", "1", "--without-gossip", "--without-mingle"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    yield process
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(autouse=True)
def _simulated_devices_answer_at_once(settings):
    """The demo's simulated devices answer within the test, deterministically."""
    settings.COMMAND_ADAPTER = "ondijon.demo.devices.SimulatedAdapter"
    settings.COMMAND_SIMULATOR = {
        "seed": 7,
        "failure_rate": 0.0,
        "min_delay_s": 0.0,
        "max_delay_s": 0.0,
    }


@pytest.fixture(autouse=True)
def _fresh_geography():
    """Each test starts without the addresses, road graph and street tiles a previous test
    loaded into this process (they are reloaded from the test's own database)."""
    from geography import addresses, basemap, roads

    yield
    addresses.forget_index()
    roads.forget_graph()
    basemap.forget_tiles()


@pytest.fixture(autouse=True)
def _background_jobs_run_inline(settings):
    """Jobs handed to the in-process jobs thread run in the caller, so a test sees their
    effect; a test about the thread itself sets IN_PROCESS_JOBS = "thread"."""
    settings.IN_PROCESS_JOBS = "inline"


@pytest.fixture
def make_equipment(district):
    """A device of any kind in the `district` fixture, with its demo-like state."""
    from equipment.models import Equipment

    def make(code: str, kind: str, state: dict | None = None, **extra):
        return Equipment.objects.create(
            code=code,
            kind=kind,
            district=district,
            latitude=extra.pop("latitude", 47.322),
            longitude=extra.pop("longitude", 5.041),
            state=state or {},
            **extra,
        )

    return make


@pytest.fixture
def english(settings):
    """The test reads messages in English (the platform's second language): the default
    language and the active one. Tests of behaviour assert codes and fields, not words; the
    ones that check a message's wording use this."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def in_default_language(message: str, **values) -> str:
    """A message as a process with no request (a worker, a periodic job) writes it: in the
    platform's default language (LANGUAGE_CODE)."""
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(message)
    return text % values if values else text

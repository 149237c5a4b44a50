"""Shared set-up for benchmarks: Django configured on a throw-away test database."""

import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondijon.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()


@contextmanager
def throwaway_database():
    """Create the test database (migrated), yield, destroy it."""
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    setup_test_environment()
    config = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        teardown_databases(config, verbosity=0)
        teardown_test_environment()


def release_database() -> None:
    """End the sessions other processes (daphne, a load process) left on the throw-away
    database, so that it can be dropped."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def wait_for_port(port: int, seconds: float = 90) -> None:
    """Until daphne answers on `port` (it takes a while to start on a busy machine)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def daphne_env() -> dict:
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = {**os.environ, "DEBUG": "true"}
    if settings.DATABASE_IS_POSTGRES:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}"
            f":{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    return env

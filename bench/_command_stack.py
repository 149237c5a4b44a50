"""The production stack for command benchmarks, started as real processes on the bench's
throw-away database: a Celery worker on Redis with the MQTT adapter, the acknowledgement
listener, and simulated devices answering on MQTT."""

import os
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager

from _setup import ROOT

from tests.instances import wait_until  # the benches' polling (they import it from here)


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def said_subscribed(process: subprocess.Popen) -> threading.Event:
    """Set once the process prints its "Subscribed" line; its output is passed on."""
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:
            sys.stdout.write(line)
            if line.startswith("Subscribed"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    return ready


@contextmanager
def production_stack(concurrency: int = 2):
    """Start worker, listener and devices on a topic tree of this run; stop them after."""
    from django.conf import settings

    if not (settings.DATABASE_IS_POSTGRES and settings.REDIS_URL):
        sys.exit("The production stack needs DATABASE_URL (PostgreSQL) and REDIS_URL.")
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    settings.COMMAND_ADAPTER = "equipment.adapters.MqttAdapter"
    settings.COMMAND_TOPIC_PREFIX = prefix
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "COMMAND_ADAPTER": "equipment.adapters.MqttAdapter",
        "COMMAND_TOPIC_PREFIX": prefix,
        "COMMAND_ACK_CLIENT_ID": f"{prefix}-acks",
        "COMMAND_ACK_SESSION_EXPIRY_S": "300",
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
        # Already the project's interpreter: manage.py's first-run set-up would only check
        # (or reinstall, when the shared venv was stamped by other locks) the dependencies
        # before the listener and the devices start, past the wait below.
        "ONDIJON_NO_BOOTSTRAP": "1",
    }
    python = sys.executable
    subprocess.run(
        [python, "-m", "celery", "-A", "ondijon", "purge", "-f"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    processes = [
        subprocess.Popen(
            [
                python,
                "-m",
                "celery",
                "-A",
                "ondijon",
                "worker",
                "-l",
                "WARNING",
                "-c",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=env,
            cwd=ROOT,
        ),
    ]
    subscribed = []
    for command in ("listen_command_acks", "simulate_command_devices"):
        process = subprocess.Popen(
            [python, "manage.py", command],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        subscribed.append(said_subscribed(process))
    try:
        # A command published before the devices subscribe is lost (no session keeps it),
        # and an answer before the listener's first session waits nowhere: wait for both
        # to say so, then for the worker to answer.
        for ready in subscribed:
            if not ready.wait(timeout=120):
                sys.exit("The listener or the simulated devices did not subscribe in 120 s.")
        from ondijon.celery import app

        if wait_until(lambda: bool(app.control.ping(timeout=0.5)), timeout=120) is None:
            sys.exit("The Celery worker did not answer in 120 s.")
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

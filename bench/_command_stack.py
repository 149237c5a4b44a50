"""The production stack for command benchmarks, started as real processes on the bench's
throw-away database: a Celery worker on Redis with the MQTT adapter, the acknowledgement
listener, and simulated devices answering on MQTT."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

from _setup import ROOT

from tests.instances import wait_until  # noqa: F401  (the benches' polling, re-exported)


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


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
        subprocess.Popen([python, "manage.py", "listen_command_acks"], env=env, cwd=ROOT),
        subprocess.Popen([python, "manage.py", "simulate_command_devices"], env=env, cwd=ROOT),
    ]
    try:
        time.sleep(6)  # worker ready, listener and devices subscribed
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

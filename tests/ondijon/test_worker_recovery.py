"""The Celery worker comes back by itself when its broker (Redis) restarts: a drill saw kombu
end the worker ("Unrecoverable error: AttributeError('NoneType' object has no attribute
'hostname')") while it put back the messages it had not acknowledged yet."""

import os
import subprocess
import sys

import kombu
import pytest
from celery.backends.redis import RedisBackend

from ondijon.celery import app
from tests.conftest import ARTIFACTS, ROOT, die_with_parent
from tests.instances import own_redis

pytestmark = pytest.mark.drill


@pytest.fixture
def redis():
    with own_redis() as server:
        yield server


def test_a_channel_closed_after_its_connection_leaves_its_unacked_messages_to_the_broker(redis):
    """kombu releases a lost connection's transport first and closes its channels later (a
    consumer replaced after a broker restart, a channel collected): putting the channel's
    unacknowledged messages back must not crash on the released connection. They stay in
    Redis's unacked index, from which the visibility timeout delivers them again."""
    queue = kombu.Queue("drill", kombu.Exchange("drill"), "drill")
    connection = kombu.Connection(redis.url)
    connection.Producer().publish(
        {"n": 1}, exchange=queue.exchange, routing_key="drill", declare=[queue]
    )
    channel = connection.channel()
    received = []
    kombu.Consumer(
        channel, [queue], callbacks=[lambda body, message: received.append(body)]
    ).consume()
    connection.drain_events(timeout=5)
    assert received == [{"n": 1}] and channel.qos._delivered  # taken, not acknowledged

    connection._do_close_transport()  # what Connection._close does before a late channel close
    channel.close()  # was: AttributeError: 'NoneType' object has no attribute 'hostname'

    assert channel.closed
    fresh = kombu.Connection(redis.url)
    unacked = fresh.default_channel.client.hlen("unacked")
    fresh.close()
    assert unacked == 1  # still held by the broker, to be delivered again


def worker_environment(redis_url: str, tmp_path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ondijon.settings",
        "REDIS_URL": redis_url,
        "SQLITE_PATH": str(tmp_path / "worker.sqlite3"),
        "PROCESS_REPORT_SECONDS": "0",
    }
    env.pop("DATABASE_URL", None)
    return env


def test_the_worker_takes_tasks_again_after_its_broker_restarts(redis, tmp_path):
    env = worker_environment(redis.url, tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "celery-worker-broker-restart.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "ondijon", "worker", "-l", "INFO", "-c", "1",
             "--without-gossip", "--without-mingle"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
        )  # fmt: skip
    broker = app.connection_for_write(redis.url)
    backend = RedisBackend(app=app, url=redis.url)
    try:

        def round_trip(value: int) -> list:
            result = app.send_task("celery.accumulate", args=(value,), connection=broker)
            return app.AsyncResult(result.id, backend=backend).get(timeout=90)

        assert round_trip(1) == [1]
        redis.restart(down_seconds=2)
        assert round_trip(2) == [2]
        assert worker.poll() is None, "the worker exited"
    finally:
        broker.release()
        worker.terminate()
        worker.wait(timeout=30)

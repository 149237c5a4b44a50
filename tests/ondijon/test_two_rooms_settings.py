"""Two rooms: the platform reaches whichever PostgreSQL node takes writes (libpq multi-host
URL, `target_session_attrs=read-write`) and whichever Redis the sentinels name master, and
follows both after a failover without a restart."""

import json
import os
import subprocess
import sys
import time

import psycopg
import pytest

from ondijon.settings.celery import sentinel_url
from ondijon.settings.channels import sentinel_addresses
from ondijon.settings.database import parse_database_url
from tests.conftest import ROOT
from tests.instances import wait_until


def test_a_database_url_may_name_every_node_of_the_cluster():
    parsed = parse_database_url(
        "postgres://ondijon:s%40cret@site-a.example:5433,site-b.example/ondijon"
        "?target_session_attrs=read-write&connect_timeout=2"
    )
    assert parsed["HOST"] == "site-a.example,site-b.example"
    assert parsed["PORT"] == "5433,5432"  # libpq pairs them in order
    assert (parsed["USER"], parsed["PASSWORD"], parsed["NAME"]) == ("ondijon", "s@cret", "ondijon")  # fmt: skip
    assert parsed["OPTIONS"] == {"target_session_attrs": "read-write", "connect_timeout": 2}
    single = parse_database_url("postgres://ondijon@db:5432/ondijon")
    assert (single["HOST"], single["PORT"]) == ("db", 5432)


def test_sentinels_are_named_as_redis_py_and_kombu_take_them(monkeypatch):
    assert sentinel_addresses(["10.0.0.1:26380", "sentinel-b"]) == [("10.0.0.1", 26380), ("sentinel-b", 26379)]  # fmt: skip
    from ondijon.settings import celery

    monkeypatch.setattr(celery, "REDIS_SENTINELS", [("a", 26379), ("b", 26380)])
    assert sentinel_url("redis://:pw@/3") == "sentinel://:pw@a:26379/3;sentinel://:pw@b:26380/3"
    assert sentinel_url("redis:///0") == "sentinel://a:26379/0;sentinel://b:26380/0"


# On the production runtime only (the embedded run deselects `redis`, `postgres`): once is enough.
@pytest.mark.redis
@pytest.mark.drill
@pytest.mark.replicated
def test_a_process_on_sentinel_follows_a_redis_failover():
    from tests.replicated import own_redis_sentinels

    with own_redis_sentinels() as group:
        first = group.master()
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in {"REDIS_URL", "DATABASE_URL", "CHANNEL_PREFIX"}
        }
        environment.update(
            REDIS_SENTINELS=group.setting,
            REDIS_URL="redis:///2",
            SECRET_KEY="two-rooms",
            DEBUG="true",
            PYTHONPATH=str(ROOT),
        )
        probe = subprocess.Popen(
            [sys.executable, "-m", "tests.ondijon.sentinel_probe"],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:

            def ask() -> dict:
                probe.stdin.write("check\n")
                probe.stdin.flush()
                return json.loads(probe.stdout.readline())

            before = ask()
            assert before == {"cache": "ok", "layer": "ok", "celery": f"ok {first.port}"}
            first.kill()  # the master lost: the sentinels promote the replica
            replica = next(node for node in group.nodes if node is not first)
            promoted = wait_until(lambda: group.master() is replica, timeout=30, step=0.2)
            assert promoted is not None, "the sentinels did not promote the replica"
            # The same process, not restarted, now works on the new master.
            answers = []
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                answers.append(ask())
                if answers[-1] == {"cache": "ok", "layer": "ok", "celery": f"ok {replica.port}"}:
                    break
                time.sleep(0.5)
            assert answers[-1] == {"cache": "ok", "layer": "ok", "celery": f"ok {replica.port}"}, answers  # fmt: skip
        finally:
            probe.stdin.close()
            probe.wait(timeout=15)


@pytest.mark.postgres
@pytest.mark.drill
@pytest.mark.replicated
def test_a_multi_host_url_finds_the_primary_after_failover_and_switchover():
    """libpq tries the nodes in their order and keeps the one that takes writes, whichever
    is listed first (psycopg #674 reported pools staying on the first one listed)."""
    from psycopg_pool import ConnectionPool

    from tests.replicated import own_pg_cluster

    with own_pg_cluster() as cluster:
        pool = ConnectionPool(cluster.url(), min_size=2, max_size=4, open=True, check=ConnectionPool.check_connection)  # fmt: skip
        try:
            with pool.connection() as connection:
                connection.execute("CREATE TABLE probe (n int)")
                assert connection.info.port == cluster.nodes["site-a"].port
            cluster.switchover()
            cluster.wait_states({"site-a": {"secondary"}, "site-b": {"primary"}}, timeout=60)

            def written() -> int | None:
                try:
                    with pool.connection(timeout=2) as connection:
                        connection.execute("INSERT INTO probe VALUES (1)")
                        return connection.info.port
                except psycopg.Error:
                    return None

            assert wait_until(lambda: written() == cluster.nodes["site-b"].port, 30, 0.2) is not None  # fmt: skip
        finally:
            pool.close()

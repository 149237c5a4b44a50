"""The platform panel and its health endpoint show the two rooms: the database primary and
its standbys with their lag, the Redis sentinels, the last failover; a change of primary is
written to the events log, once."""

import pytest
from django.test import Client

from ondijon import bus, roles
from supervision.models import Event
from supervision.platform import replication

# The primary as the watch logs it when it first sees one (the tests start from it).
FIRST_PRIMARY = {
    "primary": "site-a",
    "address": "127.0.0.1:5432",
    "previous": None,
    "planned": False,
    "duration_s": None,
}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.mark.postgres
def test_the_primary_is_logged_once_then_a_new_primary_as_a_failover():
    first = replication.watch_primary()
    assert first.kind == replication.PRIMARY_SEEN
    state = replication.database_state()
    assert first.payload["primary"] == state.primary == state.address  # no monitor: its address
    assert replication.watch_primary() is None  # the same primary: nothing written
    # As if the primary had been another node until now.
    bus.emit(
        replication.PRIMARY_SEEN,
        subject_type="platform",
        subject_id="database",
        payload=FIRST_PRIMARY,
    )
    failover = replication.watch_primary()
    assert failover.kind == replication.FAILOVER
    assert (failover.payload["previous"], failover.payload["primary"]) == ("site-a", state.primary)
    assert replication.watch_primary() is None
    assert replication.last_failover() == failover
    assert Event.objects.filter(kind=replication.FAILOVER).count() == 1
    assert failover.payload["planned"] is False


@pytest.mark.postgres
def test_a_new_primary_after_a_switchover_was_asked_for_is_logged_as_planned():
    """Whoever sees the new primary first (the periodic watch or the command) says so."""
    bus.emit(
        replication.PRIMARY_SEEN,
        subject_type="platform",
        subject_id="database",
        payload=FIRST_PRIMARY,
    )
    asked = replication.request_switchover()
    assert asked.payload["primary"] == replication.database_state().primary
    failover = replication.watch_primary()  # the periodic watch, not told
    assert failover.kind == replication.FAILOVER and failover.payload["planned"] is True


@pytest.mark.postgres
def test_the_health_endpoint_gives_the_primary_the_last_failover_and_the_processes(make_user):
    replication.watch_primary()
    bus.emit(
        replication.PRIMARY_SEEN,
        subject_type="platform",
        subject_id="database",
        payload=FIRST_PRIMARY,
    )
    replication.watch_primary()
    client = Client()
    client.force_login(make_user(roles.SUPERVISOR))
    health = client.get("/platform/health/").json()
    assert health["database"]["primary"] == replication.database_state().primary
    assert health["database"]["standbys"] == []  # the test server has no standby
    assert health["last_failover"]["previous"] == "site-a"
    assert health["sentinels"] == []  # no REDIS_SENTINELS here
    page = client.get("/platform/").content.decode()
    assert f'data-primary="{health["database"]["primary"]}"' in page
    assert "site-a" in page.split('id="last-failover"')[1]


def test_the_panel_says_whether_the_database_is_replicated(make_user, settings):
    client = Client()
    client.force_login(make_user(roles.SUPERVISOR))
    database = client.get("/platform/health/").json()["database"]
    page = client.get("/platform/").content.decode()
    if settings.DATABASE_IS_POSTGRES:
        assert database["primary"] and 'id="database-primary"' in page
    else:
        assert database is None
        assert "The embedded database is not replicated." in page


@pytest.mark.parametrize(
    "role, status",
    [
        (roles.OPERATOR, 200),
        (roles.SUPERVISOR, 200),
        (roles.DISPATCHER, 403),
        (roles.HOTLINE_AGENT, 403),
        (roles.WALL_DISPLAY, 403),
    ],
)
def test_the_health_endpoint_is_for_the_supervision_room(make_user, role, status):
    client = Client()
    client.force_login(make_user(role))
    assert client.get("/platform/health/").status_code == status


def test_the_health_endpoint_needs_a_login():
    assert Client().get("/platform/health/").status_code in (302, 403)


def test_the_watch_runs_with_the_periodic_jobs(settings):
    jobs = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "supervision.tasks.watch_database_primary" in jobs


@pytest.mark.redis
@pytest.mark.drill
@pytest.mark.replicated
def test_the_panel_says_what_each_sentinel_names_master(settings, make_user):
    from tests.instances import wait_until
    from tests.replicated import MASTER_NAME, own_redis_sentinels

    with own_redis_sentinels() as group:
        settings.REDIS_SENTINELS, settings.REDIS_MASTER_NAME = group.addresses, MASTER_NAME
        master = group.master()
        # Each sentinel has found the replica and its two peers.
        wait_until(lambda: all(row["replicas"] == 1 and row["sentinels"] == 3 for row in replication.sentinel_state()), 20, 0.2)  # fmt: skip
        rows = replication.sentinel_state()
        assert [row["master"] for row in rows] == [f"127.0.0.1:{master.port}"] * 3
        assert all(row["reachable"] and row["replicas"] == 1 and row["sentinels"] == 3 for row in rows), rows  # fmt: skip
        assert all("master" in row["flags"] for row in rows), rows
        group.sentinels[0].kill()
        rows = replication.sentinel_state()
        assert [row["reachable"] for row in rows] == [False, True, True]
        client = Client()
        client.force_login(make_user(roles.SUPERVISOR))
        page = client.get("/platform/").content.decode()
        assert f'data-sentinel="127.0.0.1:{group.sentinels[0].port}" data-reachable="false"' in page
        assert "not answering" in page

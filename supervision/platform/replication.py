"""The two rooms' state: which database node is primary and in which site, how far each
standby is behind, what the Redis sentinels say, and the failovers of the database.

The primary is the node the platform's own session reached (libpq's multi-host URL keeps the
one that takes writes); its standbys and their lag come from `pg_stat_replication`. With
PG_MONITOR_URL (pg_auto_failover's monitor) each node is named by its site and the monitor's
own log dates each failover. `watch_primary`, run periodically, writes a change of primary to
the events log (`platform.database_failover`), which the panel and the walls show."""

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ondijon import bus
from supervision.models import Event

FAILOVER = "platform.database_failover"
PRIMARY_SEEN = "platform.database_primary"
SWITCHOVER_REQUESTED = "platform.switchover_requested"
# A change of primary this soon after a switchover was asked for is that switchover.
SWITCHOVER_WINDOW = timedelta(minutes=5)


@dataclass
class Standby:
    name: str
    sync_state: str  # sync, quorum, async, potential
    lag_bytes: int | None
    replay_lag_s: float | None


@dataclass
class DatabaseState:
    primary: str  # the site's name, or host:port without a monitor
    address: str
    standbys: list[Standby] = field(default_factory=list)
    nodes: list[dict] = field(default_factory=list)  # the monitor's view, when there is one

    def as_dict(self) -> dict:
        return asdict(self)


def monitor_nodes() -> list[dict]:
    """The monitor's nodes (name, host, port, reported and assigned state, health); none
    without PG_MONITOR_URL or when the monitor does not answer."""
    if not settings.PG_MONITOR_URL:
        return []
    import psycopg

    try:
        with psycopg.connect(settings.PG_MONITOR_URL, connect_timeout=2, autocommit=True) as c:
            rows = c.execute(
                "SELECT nodename, nodehost, nodeport, reportedstate::text, goalstate::text,"
                " health FROM pgautofailover.node WHERE formationid = %s ORDER BY nodeid",
                [settings.PG_FORMATION],
            ).fetchall()
    except psycopg.Error:
        return []
    return [
        {"name": n, "host": h, "port": p, "reported": r, "assigned": g, "healthy": health == 1}
        for n, h, p, r, g, health in rows
    ]


def database_state() -> DatabaseState | None:
    """None on the embedded default (SQLite: nothing replicated)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT host(inet_server_addr()), inet_server_port()")
        host, port = cursor.fetchone()
        cursor.execute(
            "SELECT application_name, sync_state,"
            " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,"
            " extract(epoch FROM replay_lag)::float FROM pg_stat_replication"
            " ORDER BY application_name"
        )
        standbys = [Standby(*row) for row in cursor.fetchall()]
    nodes = monitor_nodes()
    address = f"{host or 'local'}:{port or ''}"
    primary = next(
        (
            node["name"]
            for node in nodes
            if node["port"] == port and node["host"] in {host, "localhost"}
        ),
        address,
    )
    return DatabaseState(primary=primary, address=address, standbys=standbys, nodes=nodes)


def sentinel_state() -> list[dict]:
    """What each sentinel says of the master (none without REDIS_SENTINELS)."""
    from redis import Redis
    from redis.exceptions import RedisError

    rows = []
    for host, port in settings.REDIS_SENTINELS:
        row = {"sentinel": f"{host}:{port}", "reachable": False, "master": "", "flags": "", "replicas": 0, "sentinels": 0}  # fmt: skip
        try:
            master = Redis(host, port, socket_timeout=0.5, socket_connect_timeout=0.5).sentinel_master(settings.REDIS_MASTER_NAME)  # fmt: skip
        except RedisError:
            rows.append(row)
            continue
        row.update(
            reachable=True,
            master=f"{master['ip']}:{master['port']}",
            flags=",".join(sorted(flag for flag, on in master.get("flags", {}).items() if on))
            if isinstance(master.get("flags"), dict)
            else str(master.get("flags", "")),
            replicas=int(master.get("num-slaves", 0)),
            sentinels=int(master.get("num-other-sentinels", 0)) + 1,
        )
        rows.append(row)
    return rows


def failover_duration(until: datetime) -> float | None:
    """How long the monitor's log shows the last failover took: from its first step (a node
    assigned a state other than primary or secondary) to the new primary's report."""
    if not settings.PG_MONITOR_URL:
        return None
    import psycopg

    try:
        with psycopg.connect(settings.PG_MONITOR_URL, connect_timeout=2, autocommit=True) as c:
            rows = c.execute(
                "SELECT eventtime, reportedstate::text, goalstate::text FROM pgautofailover.event"
                " WHERE formationid = %s AND eventtime > %s ORDER BY eventid",
                [settings.PG_FORMATION, until - timedelta(minutes=5)],
            ).fetchall()
    except psycopg.Error:
        return None
    steps = [at for at, _, goal in rows if goal not in {"primary", "secondary", "single"}]
    done = [at for at, reported, goal in rows if reported in {"wait_primary", "primary"} and goal == reported]  # fmt: skip
    if not steps or not done:
        return None
    started = steps[-1]
    for at in reversed(steps):  # the first step of the last run of steps
        if (started - at).total_seconds() > 60:
            break
        started = at
    ended = next((at for at in done if at >= started), None)
    return None if ended is None else round((ended - started).total_seconds(), 1)


def last_primary() -> Event | None:
    return Event.objects.filter(kind__in=[FAILOVER, PRIMARY_SEEN]).order_by("-seq").first()


def last_failover() -> Event | None:
    return Event.objects.filter(kind=FAILOVER).order_by("-seq").first()


@transaction.atomic
def request_switchover(actor=None) -> Event:
    """Log that the primary is being moved on purpose, before the manager is asked: whoever
    sees the new primary first (the periodic watch or the command) logs it as planned."""
    state = database_state()
    record = bus.EventRecord(
        kind=SWITCHOVER_REQUESTED,
        subject_type="platform",
        subject_id="database",
        subject_label=state.primary if state else "",
        service="platform",
        actor=actor,
        payload={"primary": state.primary if state else None},
    )
    return bus.emit_many([record])[0]


@transaction.atomic
def watch_primary(
    actor=None, planned: bool = False, state: DatabaseState | None = None
) -> Event | None:
    """Log the primary once first seen, and each change of primary as a failover (an event
    the walls show as a banner); the event written, or None when nothing changed. `state` is
    the database as seen now (`database_state()` unless given)."""
    state = state or database_state()
    if state is None:
        return None
    if connection.vendor == "postgresql":
        # One watcher at a time writes the change (beat may overlap a switchover command).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('platform.database_primary'))")
    previous = last_primary()
    if previous and previous.payload.get("primary") == state.primary:
        return None
    now = timezone.now()
    kind = FAILOVER if previous else PRIMARY_SEEN
    planned = planned or bool(
        previous
        and Event.objects.filter(
            kind=SWITCHOVER_REQUESTED, seq__gt=previous.seq, time__gte=now - SWITCHOVER_WINDOW
        ).exists()
    )
    payload = {
        "primary": state.primary,
        "address": state.address,
        "previous": previous.payload.get("primary") if previous else None,
        "planned": planned,
        "duration_s": failover_duration(now) if previous else None,
    }
    record = bus.EventRecord(
        kind=kind,
        subject_type="platform",
        subject_id="database",
        subject_label=state.primary,
        service="platform",
        actor=actor,
        payload=payload,
    )
    return bus.emit_many([record])[0]

"""Replicated servers of a drill's own, on free ports and folders of their own (the machine's
shared services are never touched):

- `own_pg_cluster()`: PostgreSQL with automatic failover by pg_auto_failover (Debian's
  `postgresql-15-auto-failover`): a monitor and two nodes, "site-a" and "site-b", the
  standby synchronous (an acknowledged commit is on both);
- `own_redis_sentinels()`: a Redis master, its replica and three sentinels (Debian's
  `redis-sentinel`).

Used by the failover drills (bench/failover.py) and the failover test (tests/…, `drill`).
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from tests.instances import POSTGRES_BIN, Redis, free_port, wait_for_port, wait_until

PG_AUTOCTL = shutil.which("pg_autoctl") or "/usr/bin/pg_autoctl"
MASTER_NAME = "ondijon"

# How fast the monitor gives up on a silent primary (milliseconds). pg_auto_failover's
# defaults (a 20 s silence, then 30 s for the old primary to demote itself) suit a WAN; two
# rooms on one campus network afford seconds. The old primary's keeper still demotes itself
# when it loses both the monitor and its standby (network_partition_timeout).
MONITOR_TIMING = {
    "pgautofailover.health_check_period": 1000,
    "pgautofailover.health_check_timeout": 1000,
    "pgautofailover.health_check_max_retries": 1,
    "pgautofailover.health_check_retry_delay": 500,
    "pgautofailover.node_considered_unhealthy_timeout": 2000,
    "pgautofailover.primary_demote_timeout": 2000,
}


def available() -> list[str]:
    """What the replicated servers need and this machine lacks (Debian packages)."""
    missing = []
    if not Path(PG_AUTOCTL).exists():
        missing.append("postgresql-15-auto-failover")
    if not shutil.which("redis-sentinel"):
        missing.append("redis-sentinel")
    if not shutil.which("haproxy"):
        missing.append("haproxy")
    return missing


class Keeper:
    """One pg_autoctl process (the monitor or a node's keeper, with its PostgreSQL)."""

    def __init__(self, cluster: "PgCluster", name: str, port: int) -> None:
        self.cluster, self.name, self.port = cluster, name, port
        self.data = cluster.directory / name
        self.log = cluster.directory / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def run(self, *arguments: str) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.cluster.as_postgres([PG_AUTOCTL, *arguments]),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its PostgreSQL in its group: a kill takes the node
            )

    def start(self) -> None:
        self.run("run", "--pgdata", str(self.data))

    def kill(self) -> None:
        """The node lost: SIGKILL to its keeper and its PostgreSQL at once."""
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        # Backends of a killed postmaster end on their own; the port is free once they did.
        wait_for_port(self.port, timeout=30, up=False)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class PgCluster:
    """A pg_auto_failover formation of a monitor and two nodes, site-a first primary."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        shutil.chown(directory, "postgres")
        self.monitor = Keeper(self, "monitor", free_port())
        self.nodes = {name: Keeper(self, name, free_port()) for name in ("site-a", "site-b")}

    def as_postgres(self, command: list[str]) -> list[str]:
        environment = [
            f"XDG_CONFIG_HOME={self.directory}/config",
            f"XDG_DATA_HOME={self.directory}/share",
            f"XDG_RUNTIME_DIR={self.directory}/run",
            f"PG_CONFIG={POSTGRES_BIN}/pg_config",
            f"PATH={POSTGRES_BIN}:/usr/bin:/bin",
        ]
        return ["runuser", "-u", "postgres", "--", "env", *environment, *command]

    def autoctl(self, *arguments: str, timeout: float = 60) -> str:
        done = subprocess.run(
            self.as_postgres([PG_AUTOCTL, *arguments]),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"pg_autoctl {' '.join(arguments)}: {done.stderr[-2000:]}")
        return done.stdout

    @property
    def monitor_url(self) -> str:
        return f"postgres://autoctl_node@127.0.0.1:{self.monitor.port}/pg_auto_failover?sslmode=disable"  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        """libpq's multi-host URL: whichever node takes writes."""
        hosts = ",".join(f"127.0.0.1:{node.port}" for node in self.nodes.values())
        return f"postgres://postgres@{hosts}/{database}?target_session_attrs=read-write&connect_timeout=2"  # fmt: skip

    def node_url(self, name: str, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.nodes[name].port}/{database}"

    def common(self, keeper: Keeper) -> list[str]:
        return [
            "--pgdata", str(keeper.data), "--pgport", str(keeper.port),
            "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl",
            "--pgctl", str(POSTGRES_BIN / "pg_ctl"),
        ]  # fmt: skip

    def start(self) -> None:
        for folder in ("config", "share", "run"):
            (self.directory / folder).mkdir(exist_ok=True)
            shutil.chown(self.directory / folder, "postgres")
        self.autoctl("create", "monitor", *self.common(self.monitor), timeout=120)
        self.monitor.start()
        wait_for_port(self.monitor.port, timeout=60)
        self.tune_monitor()
        for name, node in self.nodes.items():
            self.autoctl(
                "create", "postgres", *self.common(node), "--name", name,
                "--monitor", self.monitor_url, "--dbname", "postgres",
                timeout=180,
            )  # fmt: skip
            self.tune_node(node)
            node.start()
            self.wait_states({name: {"single", "primary", "secondary"}}, timeout=120)
        self.wait_states({"site-a": {"primary"}, "site-b": {"secondary"}}, timeout=120)

    def monitor_session(self, timeout: float = 60):
        """A session on the monitor's database, once it accepts them (it starts up first)."""
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                return psycopg.connect(
                    f"postgres://postgres@127.0.0.1:{self.monitor.port}/pg_auto_failover",
                    autocommit=True,
                    connect_timeout=2,
                )
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def tune_monitor(self) -> None:
        with self.monitor_session() as connection:
            for name, value in MONITOR_TIMING.items():
                connection.execute(f"ALTER SYSTEM SET {name} = {value}")
            connection.execute("SELECT pg_reload_conf()")

    def tune_node(self, node: Keeper) -> None:
        # The drill's stack opens more sessions than PostgreSQL's default 100; the keeper
        # waits less for a standby's WAL receiver to stop before promoting it.
        with open(node.data / "postgresql.conf", "a") as conf:
            conf.write("\nmax_connections = 200\nfsync = off\n")
        self.autoctl("config", "set", "--pgdata", str(node.data), "timeout.prepare_promotion_walreceiver", "1")  # fmt: skip

    def states(self) -> dict[str, dict]:
        """Each node's state as the monitor reports it (name: {reported, assigned, ...})."""
        out = self.autoctl("show", "state", "--monitor", self.monitor_url, "--json", timeout=15)
        return {
            row["nodename"]: {
                "reported": row["current_group_state"],
                "assigned": row["assigned_group_state"],
                "lsn": row.get("reported_lsn"),
                "health": row.get("health"),
            }
            for row in json.loads(out)
        }

    def wait_states(self, wanted: dict[str, set[str]], timeout: float) -> None:
        def reached() -> bool:
            try:
                now = self.states()
            except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError):
                return False
            return all(
                name in now and now[name]["reported"] in states and now[name]["assigned"] in states
                for name, states in wanted.items()
            )

        if wait_until(reached, timeout, step=0.5) is None:
            raise TimeoutError(f"nodes not {wanted} after {timeout:.0f} s: {self.states()}")

    def primary(self) -> str:
        """The node the monitor wants primary."""
        for name, state in self.states().items():
            if state["assigned"] in {"primary", "wait_primary", "single"}:
                return name
        raise RuntimeError(f"no primary: {self.states()}")

    def switchover(self) -> None:
        self.autoctl("perform", "switchover", "--monitor", self.monitor_url, timeout=120)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()
        self.monitor.stop()


@contextmanager
def own_pg_cluster():
    directory = Path(tempfile.mkdtemp(prefix="ondijon-pgcluster-"))
    os.chmod(directory, 0o755)
    cluster = PgCluster(directory)
    try:
        cluster.start()
        yield cluster
    finally:
        try:
            for keeper in [*cluster.nodes.values(), cluster.monitor]:
                keeper.kill()
        finally:
            shutil.rmtree(directory, ignore_errors=True)


class Sentinel(Redis):
    name = "sentinel"

    def __init__(self, directory: Path, port: int, master_port: int) -> None:
        super().__init__(directory, port)
        self.master_port = master_port

    def command(self) -> list[str]:
        config = self.directory / f"sentinel-{self.port}.conf"
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.directory}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master_port} 2\n"
            # A master silent 2 s is down for this sentinel; two agreeing start the failover.
            f"sentinel down-after-milliseconds {MASTER_NAME} 2000\n"
            f"sentinel failover-timeout {MASTER_NAME} 10000\n"
            f"sentinel parallel-syncs {MASTER_NAME} 1\n"
        )
        return ["redis-sentinel", str(config)]


class ReplicaRedis(Redis):
    def __init__(self, directory: Path, port: int, master_port: int | None) -> None:
        super().__init__(directory, port)
        self.master_port = master_port
        self.log = directory / f"redis-{port}.log"

    def command(self) -> list[str]:
        command = super().command()
        command[command.index("--dir") + 1] = str(self.directory / str(self.port))
        (self.directory / str(self.port)).mkdir(exist_ok=True)
        if self.master_port:
            command += ["--replicaof", "127.0.0.1", str(self.master_port)]
        return command


class RedisSentinels:
    """A Redis master, a replica and three sentinels."""

    def __init__(self, directory: Path) -> None:
        first = free_port()
        self.nodes = [ReplicaRedis(directory, first, None), ReplicaRedis(directory, free_port(), first)]  # fmt: skip
        self.sentinels = [Sentinel(directory, free_port(), first) for _ in range(3)]

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", sentinel.port) for sentinel in self.sentinels]

    @property
    def setting(self) -> str:
        """REDIS_SENTINELS for the platform's processes."""
        return ",".join(f"{host}:{port}" for host, port in self.addresses)

    def master(self) -> "ReplicaRedis | None":
        """The node the sentinels name master; None while they name none (a failover)."""
        from redis.exceptions import RedisError

        from ondijon.sentinel import master_address

        try:
            _, port = master_address(self.addresses, MASTER_NAME)
        except RedisError:
            return None
        return next(node for node in self.nodes if node.port == port)

    def start(self) -> None:
        for server in [*self.nodes, *self.sentinels]:
            server.start()

    def kill(self) -> None:
        for server in [*self.sentinels, *self.nodes]:
            server.kill()


@contextmanager
def own_redis_sentinels():
    directory = Path(tempfile.mkdtemp(prefix="ondijon-sentinels-"))
    group = RedisSentinels(directory)
    try:
        group.start()
        # The sentinels know the replica (and each other) before anything relies on them.
        time.sleep(2)
        yield group
    finally:
        try:
            group.kill()
        finally:
            shutil.rmtree(directory, ignore_errors=True)


# How the one address picks a daphne (deploy/two-rooms/haproxy.cfg says the same).
# - The one with the fewest connections: the screens' sockets last for days, so they are
#   shared between the sites rather than dealt in turn with the short API requests.
# - A connection a daphne refuses (killed, restarting) is tried at once on the other site's
#   (`redispatch 1`: every retry goes elsewhere, with no turn-around wait), so a lost site
#   costs the screens one reconnection, not a 503.
# - A daphne is checked every second, every 250 ms once a check failed: one refusing
#   connections is out after two checks (about 1.25 s at most).
# - A loaded daphne may answer its check late: it has 3 s (`timeout check`), so the site
#   left alone under the whole load is not taken out for slowness (with "inter" as the
#   check's whole timeout, 500 ms, a busy survivor flapped and the address answered 503).
BACKEND = (
    "backend daphne\n    balance leastconn\n    option httpchk GET /healthz\n"
    "    http-check expect status 200\n    retries 2\n    option redispatch 1\n"
    "    timeout check 3s\n"
    "    default-server check inter 1s fastinter 250ms downinter 1s fall 2 rise 2\n"
)


class EntryAddress:
    """HAProxy (Debian's `haproxy`) as the rooms' one address: walls, desks and devices use
    it; it sends each new connection to a daphne that answers its health check, in either
    site, and holds WebSocket connections open (`timeout tunnel`)."""

    def __init__(self, directory: Path, backends: dict[str, int]) -> None:
        self.directory, self.backends = directory, backends
        self.port = free_port()
        self.log = directory / "haproxy.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> str:
        """deploy/two-rooms/haproxy.cfg's settings, on this drill's ports."""
        servers = "\n".join(
            f"    server {name} 127.0.0.1:{port}" for name, port in self.backends.items()
        )
        return (
            "global\n    maxconn 2000\n"
            "defaults\n    mode http\n    timeout connect 2s\n    timeout client 60s\n"
            "    timeout server 60s\n    timeout tunnel 1h\n"
            f"frontend rooms\n    bind 127.0.0.1:{self.port}\n    default_backend daphne\n"
            f"{BACKEND}{servers}\n"
        )

    def start(self) -> None:
        config = self.directory / "haproxy.cfg"
        config.write_text(self.config())
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                ["haproxy", "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

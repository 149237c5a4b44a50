"""Servers of a drill's own: PostgreSQL, Redis and Mosquitto started on free ports of their own,
which the drill may stop, restart, pause or kill. The machine's shared services are never
touched (other sessions and CI use them).

    with own_redis() as redis:
        ...                      # redis.url: redis://127.0.0.1:<port>/0
        redis.restart()          # down and up again, nothing kept (as the shared one)
        with redis.paused(10):   # SIGSTOP for 10 s, then SIGCONT
            ...

Used by the fault tests (tests/…, marked `drill`) and by the drills in bench/drills.py.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_until(predicate, timeout: float, step: float = 0.02) -> float | None:
    """Seconds until `predicate()` held, or None after `timeout`."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter() - started
        time.sleep(step)
    return None


def kill_group(process: subprocess.Popen) -> None:
    """A crash: SIGKILL to the process and its children (a Celery worker's pool), which run
    in a process group of its own (`start_new_session=True`)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def stop_group(process: subprocess.Popen, timeout: float = 15) -> None:
    """A clean stop (SIGTERM to the group), a kill if it does not end in time."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, up: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} still {'closed' if up else 'open'} after {timeout}s")


class Server:
    """One server process of a drill's own on `port`."""

    name = "server"

    def __init__(self, directory: Path, port: int):
        self.directory, self.port = directory, port
        self.process: subprocess.Popen | None = None
        self.log = directory / f"{self.name}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, **self.popen_options()
            )
        wait_for_port(self.port)

    def popen_options(self) -> dict:
        return {}

    def stop(self) -> None:
        """A clean shutdown, as a restart by an administrator does."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        wait_for_port(self.port, up=False)

    def kill(self) -> None:
        """A crash: SIGKILL, no shutdown."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    @contextmanager
    def paused(self, seconds: float | None = None) -> Iterator[None]:
        """Frozen (SIGSTOP): connections stay open and nothing answers."""
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            if seconds is not None:
                time.sleep(seconds)
            yield
        finally:
            os.kill(self.process.pid, signal.SIGCONT)


class Redis(Server):
    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return [
            "redis-server",
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
        ]  # fmt: skip


class Mosquitto(Server):
    """With persistence, as a production broker keeps persistent sessions across restarts."""

    name = "mosquitto"

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        config = self.directory / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.directory}/\n"
            "autosave_interval 1\n"
            "max_queued_messages 0\n"
        )
        return ["mosquitto", "-c", str(config)]


class Postgres(Server):
    """A cluster of its own (initdb), trust authentication, run as the `postgres` user."""

    name = "postgres"

    def __init__(self, directory: Path, port: int):
        super().__init__(directory, port)
        self.data = directory / "data"
        shutil.chown(directory, "postgres")
        self.log.touch()
        shutil.chown(self.log, "postgres")
        self._as_postgres(
            [str(POSTGRES_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _as_postgres(self, command: list[str]) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True
        )

    def command(self) -> list[str]:
        return [
            "runuser", "-u", "postgres", "--",
            str(POSTGRES_BIN / "postgres"),
            "-D", str(self.data),
            "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1",
            "-c", f"unix_socket_directories={self.directory}",
            "-c", "fsync=off",
            "-c", "max_connections=200",
        ]  # fmt: skip

    def stop(self) -> None:
        # Fast shutdown (SIGINT): open sessions are cut, as in a restart by an administrator.
        if self.process and self.process.poll() is None:
            self._as_postgres(
                [str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]
            )
            self.process.wait(timeout=30)
        wait_for_port(self.port, up=False)

    def kill(self) -> None:
        """A crash: immediate shutdown (no checkpoint; recovery at the next start)."""
        if self.process and self.process.poll() is None:
            self._as_postgres(
                [str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
            )
            self.process.wait(timeout=30)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def terminate_sessions(self, database: str) -> int:
        """Cut every session open on `database`, as a database failover or a DBA does."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            ).fetchall()
        return len(rows)


@contextmanager
def _own(server_class, prefix: str):
    directory = Path(tempfile.mkdtemp(prefix=f"ondijon-{prefix}-"))
    os.chmod(directory, 0o755)
    server = server_class(directory, free_port())
    try:
        server.start()
        yield server
    finally:
        try:
            server.kill()
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def own_redis():
    return _own(Redis, "redis")


def own_mosquitto():
    return _own(Mosquitto, "mosquitto")


def own_postgres():
    return _own(Postgres, "postgres")

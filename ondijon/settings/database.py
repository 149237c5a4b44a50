"""The database: PostgreSQL from DATABASE_URL, or else the embedded SQLite file (WAL).

Two rooms: DATABASE_URL may name every node of the replicated cluster, as libpq does
(`postgres://user:pw@site-a:5432,site-b:5432/ondijon?target_session_attrs=read-write`):
each new session tries the nodes in turn and keeps the one that takes writes, so after a
failover the pool's next sessions find the new primary by themselves.
"""

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url

from .base import BASE_DIR
from .env import env_float, env_int, env_str


def parse_database_url(url: str, **options) -> dict:
    """dj_database_url's answer, for a URL of one host or of several (`h1:p1,h2:p2`): Django
    hands HOST and PORT to libpq as they are, and libpq reads comma-separated lists."""
    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    if "," not in hosts:
        return dj_database_url.parse(url, **options)
    nodes = [node.rsplit(":", 1) if ":" in node else [node, ""] for node in hosts.split(",")]
    first = urlunsplit(parts._replace(netloc=f"{credentials}@{nodes[0][0]}" if credentials else nodes[0][0]))  # fmt: skip
    return {
        **dj_database_url.parse(first, **options),
        "HOST": ",".join(host for host, _ in nodes),
        "PORT": ",".join(port or "5432" for _, port in nodes),
    }


# Not a setting of its own: it holds the password, which DEBUG pages would show.
_database_url = env_str("DATABASE_URL")
SQLITE_PATH = Path(env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")))
# PostgreSQL sessions are pooled in each process (daphne, a Celery worker process, the MQTT
# bridge...): under ASGI Django opens a session per request otherwise (`CONN_MAX_AGE` keeps
# nothing across the threads of async requests), which costs more than a telemetry batch's
# own statements. Health checks stay on: the pool hands out only sessions that answer, so a
# database restarted or a session cut heals on the next request, as it did without a pool.
# `max` bounds the sessions of one process (size it to the threads that query at once and to
# PostgreSQL's max_connections over every process); 0 turns pooling off.
DATABASE_POOL_MIN_SIZE = env_int("DATABASE_POOL_MIN_SIZE", 2)
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 12)
# A request waiting longer than this for a session fails (a 503 through the outage handler).
DATABASE_POOL_TIMEOUT_S = env_float("DATABASE_POOL_TIMEOUT_S", 10)
if _database_url:
    _parsed = parse_database_url(
        _database_url, conn_max_age=0 if DATABASE_POOL_MAX_SIZE else 60, conn_health_checks=True
    )
    _pooled = DATABASE_POOL_MAX_SIZE and _parsed["ENGINE"].endswith("postgresql")
    _pool = {
        "min_size": min(DATABASE_POOL_MIN_SIZE, DATABASE_POOL_MAX_SIZE),
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": DATABASE_POOL_TIMEOUT_S,
    }
    DATABASES = {
        "default": {
            **_parsed,
            "OPTIONS": {**_parsed.get("OPTIONS", {}), **({"pool": _pool} if _pooled else {})},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # The test database must be a file: live-server and channels tests share it
            # between threads and processes.
            "TEST": {"NAME": str(SQLITE_PATH.with_name(SQLITE_PATH.stem + "-test.sqlite3"))},
            "OPTIONS": {
                # IMMEDIATE makes writers queue on the lock instead of failing on upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Two rooms: pg_auto_failover's monitor (`pg_autoctl show uri --monitor`), which names each
# node by its site for the platform panel, dates failovers and carries out a switchover
# (`manage.py switchover`); unset, the panel shows the primary's address only.
PG_MONITOR_URL = env_str("PG_MONITOR_URL")
PG_FORMATION = env_str("PG_FORMATION", "default")

"""The channel layer that carries events to the screens: Redis from REDIS_URL, or in memory.

REDIS_URL is Celery's broker too (`celery.py`).

Two rooms: with REDIS_SENTINELS (`host:port,host:port,host:port`) the channel layer, Celery
and the cache ask those sentinels which Redis is the master of REDIS_MASTER_NAME, and follow
it when the sentinels promote a replica. REDIS_URL then gives only the database number and
the password (`redis://:pw@/3`; its host is not used) and may be left unset (database 0).
"""

from .env import env_float, env_int, env_list, env_str


def sentinel_address(item: str) -> tuple[str, int]:
    """`host:port` as redis-py's Sentinel takes it (26379 when the port is left out)."""
    host, _, port = item.rpartition(":") if ":" in item else (item, "", "26379")
    return host, int(port)


def sentinel_addresses(hosts: list[str]) -> list[tuple[str, int]]:
    return [sentinel_address(item) for item in hosts]


REDIS_SENTINELS = sentinel_addresses(env_list("REDIS_SENTINELS"))
REDIS_MASTER_NAME = env_str("REDIS_MASTER_NAME", "ondijon")
REDIS_URL = env_str("REDIS_URL") or ("redis:///0" if REDIS_SENTINELS else "")
# Live sockets renew their membership at each heartbeat (supervision/consumers.py).
CHANNEL_GROUP_EXPIRY = env_int("CHANNEL_GROUP_EXPIRY", 300)
# Publishing committed events to the screens gives up after this long (a frozen Redis): the
# request returns and the screens replay the events from the log (ondijon/bus.py).
PUBLISH_TIMEOUT_SECONDS = env_float("PUBLISH_TIMEOUT_SECONDS", 1.0)


def channel_layer_host(url: str) -> dict:
    """How the channel layer reaches one Redis (channels_redis passes these to redis-py), or
    the master the sentinels name."""
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.connection import parse_url

    if REDIS_SENTINELS:
        found = parse_url(url)
        where = {
            "sentinels": REDIS_SENTINELS,
            "master_name": REDIS_MASTER_NAME,
            "sentinel_kwargs": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
            "db": found.get("db", 0),
            **({"password": found["password"]} if found.get("password") else {}),
        }
    else:
        where = {"address": url}
    return {
        **where,
        # redis-py 8 times a read out after 5 s by default, which aborts the layer's blocking
        # receive on any socket idle that long (channels_redis issue #422).
        "socket_timeout": None,
        # After a Redis restart every pooled connection is dead: a command reconnects and
        # tries again (0.1, 0.2, 0.4 s) instead of failing once per pooled connection, so a
        # live socket's channel survives a quick restart.
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.1), 3),
    }


if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [channel_layer_host(REDIS_URL)],
                "prefix": env_str("CHANNEL_PREFIX", "ondijon"),
                # Frames are batched so a screen's channel holds few messages; the capacity
                # is still sized for bursts, and the replay by sequence number repairs any loss.
                "capacity": env_int("CHANNEL_CAPACITY", 1000),
                "expiry": 30,
                "group_expiry": CHANNEL_GROUP_EXPIRY,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"group_expiry": CHANNEL_GROUP_EXPIRY},
        }
    }

"""Reaching Redis through Sentinel: the sentinels say which node is the master now, so the
channel layer, Celery and the shared cache follow a Redis failover without a restart.

Django's Redis cache builds its pool with `pool_class.from_url(LOCATION, **OPTIONS)`; this
pool takes the sentinels and the master's name from those options and asks the sentinels
for the master at each new connection (redis-py's Sentinel-managed pool)."""

from redis.sentinel import Sentinel, SentinelConnectionPool


class SentinelCachePool(SentinelConnectionPool):
    """The cache's pool: `sentinels` ([(host, port), ...]) and `master_name` from OPTIONS."""

    @classmethod
    def from_url(cls, url: str, **options) -> "SentinelCachePool":
        from redis.connection import parse_url

        sentinels = options.pop("sentinels")
        master_name = options.pop("master_name")
        sentinel_kwargs = options.pop("sentinel_kwargs", None)
        # The URL gives the database number and the password (its host is not used).
        found = {key: value for key, value in parse_url(url).items() if key not in {"host", "port"}}
        return cls(
            master_name,
            Sentinel(sentinels, sentinel_kwargs=sentinel_kwargs),
            **{**found, **options},
        )


def master_address(sentinels: list[tuple[str, int]], master_name: str) -> tuple[str, int]:
    """Which node the sentinels name as master now (raises when none answers)."""
    return Sentinel(sentinels, socket_timeout=0.5).discover_master(master_name)

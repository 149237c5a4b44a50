"""The cache shared by every process: Redis from REDIS_URL in production (login lockouts' and
API rate limits' counters must be the same in each daphne process), local memory otherwise."""

from .channels import REDIS_MASTER_NAME, REDIS_SENTINELS, REDIS_URL

if REDIS_URL and REDIS_SENTINELS:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ondijon",
            "OPTIONS": {
                "pool_class": "ondijon.sentinel.SentinelCachePool",
                "sentinels": REDIS_SENTINELS,
                "master_name": REDIS_MASTER_NAME,
                "sentinel_kwargs": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
                "socket_timeout": 0.5,
                "socket_connect_timeout": 0.5,
            },
        }
    }
elif REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ondijon",
            # A frozen Redis must not hold a request: its callers (rate limits) go on without.
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

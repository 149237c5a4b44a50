"""The cache shared by every process: Redis from REDIS_URL in production (login lockouts' and
API rate limits' counters must be the same in each daphne process), local memory otherwise."""

from .channels import REDIS_URL

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ondijon",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

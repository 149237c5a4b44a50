"""A platform process on Sentinel, for the two-rooms tests: configured from the environment
like daphne or a worker, it answers each line read on stdin with one JSON line saying where
the cache, the channel layer and Celery's broker reached Redis, and whether each worked."""

import asyncio
import json
import os
import sys
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondijon.settings")

import django

django.setup()

from channels.layers import get_channel_layer  # noqa: E402
from django.core.cache import cache  # noqa: E402

from ondijon.celery import app  # noqa: E402


def attempt(check) -> str:
    try:
        return check()
    except Exception as error:  # the probe reports, the test decides
        return f"error: {type(error).__name__}: {error}"


def cache_check() -> str:
    key, value = f"probe-{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, 30)
    return "ok" if cache.get(key) == value else "cache value lost"


async def layer_roundtrip() -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("probe", channel)
    await layer.group_send("probe", {"type": "probe.message", "n": 1})
    message = await asyncio.wait_for(layer.receive(channel), 5)
    await layer.group_discard("probe", channel)
    return "ok" if message["n"] == 1 else "wrong message"


def celery_check() -> str:
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=3)
        client = connection.default_channel.client
        return f"ok {client.connection_pool.get_master_address()[1]}"


loop = asyncio.new_event_loop()
for _line in sys.stdin:
    print(
        json.dumps(
            {
                "cache": attempt(cache_check),
                "layer": attempt(lambda: loop.run_until_complete(layer_roundtrip())),
                "celery": attempt(celery_check),
            }
        ),
        flush=True,
    )

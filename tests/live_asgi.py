"""The application of the daphne that the tests of a session share (tests/conftest.py,
`asgi_server`): ondijon's own ASGI application, plus one address the test process calls
between two tests.

Between two tests the server must be as a new one: nothing of the last test still being
served when the test database is emptied, and nothing the last test's data left in this
process's memory (the street tiles, the address index, the road graph, the local cache).
"""

import asyncio
import json
import time

from asgiref.sync import sync_to_async

from ondijon.asgi import application as ondijon_application

BETWEEN_TESTS_PATH = "/__tests__/between/"

# Requests and sockets being served now (daphne serves them all on one event loop).
_serving = {"http": 0, "websocket": 0}


async def application(scope, receive, send) -> None:
    if scope["type"] == "http" and scope["path"] == BETWEEN_TESTS_PATH:
        await _between_tests(scope, send)
        return
    kind = scope["type"]
    if kind not in _serving:  # lifespan
        await ondijon_application(scope, receive, send)
        return
    _serving[kind] += 1
    try:
        await ondijon_application(scope, receive, send)
    finally:
        _serving[kind] -= 1


async def _between_tests(scope, send) -> None:
    """Wait (up to `?wait=` seconds) until no request or socket is being served, then forget
    what this process keeps of the database; answer whether it was quiet."""
    query = dict(
        part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part
    )
    deadline = time.monotonic() + float(query.get("wait", "10"))
    while any(_serving.values()) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    quiet = not any(_serving.values())
    if quiet:
        await sync_to_async(_forget_the_last_test, thread_sensitive=True)()
    body = json.dumps({"quiet": quiet, **_serving}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _forget_the_last_test() -> None:
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache
    from django.db import close_old_connections

    from geography import addresses, basemap, roads
    from ondijon import jobs, liveness

    jobs.wait_for_jobs(10)
    addresses.forget_index()
    roads.forget_graph()
    basemap.forget_tiles()
    # The emptied database made its content types again, under new ids (the admin's log
    # refers to them).
    ContentType.objects.clear_cache()
    for cache in caches.all(initialized_only=True):
        if isinstance(cache, LocMemCache):  # a new process starts with it empty
            cache.clear()
    close_old_connections()
    # A new daphne reports itself at once: so does this one, on the emptied database.
    if settings.PROCESS_REPORT_SECONDS > 0:
        liveness.report_alive(liveness.web_kind())

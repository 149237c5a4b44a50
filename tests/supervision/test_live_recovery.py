"""Live sockets heal: a screen's background work survives a cut database session and a channel
layer that restarts or freezes; a socket that cannot recover closes with the reconnect code,
so its page reconnects and replays. Never a socket open but silent."""

import asyncio

import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client

from ondijon import roles
from ondijon.settings.channels import channel_layer_host
from supervision.live.consumers import RECONNECT_CLOSE_CODE
from supervision.models import WallScreen
from supervision.wall import state as wall
from tests.instances import own_redis
from tests.supervision.test_wall_consumer import (
    ORIGIN,
    communicator,
    frames_until,
    set_status,
)


@pytest.fixture
def kiosk_cookie(transactional_db, make_user) -> tuple[bytes, bytes]:
    """A wall kiosk's session cookie, and the main screen it shows."""
    WallScreen.objects.get_or_create(
        slug="main", defaults={"name": "Main wall", "panels": WallScreen.Panel.values}
    )
    client = Client()
    client.force_login(make_user(roles.WALL_DISPLAY, username="kiosk-ws"))
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


async def next_heartbeat(socket, timeout: float = 5) -> dict:
    """The next heartbeat (frames before it are skipped); fails if none comes in `timeout`."""
    async with asyncio.timeout(timeout):
        while True:
            message = await socket.receive_json_from(timeout=timeout)
            if message["type"] == "heartbeat":
                return message


def changed_elsewhere(equipment, status: str) -> None:
    """A change made by another part of the platform (an API request, a telemetry batch): a
    thread, and a database session, of its own."""
    from django.db import connection as own_connection

    try:
        set_status(equipment, status)
    finally:
        own_connection.close()


def database_session() -> int:
    """The backend of the session this thread holds (the one sockets' database work runs on)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    """What an idle_session_timeout, a failover or an administrator does to one session."""
    db = connection.settings_dict
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )
    with psycopg.connect(conninfo, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]


async def opened_screen(cookie) -> tuple:
    start = await sync_to_async(wall.last_seq)()
    socket = communicator([ORIGIN, cookie], after=start)
    connected, _ = await socket.connect(timeout=10)
    assert connected
    first = await socket.receive_json_from()
    assert first["type"] == "frame"
    return socket, start


@pytest.mark.postgres
async def test_a_screen_whose_database_session_is_cut_keeps_its_heartbeats_and_frames(
    kiosk_cookie, streetlight, settings
):
    settings.WALL_HEARTBEAT_SECONDS = 0.3
    socket, start = await opened_screen(kiosk_cookie)
    await next_heartbeat(socket)

    await asyncio.to_thread(terminate, await sync_to_async(database_session)())

    await next_heartbeat(socket)
    await next_heartbeat(socket)
    await asyncio.to_thread(changed_elsewhere, streetlight, "fault")
    frames = await frames_until(socket, start + 1)
    assert frames[-1]["objects"]["equipment"][str(streetlight.pk)][2] == "fault"
    await socket.disconnect()


@pytest.fixture
def layer_of_its_own(settings):
    """The channel layer on a Redis of the test's own, which it may restart or freeze."""
    with own_redis() as redis:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [channel_layer_host(redis.url)],
                    "prefix": "recovery",
                    "group_expiry": settings.CHANNEL_GROUP_EXPIRY,
                },
            }
        }
        yield redis


async def closed_to_reconnect(socket, timeout: float) -> None:
    """The socket closes with the reconnect code within `timeout` (messages before are
    skipped): its page reconnects and replays from its number."""
    async with asyncio.timeout(timeout):
        while True:
            output = await socket.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                assert output.get("code") == RECONNECT_CLOSE_CODE
                return


@pytest.mark.redis
@pytest.mark.drill
async def test_a_screen_whose_channel_layer_restarts_rejoins_its_groups_and_catches_up(
    kiosk_cookie, streetlight, settings, layer_of_its_own
):
    settings.WALL_HEARTBEAT_SECONDS = 0.3
    socket, start = await opened_screen(kiosk_cookie)
    await next_heartbeat(socket)

    # Redis restarted: the socket's groups are gone with it, and its connections.
    await asyncio.to_thread(layer_of_its_own.restart)
    await next_heartbeat(socket)
    await asyncio.to_thread(changed_elsewhere, streetlight, "fault")
    frames = await frames_until(socket, start + 1)
    assert frames[-1]["objects"]["equipment"][str(streetlight.pk)][2] == "fault"
    await next_heartbeat(socket)
    await socket.disconnect()


@pytest.mark.redis
@pytest.mark.drill
async def test_a_screen_whose_channel_layer_stays_down_closes_to_reconnect_then_replays(
    kiosk_cookie, streetlight, settings, layer_of_its_own
):
    settings.WALL_HEARTBEAT_SECONDS = 0.3
    settings.WALL_RECOVERY_SECONDS = 2
    socket, start = await opened_screen(kiosk_cookie)
    await next_heartbeat(socket)

    await asyncio.to_thread(layer_of_its_own.stop)
    await closed_to_reconnect(socket, timeout=10)
    await socket.disconnect()
    await asyncio.to_thread(layer_of_its_own.start)

    await asyncio.to_thread(changed_elsewhere, streetlight, "fault")
    again = communicator([ORIGIN, kiosk_cookie], start)
    assert (await again.connect(timeout=10))[0]
    replay = await again.receive_json_from()
    assert (replay["after"], replay["seq"]) == (start, start + 1)
    assert replay["objects"]["equipment"][str(streetlight.pk)][2] == "fault"
    await again.disconnect()


@pytest.mark.redis
@pytest.mark.drill
async def test_a_screen_whose_channel_layer_freezes_closes_to_reconnect(
    kiosk_cookie, streetlight, settings, layer_of_its_own
):
    """A frozen Redis (a stalled disk, a paused VM) answers nothing and drops nothing: the
    heartbeat's renewal of the groups waits; past WALL_RECOVERY_SECONDS the socket closes
    rather than stay open with nothing coming."""
    settings.WALL_HEARTBEAT_SECONDS = 0.3
    settings.WALL_RECOVERY_SECONDS = 2
    socket, _ = await opened_screen(kiosk_cookie)
    await next_heartbeat(socket)

    with layer_of_its_own.paused():
        await closed_to_reconnect(socket, timeout=8)
        await socket.disconnect()


@pytest.mark.redis
@pytest.mark.drill
async def test_a_screen_whose_channel_layer_freezes_briefly_recovers_and_catches_up(
    kiosk_cookie, streetlight, settings, layer_of_its_own
):
    settings.WALL_HEARTBEAT_SECONDS = 0.3
    settings.WALL_RECOVERY_SECONDS = 30
    socket, start = await opened_screen(kiosk_cookie)
    await next_heartbeat(socket)

    with layer_of_its_own.paused():
        await asyncio.sleep(1.5)
        # Written meanwhile; its message waits on the frozen Redis, the log has it already.
        change = asyncio.create_task(asyncio.to_thread(changed_elsewhere, streetlight, "fault"))
        await asyncio.sleep(0.5)
    await change

    frames = await frames_until(socket, start + 1, timeout=10)
    assert frames[-1]["objects"]["equipment"][str(streetlight.pk)][2] == "fault"
    await next_heartbeat(socket)
    await socket.disconnect()

"""The wall's WebSocket: who may connect, replay on reconnect, coalesced and gap-free frames."""

import asyncio
import copy
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from equipment import services as equipment_services
from equipment.models import Equipment
from ondijon import bus, roles
from ondijon.asgi import application
from supervision.models import WallScreen
from supervision.wall import state as wall

ORIGIN = (b"origin", b"http://127.0.0.1")


@pytest.fixture
def session_cookie(transactional_db, make_user):
    # Transactional tests flush the tables, the migration's screen (every panel) included.
    WallScreen.objects.get_or_create(
        slug="main", defaults={"name": "Main wall", "panels": WallScreen.Panel.values}
    )

    def cookie_for(role: str) -> tuple[bytes, bytes]:
        client = Client()
        client.force_login(make_user(role, username=f"{role}-ws"))
        return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())

    return cookie_for


def communicator(headers, after: int | None = 0, screen: str = "main") -> WebsocketCommunicator:
    query = "" if after is None else f"?after={after}"
    return WebsocketCommunicator(application, f"/ws/wall/{screen}/{query}", headers=headers)


def set_status(equipment: Equipment, status: str) -> None:
    equipment_services.update_equipment(Equipment.objects.get(pk=equipment.pk), {"status": status})


async def frames_until(socket: WebsocketCommunicator, seq: int, timeout: float = 5) -> list[dict]:
    frames = []
    while not frames or frames[-1]["seq"] < seq:
        message = await socket.receive_json_from(timeout=timeout)
        if message["type"] == "frame":
            frames.append(message)
    return frames


@pytest.mark.parametrize(
    ("headers", "screen"),
    [
        pytest.param([ORIGIN], "main", id="anonymous"),
        pytest.param([ORIGIN, "hotline"], "main", id="role without the wall"),
        pytest.param([(b"origin", b"http://evil.example"), "wall"], "main", id="foreign origin"),
        pytest.param([ORIGIN, "wall"], "no-such-screen", id="unknown screen"),
    ],
)
async def test_sockets_refused(session_cookie, headers, screen):
    role_of = {"hotline": roles.HOTLINE_AGENT, "wall": roles.WALL_DISPLAY}
    resolved = [
        await sync_to_async(session_cookie)(role_of[h]) if isinstance(h, str) else h
        for h in headers
    ]
    connected, _ = await communicator(resolved, screen=screen).connect()
    assert not connected


async def test_kiosk_receives_changes_as_frames(session_cookie, streetlight):
    cookie = await sync_to_async(session_cookie)(roles.WALL_DISPLAY)
    start = await sync_to_async(wall.last_seq)()
    socket = communicator([ORIGIN, cookie], after=start)
    connected, _ = await socket.connect()
    assert connected
    first = await socket.receive_json_from()
    assert (first["type"], first["after"], first["seq"]) == ("frame", start, start)
    await sync_to_async(set_status)(streetlight, "fault")
    frame = await socket.receive_json_from()
    assert frame["after"] == start
    assert frame["objects"]["equipment"][str(streetlight.pk)][2] == "fault"
    await socket.disconnect()


async def test_burst_is_coalesced_into_few_frames_with_the_latest_state(
    session_cookie, streetlight
):
    cookie = await sync_to_async(session_cookie)(roles.WALL_DISPLAY)
    start = await sync_to_async(wall.last_seq)()
    socket = communicator([ORIGIN, cookie], after=start)
    await socket.connect()
    await socket.receive_json_from()

    def burst():
        for n in range(200):
            set_status(streetlight, ["fault", "ok"][n % 2] if n < 199 else "offline")

    began = time.monotonic()
    await sync_to_async(burst)()
    frames = await frames_until(socket, start + 200)
    # One frame per WALL_FRAME_SECONDS at most, not one per update.
    most = (time.monotonic() - began) / settings.WALL_FRAME_SECONDS + 2
    assert len(frames) <= min(most, 100), (len(frames), most)
    assert [f["after"] for f in frames[1:]] == [f["seq"] for f in frames[:-1]]
    assert frames[-1]["objects"]["equipment"][str(streetlight.pk)][2] == "offline"
    await socket.disconnect()


async def test_reconnect_replays_what_happened_while_away(session_cookie, streetlight):
    cookie = await sync_to_async(session_cookie)(roles.WALL_DISPLAY)
    before = await sync_to_async(wall.build_snapshot)()
    await sync_to_async(set_status)(streetlight, "maintenance")
    flood = {"code": "flood", "name": "Crue", "banner": "Crue de l'Ouche", "hotline_24_7": True}
    await sync_to_async(bus.emit)(
        "city.mode_changed", subject_type="city", subject_id="mode", payload={"mode": flood}
    )
    socket = communicator([ORIGIN, cookie], after=before["seq"])
    await socket.connect()
    replay = await socket.receive_json_from()
    state = wall.apply_frame(before, replay)
    assert state == await sync_to_async(wall.build_snapshot)()
    assert state["mode"]["code"] == "flood"
    await socket.disconnect()


async def test_screen_too_far_behind_is_told_to_reload(session_cookie, streetlight, settings):
    settings.WALL_REPLAY_LIMIT = 3
    cookie = await sync_to_async(session_cookie)(roles.WALL_DISPLAY)
    start = await sync_to_async(wall.last_seq)()
    for status in ["fault", "ok", "fault", "ok"]:
        await sync_to_async(set_status)(streetlight, status)
    socket = communicator([ORIGIN, cookie], after=start)
    await socket.connect()
    assert await socket.receive_json_from() == {"type": "reload"}
    assert (await socket.receive_output())["type"] == "websocket.close"


async def test_a_lost_group_message_is_fetched_from_the_log(session_cookie, streetlight):
    """channels_redis drops messages past capacity; the consumer repairs from the log."""
    cookie = await sync_to_async(session_cookie)(roles.WALL_DISPLAY)
    start = await sync_to_async(wall.last_seq)()
    socket = communicator([ORIGIN, cookie], after=start)
    await socket.connect()
    await socket.receive_json_from()

    def change_without_publishing():
        # Write two events but publish only the second, as if the first message were lost.
        original = bus.publish
        bus.publish = lambda messages: None
        try:
            set_status(streetlight, "fault")
        finally:
            bus.publish = original
        set_status(streetlight, "degraded")

    await sync_to_async(change_without_publishing)()
    frame = await socket.receive_json_from()
    assert (frame["after"], frame["seq"]) == (start, start + 2)
    assert frame["objects"]["equipment"][str(streetlight.pk)][2] == "degraded"
    await socket.disconnect()


async def test_a_screen_without_a_number_is_told_to_load_a_snapshot(session_cookie):
    cookie = await sync_to_async(session_cookie)(roles.WALL_DISPLAY)
    socket = communicator([ORIGIN, cookie], after=None)
    await socket.connect()
    assert await socket.receive_json_from() == {"type": "reload"}


async def test_heartbeat_catches_up_when_the_last_message_never_came(
    session_cookie, streetlight, settings
):
    settings.WALL_HEARTBEAT_SECONDS = 0.3
    cookie = await sync_to_async(session_cookie)(roles.WALL_DISPLAY)
    start = await sync_to_async(wall.last_seq)()
    socket = communicator([ORIGIN, cookie], after=start)
    await socket.connect()
    await socket.receive_json_from()

    def change_without_publishing():
        original = bus.publish
        bus.publish = lambda messages: None
        try:
            set_status(streetlight, "fault")
        finally:
            bus.publish = original

    await sync_to_async(change_without_publishing)()
    frames = await frames_until(socket, start + 1)
    assert frames[-1]["objects"]["equipment"][str(streetlight.pk)][2] == "fault"
    await socket.disconnect()


async def test_a_screen_on_for_longer_than_the_group_expiry_still_gets_events_at_once(
    session_cookie, streetlight, settings
):
    """Group membership lapses after the layer's group_expiry; each heartbeat renews it, so a
    wall left on for weeks gets each change at once, not at the next heartbeat's catch-up."""
    settings.WALL_HEARTBEAT_SECONDS = 3
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"].setdefault("CONFIG", {})["group_expiry"] = 1
    settings.CHANNEL_LAYERS = layers
    cookie = await sync_to_async(session_cookie)(roles.WALL_DISPLAY)
    start = await sync_to_async(wall.last_seq)()
    socket = communicator([ORIGIN, cookie], after=start)
    await socket.connect()
    await socket.receive_json_from()
    await asyncio.sleep(3.5)  # past the expiry, just after the first heartbeat

    await sync_to_async(set_status)(streetlight, "fault")
    # Well before the next heartbeat (at 6 s), which would catch up from the log anyway.
    frames = await frames_until(socket, start + 1, timeout=1.5)
    assert frames[-1]["objects"]["equipment"][str(streetlight.pk)][2] == "fault"
    await socket.disconnect()


@pytest.mark.redis
async def test_a_quiet_screen_keeps_its_socket(session_cookie, streetlight, settings):
    """Nothing happens for longer than redis-py's default read timeout (5 s): the layer's
    blocking receive must wait, not fail and tear the screen's socket down."""
    settings.WALL_HEARTBEAT_SECONDS = 30
    cookie = await sync_to_async(session_cookie)(roles.WALL_DISPLAY)
    start = await sync_to_async(wall.last_seq)()
    socket = communicator([ORIGIN, cookie], after=start)
    await socket.connect()
    await socket.receive_json_from()
    # A new socket hears one beat at once (a moved screen proves itself live), then none for 30 s.
    assert (await socket.receive_json_from(timeout=5))["type"] == "heartbeat"
    await asyncio.sleep(7)
    assert await socket.receive_nothing(timeout=0.1)  # no close, no error

    await sync_to_async(set_status)(streetlight, "fault")
    frames = await frames_until(socket, start + 1)
    assert frames[-1]["objects"]["equipment"][str(streetlight.pk)][2] == "fault"
    await socket.disconnect()

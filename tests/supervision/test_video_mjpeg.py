"""The MJPEG fallback: a camera's pictures as multipart/x-mixed-replace JPEGs for a screen that
cannot take WebRTC, decoded and encoded again by the gateway, with the same role checks as a
WebRTC view and its start and end in the events log."""

import asyncio
import contextlib
import io
import time

import av
import pytest
from django.test import AsyncClient, Client

from equipment import cameras
from equipment.models import Camera, Equipment
from ondijon import roles
from ondijon.demo.cameras import read_stamp
from supervision.models import Event
from supervision.video.gateway import MJPEG_BOUNDARY


@pytest.fixture
def camera(district) -> Camera:
    equipment = Equipment.objects.create(
        code="CAM-MJPEG",
        kind=Equipment.Kind.CAMERA,
        district=district,
        latitude=47.322,
        longitude=5.041,
    )
    return cameras.create_camera({"equipment": equipment, "simulated": True})


def jpegs_of(body: bytes) -> list[bytes]:
    """The whole JPEGs of a multipart body, by each part's Content-Length."""
    pictures, rest = [], body
    while b"\r\n\r\n" in rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        assert head.startswith(f"--{MJPEG_BOUNDARY}".encode()), head
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        if len(rest) < length:
            break
        pictures.append(rest[:length])
        rest = rest[length + 2 :]
    return pictures


async def watch_mjpeg(client: AsyncClient, url: str, pictures: int) -> tuple[object, list]:
    """Read `pictures` JPEGs, then leave as a screen does: the server cancels the answer."""
    response = await client.get(url)
    assert response.status_code == 200, response
    body = bytearray()

    async def read() -> None:
        async for chunk in response.streaming_content:
            body.extend(chunk)

    reading = asyncio.ensure_future(read())
    deadline = time.monotonic() + 15
    while len(jpegs_of(bytes(body))) < pictures and not reading.done():
        assert time.monotonic() < deadline, "no pictures"
        await asyncio.sleep(0.05)
    reading.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reading
    return response, jpegs_of(bytes(body))[:pictures]


@pytest.mark.usefixtures("transactional_db")
def test_a_screen_without_webrtc_gets_live_jpegs_and_its_view_is_logged(make_user, camera, gateway):
    client = AsyncClient()
    client.force_login(make_user(roles.OPERATOR, username="op-mjpeg"))
    url = f"/video/mjpeg/{camera.pk}/?screen=desk:alerts&stream=sub"
    loop = asyncio.new_event_loop()
    try:
        response, pictures = loop.run_until_complete(watch_mjpeg(client, url, 4))
    finally:
        loop.close()
    assert response["Content-Type"] == f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}"
    frames = [next(av.open(io.BytesIO(jpeg)).decode(video=0)) for jpeg in pictures]
    stamps = [read_stamp(frame.to_ndarray(format="gray")) for frame in frames]
    # The sub stream's pictures, live: their stamps advance and are seconds old at most.
    assert {frame.width for frame in frames} == {320}
    assert None not in stamps and stamps == sorted(stamps) and stamps[-1] > stamps[0]
    assert time.time() * 1000 - stamps[-1] < 5000

    started = Event.objects.get(kind="camera.view_started")
    assert started.actor.username == "op-mjpeg" and started.subject_id == str(camera.pk)
    assert {k: started.payload[k] for k in ("screen", "stream", "transport")} == {
        "screen": "desk:alerts",
        "stream": "sub",
        "transport": "mjpeg",
    }
    assert started.payload["session"] == response["X-View-Session"]
    stopped = Event.objects.get(kind="camera.view_stopped")
    assert stopped.payload["session"] == started.payload["session"]
    assert stopped.actor.username == "op-mjpeg" and stopped.payload["transport"] == "mjpeg"
    assert stopped.payload["seconds"] >= 0
    # The screen gone, nobody watches: past the idle time the camera is no longer pulled.
    deadline = time.monotonic() + 8
    while (feed := gateway.feeds.get((camera.pk, "sub"))) and feed.pulling:
        assert time.monotonic() < deadline, "still pulling a camera nobody watches"
        time.sleep(0.2)
    assert gateway.mjpeg_viewers == 0


@pytest.mark.parametrize(
    "role", [roles.FIELD_TEAM, roles.HOTLINE_AGENT, roles.SOCIAL_SUPPORT, None]
)
def test_field_crews_and_other_roles_outside_the_room_get_no_mjpeg(make_user, camera, role):
    client = Client()
    client.force_login(make_user(role, username=f"no-mjpeg-{role}"))
    response = client.get(f"/video/mjpeg/{camera.pk}/?screen=x")
    assert response.status_code == 403
    assert "multipart" not in response["Content-Type"]
    assert not Event.objects.filter(kind="camera.view_started").exists()


def test_the_public_is_sent_to_login_for_mjpeg(db, camera):
    response = Client().get(f"/video/mjpeg/{camera.pk}/")
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Event.objects.filter(kind="camera.view_started").exists()


@pytest.mark.parametrize(
    ("path", "query", "field", "status"),
    [("{pk}", "stream=third", "stream", 400), ("999999", "", "camera", 404)],
)
def test_a_bad_mjpeg_request_gets_its_field_refused(make_user, camera, path, query, field, status):
    client = Client()
    client.force_login(make_user(roles.WALL_DISPLAY, username="kiosk-bad-mjpeg"))
    response = client.get(f"/video/mjpeg/{path.format(pk=camera.pk)}/?{query}")
    assert response.status_code == status and field in response.json()
    assert not Event.objects.filter(kind="camera.view_started").exists()

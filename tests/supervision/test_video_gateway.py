"""The media gateway, through the web app's signalling: each camera pulled once however many
screens watch, its H.264 relayed as it comes (the stamps read back after the browser-side
decode), no longer pulled when nobody watches, every view start and stop in the events log,
and only the room's roles served."""

import asyncio
import json
import time

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from django.test import Client

from equipment import cameras
from equipment.models import Camera, Equipment
from ondijon import roles
from ondijon.demo.cameras import read_stamp
from supervision.models import Event
from supervision.video.gateway import without_mdns_candidates


@pytest.fixture
def camera(district) -> Camera:
    equipment = Equipment.objects.create(
        code="CAM-SIM-1",
        kind=Equipment.Kind.CAMERA,
        district=district,
        latitude=47.322,
        longitude=5.041,
    )
    return cameras.create_camera({"equipment": equipment, "simulated": True})


def client_for(make_user, role: str, username: str) -> Client:
    client = Client()
    client.force_login(make_user(role, username=username))
    return client


async def watch(
    client: Client,
    camera_id: int,
    pictures: int = 10,
    screen: str = "wall:test",
    stream: str = "main",
    widths: list | None = None,
):
    """A screen watching a camera over WebRTC: the stamps of the pictures it decoded (and
    their widths, into `widths` when given)."""
    peer = RTCPeerConnection()
    peer.addTransceiver("video", direction="recvonly")
    received: asyncio.Future = asyncio.get_running_loop().create_future()
    peer.on("track", lambda track: received.set_result(track))
    await peer.setLocalDescription(await peer.createOffer())
    response = await asyncio.to_thread(
        client.post,
        "/video/offer/",
        {"camera": camera_id, "sdp": peer.localDescription.sdp, "screen": screen, "stream": stream},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    answer = response.json()
    await peer.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
    track = await asyncio.wait_for(received, 10)
    stamps, arrived = [], []
    for _ in range(pictures):
        frame = await asyncio.wait_for(track.recv(), 10)
        arrived.append(time.time() * 1000)
        stamps.append(read_stamp(frame.to_ndarray(format="gray")))
        if widths is not None:
            widths.append(frame.width)
    return peer, answer["session"], stamps, arrived


@pytest.mark.usefixtures("transactional_db")
def test_two_screens_watch_one_pull_and_each_view_is_logged(make_user, camera, gateway):
    operator = client_for(make_user, roles.OPERATOR, "op-video")
    kiosk = client_for(make_user, roles.WALL_DISPLAY, "kiosk-video")

    loop = asyncio.new_event_loop()
    try:
        (peer1, session1, stamps1, arrived1) = loop.run_until_complete(
            watch(operator, camera.pk, screen="desk:alerts")
        )
        (peer2, _session2, stamps2, _) = loop.run_until_complete(
            watch(kiosk, camera.pk, screen="wall:main")
        )
        assert None not in stamps1 and None not in stamps2
        assert stamps1 == sorted(stamps1) and stamps1[-1] > stamps1[0]  # live pictures advance
        latency = sorted(a - s for a, s in zip(arrived1, stamps1, strict=True))
        assert latency[len(latency) // 2] < 1000
        assert gateway.feeds[camera.pk, "main"].pulls == 1

        started = Event.objects.filter(kind="camera.view_started").order_by("seq")
        assert [(e.actor.username, e.payload["screen"], e.subject_id) for e in started] == [
            ("op-video", "desk:alerts", str(camera.pk)),
            ("kiosk-video", "wall:main", str(camera.pk)),
        ]
        # Another viewer cannot end someone's view; the viewer can.
        close = {"session": session1}
        assert kiosk.post("/video/close/", close, "application/json").status_code == 404
        assert operator.post("/video/close/", close, "application/json").status_code == 200
        loop.run_until_complete(peer1.close())
        stopped = Event.objects.get(kind="camera.view_stopped")
        assert stopped.actor.username == "op-video" and stopped.payload["session"] == session1
        assert stopped.payload["screen"] == "desk:alerts"

        # The last screen leaves (its connection ends): past the idle time, no more pulling.
        loop.run_until_complete(peer2.close())
    finally:
        loop.close()
    deadline = time.monotonic() + 8
    while gateway.feeds.get((camera.pk, "main")) and gateway.feeds[camera.pk, "main"].pulling:
        assert time.monotonic() < deadline, "still pulling a camera nobody watches"
        time.sleep(0.2)
    assert Event.objects.filter(kind="camera.view_stopped").count() == 2


@pytest.mark.usefixtures("transactional_db")
def test_a_wall_of_many_tiles_watches_the_smaller_sub_stream_pulled_on_its_own(
    make_user, camera, gateway
):
    """A 4×4 wall's tile asks for the sub stream: a picture a quarter the size (what sixteen
    tiles can decode at full rate), its stamp read at its scale, its own feed pulled once
    beside the main one, and the stream in the log."""
    kiosk = client_for(make_user, roles.WALL_DISPLAY, "kiosk-sub")
    loop = asyncio.new_event_loop()
    try:
        main_widths, sub_widths = [], []
        peer1, _, main_stamps, _ = loop.run_until_complete(
            watch(kiosk, camera.pk, 5, widths=main_widths)
        )
        peer2, _, sub_stamps, _ = loop.run_until_complete(
            watch(kiosk, camera.pk, 5, stream="sub", widths=sub_widths)
        )
        loop.run_until_complete(peer1.close())
        loop.run_until_complete(peer2.close())
    finally:
        loop.close()
    assert set(main_widths) == {640} and set(sub_widths) == {320}
    assert None not in sub_stamps and sub_stamps == sorted(sub_stamps)
    assert None not in main_stamps
    assert gateway.feeds[camera.pk, "sub"].pulls == 1
    assert gateway.feeds[camera.pk, "main"].pulls == 1
    started = Event.objects.filter(kind="camera.view_started").order_by("seq")
    assert [(e.payload["stream"], e.payload["transport"]) for e in started] == [
        ("main", "webrtc"),
        ("sub", "webrtc"),
    ]


@pytest.mark.parametrize("role", [roles.FIELD_TEAM, roles.HOTLINE_AGENT, roles.SOCIAL_SUPPORT])
def test_roles_outside_the_room_get_no_video(make_user, camera, role):
    client = client_for(make_user, role, f"no-video-{role}")
    offer = {"camera": camera.pk, "sdp": "v=0\r\n", "screen": "x"}
    assert client.post("/video/offer/", offer, "application/json").status_code == 403
    assert client.get("/video/cameras/").status_code == 403
    assert not Event.objects.filter(kind="camera.view_started").exists()


def test_the_public_is_sent_to_login(db, camera):
    response = Client().post("/video/offer/", {"camera": camera.pk}, "application/json")
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"sdp": "v=0"}, "camera", 400),
        ({"camera": "1", "sdp": "v=0"}, "camera", 400),
        ({"camera": 999999, "sdp": "v=0"}, "camera", 404),
        ({"camera": None, "sdp": "v=0"}, "camera", 400),
        ("CAMERA", "body", 400),
        ({"camera": 0, "sdp": 5}, "sdp", 400),
        ({"camera": 0, "sdp": "v=0", "screen": ["x"]}, "screen", 400),
        ({"camera": 0, "sdp": "v=0", "type": "answer"}, "type", 400),
        ({"camera": 0, "sdp": "v=0", "stream": "third"}, "stream", 400),
    ],
)
def test_bad_offers_get_their_field_refused(make_user, camera, body, field, status):
    client = client_for(make_user, roles.OPERATOR, "op-bad")
    if isinstance(body, dict) and body.get("camera") == 0:
        body["camera"] = camera.pk
    response = client.post("/video/offer/", json.dumps(body), "application/json")
    assert response.status_code == status
    assert field in response.json()
    assert not Event.objects.filter(kind="camera.view_started").exists()


def test_the_camera_list_never_shows_a_login(make_user, camera):
    cameras.update_camera(camera, {"username": "u-secret", "password": "p-secret"})
    body = client_for(make_user, roles.WALL_DISPLAY, "kiosk-list").get("/video/cameras/")
    assert body.status_code == 200
    text = body.content.decode()
    assert "CAM-SIM-1" in text and "secret" not in text and "encrypted" not in text


def test_a_screens_offer_loses_only_its_mdns_named_candidates():
    """Chromium hides its host addresses behind mDNS names; the gateway drops those lines (it
    would wait a second resolving each) and keeps every other candidate and line."""
    offer = "\r\n".join(
        [
            "v=0",
            "m=video 9 UDP/TLS/RTP/SAVPF 96",
            "a=candidate:1 1 udp 2122260223 4f3c0e2a-1d2b-4c5d-8e9f-0a1b2c3d4e5f.local 51234 typ host",
            "a=candidate:2 1 udp 2122260223 127.0.0.1 51235 typ host",
            "a=candidate:3 1 udp 1686052607 203.0.113.7 51236 typ srflx raddr 0.0.0.0 rport 0",
            "a=rtpmap:96 H264/90000",
            "",
        ]
    )
    kept = without_mdns_candidates(offer).split("\r\n")
    assert not any(".local " in line for line in kept)
    assert [line for line in kept if line.startswith("a=candidate:")] == [
        "a=candidate:2 1 udp 2122260223 127.0.0.1 51235 typ host",
        "a=candidate:3 1 udp 1686052607 203.0.113.7 51236 typ srflx raddr 0.0.0.0 rport 0",
    ]
    assert "a=rtpmap:96 H264/90000" in kept and kept[-1] == ""

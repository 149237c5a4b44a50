"""Video on the wall in the machine's Chromium: a 2×2 wall of four live simulated cameras
(frames advancing, latency read from each painted frame's stamp), through the web app's
signalling and the gateway in daphne's own process (the embedded default), each view logged."""

import time

import pytest
from playwright.sync_api import expect

from equipment import cameras
from equipment.models import Equipment
from ondijon import roles
from supervision.alerts import services as alerts
from supervision.models import Event, WallScreen
from tests.e2e.test_wall import PASSWORD, daphne  # noqa: F401 (the fixture)

CODES = ["CAM-V1", "CAM-V2", "CAM-V3", "CAM-V4"]


def place_simulated_cameras(district, codes: list[str]) -> None:
    """Simulated cameras a hundred metres apart in `district`, named as the room names them."""
    for number, code in enumerate(codes):
        equipment = Equipment.objects.create(
            code=code,
            name=f"Caméra {number + 1}",
            kind=Equipment.Kind.CAMERA,
            district=district,
            latitude=47.322 + number * 0.001,
            longitude=5.041,
        )
        cameras.create_camera({"equipment": equipment, "simulated": True})


@pytest.fixture
def video_wall(transactional_db, make_user, district):
    place_simulated_cameras(district, CODES)
    # A PTZ camera far from the others, that sees the alarm's place.
    equipment = Equipment.objects.create(
        code="CAM-ALARM",
        name="Place de la Libération",
        kind=Equipment.Kind.CAMERA,
        district=district,
        latitude=47.3300,
        longitude=5.0500,
    )
    cameras.create_camera({"equipment": equipment, "simulated": True, "ptz": True})
    WallScreen.objects.create(
        slug="video",
        name="Video wall",
        panels=["video"],
        video_layout=4,
        video_tiles=[{"cameras": [code]} for code in CODES],
        alarm_tile=4,
    )
    make_user(roles.WALL_DISPLAY, username="kiosk")


def tile_stats(page) -> dict:
    return page.evaluate("() => JSON.parse(JSON.stringify(window.ondijonVideo.tiles))")


def test_a_2x2_wall_shows_four_live_cameras_and_logs_each_view(daphne, page, video_wall):  # noqa: F811
    server = daphne()
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{server.url}/wall/video/")
    page.fill("#id_username", "kiosk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    tiles = page.locator(".video-tile")
    expect(tiles).to_have_count(4, timeout=15000)
    for code in CODES:
        tile = page.locator(f'.video-tile[data-camera="{code}"]')
        expect(tile).to_have_attribute("data-state", "live", timeout=20000)
        expect(tile.locator(".video-code")).to_have_text(code)
    first = tile_stats(page)
    time.sleep(3)
    later = tile_stats(page)
    for number in ("1", "2", "3", "4"):
        # Frames advance (25 a second sent; a loaded machine paints fewer).
        assert later[number]["frames"] - first[number]["frames"] >= 20, later[number]
        latencies = sorted(later[number]["latencies"])
        assert len(latencies) >= 20, later[number]
        assert latencies[len(latencies) // 2] < 400, latencies
        assert later[number]["firstFrameMs"] < 5000
    views = Event.objects.filter(kind="camera.view_started")
    assert sorted(e.subject_label for e in views) == CODES
    assert {(e.actor_label, e.payload["screen"]) for e in views} == {("kiosk", "wall:video")}

    # An alert near the PTZ camera: it comes onto the alarm tile, live, until resolved.
    alert = alerts.raise_alert(
        {
            "title": "Rixe signalée",
            "source": "operator",
            "category": "public_order",
            "severity": 4,
            "latitude": 47.3302,
            "longitude": 5.0502,
        }
    )
    alarm_tile = page.locator('.video-tile[data-tile="4"]')
    expect(alarm_tile).to_have_attribute("data-camera", "CAM-ALARM", timeout=10000)
    expect(alarm_tile).to_have_attribute("data-state", "live", timeout=10000)
    expect(alarm_tile.locator(".video-alarm")).to_contain_text("Rixe signalée")
    alerts.resolve_alert(alert, None)
    expect(alarm_tile).to_have_attribute("data-camera", "CAM-V4", timeout=10000)
    expect(alarm_tile).to_have_attribute("data-state", "live", timeout=10000)
    # Each view that ended is in the log, by the kiosk, with its screen.
    expect_logged = lambda: Event.objects.filter(  # noqa: E731
        kind="camera.view_stopped", subject_label__in=["CAM-V4", "CAM-ALARM"]
    ).count()
    deadline = time.monotonic() + 10
    while expect_logged() < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    stopped = Event.objects.filter(kind="camera.view_stopped")
    assert {"CAM-V4", "CAM-ALARM"} <= {e.subject_label for e in stopped}
    assert {(e.actor_label, e.payload["screen"]) for e in stopped} == {("kiosk", "wall:video")}

"""The MJPEG fallback in the machine's Chromium: a browser without WebRTC, and a camera set to
MJPEG, still show live pictures on the wall's tiles (their stamps read back from the tile's
canvas), through the web app's checks, each view's start and end in the events log; a wall of
nine tiles watches the cameras' sub stream."""

import time

import pytest
from playwright.sync_api import expect

from equipment import cameras
from equipment.models import Camera
from ondijon import roles
from supervision.models import Event, WallScreen
from tests.e2e.test_video_wall import place_simulated_cameras
from tests.e2e.test_wall import PASSWORD, daphne  # noqa: F401 (the fixture)

CODES = ["CAM-M1", "CAM-M2", "CAM-M3", "CAM-M4"]


@pytest.fixture
def mjpeg_walls(transactional_db, make_user, district):
    place_simulated_cameras(district, CODES)
    for slug, layout in (("nine", 9), ("four", 4)):
        WallScreen.objects.create(
            slug=slug,
            name=slug,
            panels=["video"],
            video_layout=layout,
            video_tiles=[{"cameras": [code]} for code in CODES],
        )
    make_user(roles.WALL_DISPLAY, username="kiosk")


def sign_in(page, url: str) -> None:
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(url)
    page.fill("#id_username", "kiosk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def tile_stats(page) -> dict:
    return page.evaluate("() => JSON.parse(JSON.stringify(window.ondijonVideo.tiles))")


def wait_for(count, expected: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while count() < expected and time.monotonic() < deadline:
        time.sleep(0.3)


def test_a_browser_without_webrtc_shows_the_wall_as_mjpeg_and_each_view_is_logged(
    daphne,  # noqa: F811
    browser,
    mjpeg_walls,
):
    server = daphne()
    context = browser.new_context()
    # A browser with no WebRTC at all (a locked-down kiosk): the tiles fall back to MJPEG.
    context.add_init_script("delete window.RTCPeerConnection;")
    page = context.new_page()
    sign_in(page, f"{server.url}/wall/nine/")
    for code in CODES:
        tile = page.locator(f'.video-tile[data-camera="{code}"]')
        expect(tile).to_have_attribute("data-state", "live", timeout=20000)
        expect(tile).to_have_attribute("data-transport", "mjpeg")
        expect(tile.locator("canvas.video-picture")).to_be_visible()
        expect(tile.locator("video")).to_be_hidden()
    first = tile_stats(page)
    time.sleep(3)
    later = tile_stats(page)
    for number in ("1", "2", "3", "4"):
        # Ten pictures a second sent; a loaded machine draws fewer.
        assert later[number]["frames"] - first[number]["frames"] >= 8, later[number]
        assert later[number]["stream"] == "sub" and later[number]["transport"] == "mjpeg"
        latencies = sorted(later[number]["latencies"])
        assert len(latencies) >= 8, later[number]
        assert latencies[len(latencies) // 2] < 1000, latencies
    # A 3×3 wall's tiles get the sub stream: its picture is a quarter of the main one's.
    widths = page.eval_on_selector_all(
        '.video-tile[data-state="live"] canvas.video-picture', "nodes => nodes.map(n => n.width)"
    )
    assert widths == [320] * 4
    views = Event.objects.filter(kind="camera.view_started")
    assert sorted(e.subject_label for e in views) == CODES
    assert {
        (e.actor_label, e.payload["screen"], e.payload["stream"], e.payload["transport"])
        for e in views
    } == {("kiosk", "wall:nine", "sub", "mjpeg")}

    # The wall closes: each view's end is logged, with who watched and from where.
    context.close()
    stopped = lambda: Event.objects.filter(kind="camera.view_stopped").count()  # noqa: E731
    wait_for(stopped, 4)
    ends = Event.objects.filter(kind="camera.view_stopped")
    assert sorted(e.subject_label for e in ends) == CODES
    assert {(e.actor_label, e.payload["screen"], e.payload["transport"]) for e in ends} == {
        ("kiosk", "wall:nine", "mjpeg")
    }
    assert {e.payload["session"] for e in ends} == {e.payload["session"] for e in views}


def test_a_camera_set_to_mjpeg_shows_so_among_webrtc_tiles(daphne, page, mjpeg_walls):  # noqa: F811
    camera = Camera.objects.get(equipment__code="CAM-M2")
    cameras.update_camera(camera, {"transport": Camera.Transport.MJPEG})
    server = daphne()
    sign_in(page, f"{server.url}/wall/four/")
    mjpeg = page.locator('.video-tile[data-camera="CAM-M2"]')
    expect(mjpeg).to_have_attribute("data-state", "live", timeout=20000)
    expect(mjpeg).to_have_attribute("data-transport", "mjpeg")
    for code in ("CAM-M1", "CAM-M3", "CAM-M4"):
        tile = page.locator(f'.video-tile[data-camera="{code}"]')
        expect(tile).to_have_attribute("data-state", "live", timeout=20000)
        expect(tile).to_have_attribute("data-transport", "webrtc")
    # A 2×2 wall watches the main stream, by either transport.
    assert mjpeg.locator("canvas.video-picture").evaluate("node => node.width") == 640
    stats = tile_stats(page)
    assert {tile["stream"] for tile in stats.values()} == {"main"}
    views = {
        e.subject_label: (e.payload["stream"], e.payload["transport"])
        for e in Event.objects.filter(kind="camera.view_started")
    }
    assert views == {
        "CAM-M1": ("main", "webrtc"),
        "CAM-M2": ("main", "mjpeg"),
        "CAM-M3": ("main", "webrtc"),
        "CAM-M4": ("main", "webrtc"),
    }

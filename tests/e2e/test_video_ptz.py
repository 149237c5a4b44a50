"""Steering a PTZ camera from its wall tile in the machine's Chromium: an operator turns it to
a preset with a button, pans it with a held arrow key, and each move reaches the (simulated)
ONVIF camera and the events log; a kiosk's tile has no controls."""

import time

import pytest
from playwright.sync_api import expect

from equipment import cameras
from equipment.models import Equipment
from ondijon import roles
from ondijon.demo.onvif_camera import Preset, SimulatedOnvifCamera
from supervision.models import Event, WallScreen
from tests.e2e.test_wall import PASSWORD, daphne  # noqa: F401 (the fixture)


@pytest.fixture
def onvif_camera():
    presets = [Preset("10", "Entrée"), Preset("20", "Parvis", 0.4, 0.1, 0.5)]
    with SimulatedOnvifCamera("ptz-user", "ptz-pass", presets) as simulated:
        yield simulated


@pytest.fixture
def ptz_wall(transactional_db, make_user, district, onvif_camera):
    equipment = Equipment.objects.create(
        code="CAM-PTZ",
        name="Place Darcy",
        kind=Equipment.Kind.CAMERA,
        district=district,
        latitude=47.322,
        longitude=5.041,
    )
    cameras.create_camera(
        {
            "equipment": equipment,
            "simulated": True,
            "ptz": True,
            "onvif_url": onvif_camera.url,
            "username": "ptz-user",
            "password": "ptz-pass",
            "presets": [{"token": "10", "name": "Entrée"}, {"token": "20", "name": "Parvis"}],
        }
    )
    WallScreen.objects.create(
        slug="ptz",
        name="PTZ",
        panels=["video"],
        video_layout=1,
        video_tiles=[{"cameras": ["CAM-PTZ"]}],
        alarm_tile=None,
    )
    make_user(roles.OPERATOR, username="operator")
    make_user(roles.WALL_DISPLAY, username="kiosk")


def log_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def wait_for(condition, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_an_operator_steers_the_tiles_camera_by_button_and_key(
    daphne,  # noqa: F811
    page,
    ptz_wall,
    onvif_camera,
):
    server = daphne()
    log_in(page, f"{server.url}/wall/ptz/", "operator")
    tile = page.locator('.video-tile[data-camera="CAM-PTZ"]')
    expect(tile).to_have_attribute("data-state", "live", timeout=20000)
    presets = tile.locator(".video-ptz .video-preset")
    expect(presets).to_have_count(2)
    expect(presets.nth(1)).to_have_attribute("aria-label", "Preset 2: Parvis")

    presets.nth(1).click()
    expect(tile).to_have_attribute("data-ptz", "preset", timeout=15000)
    assert onvif_camera.position() == (0.4, 0.1, 0.5)
    recalled = Event.objects.get(kind="camera.preset_recalled")
    assert (recalled.actor_label, recalled.payload["screen"], recalled.payload["preset"]) == (
        "operator",
        "wall:ptz",
        "20",
    )

    # A held arrow key pans the camera; its release stops it.
    tile.focus()
    page.keyboard.down("ArrowRight")
    assert wait_for(lambda: onvif_camera.moving), onvif_camera.calls
    page.keyboard.up("ArrowRight")
    assert wait_for(lambda: not onvif_camera.moving), onvif_camera.calls
    assert onvif_camera.position()[0] > 0.4
    assert wait_for(lambda: Event.objects.filter(kind="camera.move_stopped").exists())
    started = Event.objects.get(kind="camera.move_started")
    assert (started.payload["pan"], started.payload["tilt"], started.actor_label) == (
        0.5,
        0.0,
        "operator",
    )


def test_a_kiosks_tile_has_no_steering(daphne, page, ptz_wall, onvif_camera):  # noqa: F811
    server = daphne()
    log_in(page, f"{server.url}/wall/ptz/", "kiosk")
    tile = page.locator('.video-tile[data-camera="CAM-PTZ"]')
    expect(tile).to_have_attribute("data-state", "live", timeout=20000)
    expect(tile.locator(".video-ptz")).to_be_hidden()
    assert onvif_camera.calls == []

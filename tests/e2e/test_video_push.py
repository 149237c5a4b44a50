"""Pushing a camera to the wall in the machine's Chromium: an operator, on the alert desk,
puts the camera that sees the alert onto tile 2 of the video wall that a kiosk shows; the
kiosk's tile shows that camera live, then its own again once the tile is given back; both
steps are in the events log."""

import pytest
from playwright.sync_api import expect

from equipment import cameras
from equipment.models import Equipment
from ondijon import roles
from supervision.alerts import services as alerts
from supervision.models import Event, WallScreen
from tests.e2e.test_wall import PASSWORD, daphne  # noqa: F401 (the fixture)


@pytest.fixture
def push_wall(transactional_db, make_user, district):
    for code, latitude in [("CAM-W1", 47.300), ("CAM-W2", 47.301), ("CAM-NEAR", 47.330)]:
        equipment = Equipment.objects.create(
            code=code,
            name=code,
            kind=Equipment.Kind.CAMERA,
            district=district,
            latitude=latitude,
            longitude=5.05,
        )
        cameras.create_camera({"equipment": equipment, "simulated": True, "ptz": True})
    WallScreen.objects.create(
        slug="video",
        name="Mur vidéo",
        panels=["video"],
        video_layout=4,
        video_tiles=[{"cameras": ["CAM-W1"]}, {"cameras": ["CAM-W2"]}],
        alarm_tile=None,
    )
    make_user(roles.OPERATOR, username="operator")
    make_user(roles.WALL_DISPLAY, username="kiosk")
    return alerts.raise_alert(
        {
            "title": "Attroupement",
            "source": "operator",
            "category": "public_order",
            "severity": 3,
            "latitude": 47.3302,
            "longitude": 5.0502,
        }
    )


def log_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_an_operator_pushes_the_alerts_camera_onto_a_wall_tile(daphne, browser, push_wall):  # noqa: F811
    server = daphne()
    wall = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    log_in(wall, f"{server.url}/wall/video/", "kiosk")
    tile = wall.locator('.video-tile[data-tile="2"]')
    expect(tile).to_have_attribute("data-camera", "CAM-W2", timeout=20000)

    desk = browser.new_context().new_page()
    log_in(desk, f"{server.url}/alerts/?alert={push_wall.pk}", "operator")
    form = desk.locator("#alert-detail form.push-camera")
    # The camera that sees the alert's place comes first.
    expect(form.locator("select[name=camera] option:checked")).to_have_text("CAM-NEAR — CAM-NEAR")
    form.locator("select[name=tile]").select_option("2")
    form.locator("button[name=push]").click()
    expect(form).to_have_attribute("data-state", "pushed", timeout=10000)

    expect(tile).to_have_attribute("data-camera", "CAM-NEAR", timeout=15000)
    expect(tile).to_have_attribute("data-state", "live", timeout=20000)
    expect(tile.locator(".video-code")).to_have_text("CAM-NEAR")
    pushed = Event.objects.get(kind="wall_screen.camera_pushed")
    assert (pushed.actor_label, pushed.payload["tile"], pushed.payload["origin"]) == (
        "operator",
        2,
        "alerts",
    )

    form.locator("button[name=release]").click()
    expect(form).to_have_attribute("data-state", "released", timeout=10000)
    expect(tile).to_have_attribute("data-camera", "CAM-W2", timeout=15000)
    assert Event.objects.filter(kind="wall_screen.camera_released").count() == 1

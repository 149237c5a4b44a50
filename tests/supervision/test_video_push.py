"""An operator puts any camera on a wall tile (from the alert desk, the dispatch desk or the
map's device page): the screen's tiles show it until the tile is given back; each push and
release is an event; kiosks and the roles that do not steer cameras are refused."""

import json

import pytest
from django.test import Client

from equipment import cameras
from equipment.models import Equipment
from ondijon import roles
from supervision.models import Event, WallScreen
from supervision.video import tiles

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def camera(district):
    equipment = Equipment.objects.create(
        code="CAM-PUSH",
        kind=Equipment.Kind.CAMERA,
        district=district,
        latitude=47.32,
        longitude=5.04,
    )
    return cameras.create_camera({"equipment": equipment, "simulated": True})


@pytest.fixture
def screen(db):
    return WallScreen.objects.create(
        slug="video", name="Mur vidéo", panels=["video"], video_layout=4
    )


def client_for(make_user, role: str) -> Client:
    client = Client()
    client.force_login(make_user(role, username=f"push-{role}"))
    return client


def push(client: Client, **body):
    return client.post("/video/push/", json.dumps(body), content_type="application/json")


def test_an_operator_puts_a_camera_on_a_tile_and_gives_it_back(make_user, camera, screen):
    client = client_for(make_user, roles.OPERATOR)
    response = push(client, screen="video", tile=2, camera=camera.pk, origin="map")
    assert response.status_code == 200, response.content
    screen.refresh_from_db()
    live = tiles.live_tiles(screen)
    assert live["pushed"]["2"]["code"] == "CAM-PUSH"
    event = Event.objects.get(kind="wall_screen.camera_pushed")
    assert event.payload == {"screen": "video", "tile": 2, "camera": "CAM-PUSH", "origin": "map"}
    assert event.actor.username == "push-operator"
    # The wall's poll reads it.
    kiosk = client_for(make_user, roles.WALL_DISPLAY)
    assert kiosk.get("/wall/video/video/").json()["pushed"]["2"]["code"] == "CAM-PUSH"

    assert push(client, screen="video", tile=2, release=True, origin="map").status_code == 200
    screen.refresh_from_db()
    assert tiles.live_tiles(screen)["pushed"] == {}
    released = Event.objects.get(kind="wall_screen.camera_released")
    assert released.payload == {"screen": "video", "tile": 2, "camera": None, "origin": "map"}


@pytest.mark.parametrize("role", [roles.SUPERVISOR, roles.DISPATCHER])
def test_supervisors_and_dispatchers_push_too(make_user, camera, screen, role):
    response = push(client_for(make_user, role), screen="video", tile=1, camera=camera.pk)
    assert response.status_code == 200


@pytest.mark.parametrize("role", [roles.WALL_DISPLAY, roles.FIELD_TEAM, roles.HOTLINE_AGENT])
def test_kiosks_and_other_roles_cannot_push(make_user, camera, screen, role):
    response = push(client_for(make_user, role), screen="video", tile=1, camera=camera.pk)
    assert response.status_code == 403
    assert not Event.objects.filter(kind="wall_screen.camera_pushed").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"screen": "nowhere", "tile": 1}, "screen"),
        ({"screen": "video", "tile": 5}, "tile"),
        ({"screen": "video", "tile": "two"}, "tile"),
        ({"screen": "video", "tile": 1, "camera": 999999}, "camera"),
        ({"screen": "video", "tile": 1, "origin": "phone"}, "origin"),
    ],
)
def test_bad_pushes_are_refused_by_field(make_user, camera, screen, body, field):
    response = push(client_for(make_user, roles.OPERATOR), **{"camera": camera.pk, **body})
    assert response.status_code in (400, 404)
    assert field in response.json()
    assert not Event.objects.filter(kind="wall_screen.camera_pushed").exists()


def test_a_screen_without_video_takes_no_camera(make_user, camera):
    WallScreen.objects.create(slug="map", name="Carte", panels=["map"])
    response = push(client_for(make_user, roles.OPERATOR), screen="map", tile=1, camera=camera.pk)
    assert response.status_code == 400
    assert "screen" in response.json()


def test_the_desks_and_the_map_offer_the_push_to_those_who_may(make_user, camera, screen):
    operator = client_for(make_user, roles.OPERATOR)
    device = operator.get(f"/console/devices/{camera.equipment.code}/")
    assert device.status_code == 200
    assert b'class="push-camera"' in device.content and b'data-origin="map"' in device.content
    dispatcher = client_for(make_user, roles.DISPATCHER)
    desk = dispatcher.get("/dispatch/")
    assert b'data-origin="dispatch"' in desk.content
    kiosk = client_for(make_user, roles.WALL_DISPLAY)
    assert b"push-camera" not in kiosk.get("/wall/video/").content

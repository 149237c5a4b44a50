"""Steering a PTZ camera from the room: go to a preset, pan, tilt and zoom, stop, through the
camera's ONVIF service (a simulated ONVIF camera on its own port, spoken to over SOAP with the
camera's encrypted login), each move an event; the room's operators, supervisors and
dispatchers steer, wall kiosks and the other roles are refused."""

import json

import pytest
from django.test import Client

from equipment import cameras, ptz
from equipment.models import Equipment
from ondijon import roles
from ondijon.demo.onvif_camera import Preset, SimulatedOnvifCamera
from supervision.models import Event

pytestmark = pytest.mark.usefixtures("english")

PRESETS = [Preset("1", "Entrée", 0.0, 0.0, 0.0), Preset("7", "Parvis", 0.5, -0.2, 0.3)]


@pytest.fixture
def onvif_camera():
    with SimulatedOnvifCamera("ptz-user", "ptz-s3cret", PRESETS) as simulated:
        yield simulated


@pytest.fixture
def camera(district, onvif_camera):
    equipment = Equipment.objects.create(
        code="CAM-PTZ",
        kind=Equipment.Kind.CAMERA,
        district=district,
        latitude=47.32,
        longitude=5.04,
    )
    return cameras.create_camera(
        {
            "equipment": equipment,
            "onvif_url": onvif_camera.url,
            "username": "ptz-user",
            "password": "ptz-s3cret",
            "ptz": True,
            "presets": [{"token": "1", "name": "Entrée"}, {"token": "7", "name": "Parvis"}],
        }
    )


def client_for(make_user, role: str) -> Client:
    client = Client()
    client.force_login(make_user(role, username=f"ptz-{role}"))
    return client


def steer(client: Client, **body):
    return client.post("/video/ptz/", json.dumps(body), content_type="application/json")


def test_an_operator_turns_the_camera_to_a_preset_and_the_move_is_logged(
    make_user, camera, onvif_camera
):
    response = steer(
        client_for(make_user, roles.OPERATOR),
        camera=camera.pk,
        action="preset",
        preset="7",
        screen="desk:alerts",
    )
    assert response.status_code == 200, response.content
    assert onvif_camera.position() == (0.5, -0.2, 0.3)
    assert onvif_camera.calls[-1] == "GotoPreset"
    event = Event.objects.get(kind="camera.preset_recalled")
    assert (event.subject_type, event.subject_id, event.actor.username) == (
        "camera",
        str(camera.pk),
        "ptz-operator",
    )
    assert event.payload == {
        "camera": camera.pk,
        "screen": "desk:alerts",
        "preset": "7",
        "preset_name": "Parvis",
    }


def test_a_move_turns_the_camera_until_stopped_and_each_step_is_logged(
    make_user, camera, onvif_camera
):
    client = client_for(make_user, roles.SUPERVISOR)
    assert steer(client, camera=camera.pk, action="move", pan=1, tilt=0, zoom=0).status_code == 200
    assert onvif_camera.moving
    # A move carries its timeout: a screen gone mid-move leaves no camera turning.
    assert onvif_camera.motion.until is not None
    assert steer(client, camera=camera.pk, action="stop").status_code == 200
    assert not onvif_camera.moving
    pan, _tilt, _zoom = onvif_camera.position()
    assert pan > 0
    kinds = list(
        Event.objects.filter(subject_type="camera", kind__startswith="camera.move").values_list(
            "kind", flat=True
        )
    )
    assert kinds == ["camera.move_started", "camera.move_stopped"]
    started = Event.objects.get(kind="camera.move_started")
    assert started.payload == {
        "camera": camera.pk,
        "screen": "unknown screen",
        "pan": 1.0,
        "tilt": 0.0,
        "zoom": 0.0,
    }
    assert [call for call in onvif_camera.calls if call in ("ContinuousMove", "Stop")] == [
        "ContinuousMove",
        "Stop",
    ]


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.SUPERVISOR, roles.DISPATCHER])
def test_the_rooms_steering_roles_move_a_camera(make_user, camera, onvif_camera, role):
    response = steer(client_for(make_user, role), camera=camera.pk, action="preset", preset="1")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "role", [roles.WALL_DISPLAY, roles.FIELD_TEAM, roles.HOTLINE_AGENT, roles.SOCIAL_SUPPORT]
)
def test_kiosks_and_the_other_roles_are_refused_and_the_camera_is_not_asked(
    make_user, camera, onvif_camera, role
):
    response = steer(client_for(make_user, role), camera=camera.pk, action="move", pan=1)
    assert response.status_code == 403
    assert onvif_camera.calls == []
    assert not Event.objects.filter(kind__startswith="camera.move").exists()


def test_nobody_logged_in_is_sent_to_the_login(camera, onvif_camera):
    response = steer(Client(), camera=camera.pk, action="stop")
    assert response.status_code == 302
    assert onvif_camera.calls == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "preset", "preset": "99"}, "preset"),
        ({"action": "preset"}, "preset"),
        ({"action": "move", "pan": 2}, "pan"),
        ({"action": "move", "tilt": "up"}, "tilt"),
        ({"action": "move", "zoom": True}, "zoom"),
        ({"action": "move"}, "pan"),
        ({"action": "spin"}, "action"),
        ({"action": "stop", "screen": 12}, "screen"),
        ({"camera": "CAM-PTZ", "action": "stop"}, "camera"),
    ],
)
def test_bad_moves_are_refused_by_field_and_reach_no_camera(
    make_user, camera, onvif_camera, body, field
):
    response = steer(client_for(make_user, roles.OPERATOR), **{"camera": camera.pk, **body})
    assert response.status_code == 400
    assert field in response.json()
    assert onvif_camera.calls == []
    assert not Event.objects.filter(kind__in=ptz_kinds()).exists()


def ptz_kinds() -> list[str]:
    return [ptz.PRESET_RECALLED, ptz.MOVE_STARTED, ptz.MOVE_STOPPED]


def test_a_fixed_camera_or_one_without_onvif_cannot_be_steered(make_user, camera, district):
    client = client_for(make_user, roles.OPERATOR)
    fixed = cameras.update_camera(camera, {"ptz": False, "presets": []})
    response = steer(client, camera=fixed.pk, action="stop")
    assert response.status_code == 400
    assert "camera" in response.json()
    cameras.update_camera(fixed, {"ptz": True, "onvif_url": ""})
    response = steer(client, camera=fixed.pk, action="stop")
    assert response.status_code == 400
    assert "camera" in response.json()


def test_a_camera_that_refuses_the_login_is_reported_and_nothing_is_logged(
    make_user, camera, onvif_camera
):
    cameras.update_camera(camera, {"password": "not-the-password"})
    response = steer(client_for(make_user, roles.OPERATOR), camera=camera.pk, action="stop")
    assert response.status_code == 502
    assert "refused" in response.json()["detail"]
    assert "Stop" not in onvif_camera.calls
    assert not Event.objects.filter(kind__in=ptz_kinds()).exists()


def test_a_camera_that_does_not_answer_is_reported(make_user, camera, onvif_camera):
    onvif_camera.stop()
    response = steer(client_for(make_user, roles.OPERATOR), camera=camera.pk, action="stop")
    assert response.status_code == 502
    assert not Event.objects.filter(kind__in=ptz_kinds()).exists()


def test_the_presets_are_read_from_the_camera(camera, onvif_camera):
    cameras.update_camera(camera, {"presets": []})
    updated = ptz.read_presets(camera)
    assert updated.presets == [{"token": "1", "name": "Entrée"}, {"token": "7", "name": "Parvis"}]
    assert onvif_camera.calls[-1] == "GetPresets"


def test_the_demos_ptz_cameras_answer_onvif_from_the_demo_process(district):
    from ondijon.demo.onvif_camera import serve_demo_cameras

    equipment = Equipment.objects.create(
        code="CAM-DEMO", kind=Equipment.Kind.CAMERA, district=district, latitude=47.3, longitude=5.0
    )
    demo = cameras.create_camera(
        {
            "equipment": equipment,
            "simulated": True,
            "ptz": True,
            "presets": [{"token": "1", "name": "Vue large"}],
        }
    )
    served = serve_demo_cameras()
    try:
        demo.refresh_from_db()
        assert demo.onvif_url == served[0].url
        ptz.go_to_preset(demo, "1")
        assert served[0].calls[-1] == "GotoPreset"
    finally:
        for server in served:
            server.stop()

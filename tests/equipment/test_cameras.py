"""Cameras as streams: settings edited in the admin through the service, the login stored
encrypted and never shown back, and the field of view that says which camera sees a place."""

import pytest
from django.test import Client

from equipment import cameras
from equipment.models import Camera, Equipment
from ondijon import roles
from supervision.models import Event
from tests import admin_forms

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def admin_site(make_user) -> Client:
    client = Client()
    client.force_login(make_user(roles.ADMINISTRATOR, username="camera-admin"))
    return client


@pytest.fixture
def camera_equipment(district) -> Equipment:
    return Equipment.objects.create(
        code="CAM-T1",
        kind=Equipment.Kind.CAMERA,
        district=district,
        latitude=47.3220,
        longitude=5.0410,
    )


@pytest.fixture
def camera(camera_equipment) -> Camera:
    return cameras.create_camera(
        {
            "equipment": camera_equipment,
            "main_stream_url": "rtsp://10.0.0.5:554/main",
            "sub_stream_url": "rtsp://10.0.0.5:554/sub",
            "username": "viewer",
            "password": "s3cret-pass",
            "direction": 90,
            "field_angle": 60,
            "range_m": 200,
        }
    )


def test_the_login_is_stored_encrypted_and_given_to_the_gateway_only(camera):
    stored = Camera.objects.get(pk=camera.pk)
    assert "s3cret-pass" not in stored.password_encrypted
    assert "viewer" not in stored.username_encrypted
    assert cameras.camera_login(stored) == ("viewer", "s3cret-pass")
    assert cameras.stream_url(stored) == "rtsp://viewer:s3cret-pass@10.0.0.5:554/sub"
    event = Event.objects.get(kind="camera.created")
    assert event.subject_type == "camera"
    assert "s3cret" not in str(event.payload) and "viewer" not in str(event.payload)
    assert event.payload["camera"]["has_credentials"] is True


def test_another_key_cannot_read_the_login(camera, settings):
    from cryptography.fernet import Fernet
    from django.core.exceptions import ImproperlyConfigured

    settings.CAMERA_CREDENTIALS_KEY = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured):
        cameras.camera_login(Camera.objects.get(pk=camera.pk))


def test_without_a_key_in_production_no_login_is_stored(camera_equipment, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CAMERA_CREDENTIALS_KEY = ""
    settings.CAMERA_CREDENTIALS_SECRET = ""
    with pytest.raises(ImproperlyConfigured):
        cameras.create_camera({"equipment": camera_equipment, "password": "x"})
    assert not Camera.objects.exists()


def test_the_admin_edits_a_camera_through_the_service_and_never_shows_the_login(admin_site, camera):
    url = f"/admin/equipment/camera/{camera.pk}/change/"
    page = admin_site.get(url).content.decode()
    assert "s3cret-pass" not in page and "viewer" not in page
    assert camera.password_encrypted not in page
    admin_forms.save(admin_site, url, direction="180", password="new-pass")
    camera.refresh_from_db()
    assert camera.direction == 180
    assert cameras.camera_login(camera) == ("viewer", "new-pass")
    event = Event.objects.filter(kind="camera.updated").get()
    assert event.payload["fields"] == ["credentials", "direction"]
    assert "new-pass" not in str(event.payload)
    # Saved with the login left empty: the stored one stays.
    admin_forms.save(admin_site, url, range_m="250")
    camera.refresh_from_db()
    assert cameras.camera_login(camera) == ("viewer", "new-pass")
    admin_forms.save(admin_site, url, forget_credentials="on")
    camera.refresh_from_db()
    assert not camera.has_credentials


def test_bad_settings_are_refused_with_their_field_and_nothing_is_saved(admin_site, camera):
    url = f"/admin/equipment/camera/{camera.pk}/change/"
    data = admin_forms.page_values(admin_site, url)
    data.update(
        main_stream_url="rtsp://user:pw@10.0.0.5/main",
        onvif_url="ftp://10.0.0.5/",
        presets='[{"token": "1"}]',
    )
    response = admin_site.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) >= {"main_stream_url", "onvif_url", "presets"}
    assert "not in the address" in str(errors["main_stream_url"])
    assert not Event.objects.filter(kind="camera.updated").exists()


def test_a_camera_is_made_of_camera_equipment_only(admin_site, streetlight):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refusal:
        cameras.create_camera({"equipment": streetlight})
    assert "equipment" in refusal.value.message_dict


def test_roles_that_watch_and_steer(make_user):
    watchers = [roles.OPERATOR, roles.SUPERVISOR, roles.DISPATCHER, roles.WALL_DISPLAY]
    for role in watchers:
        assert make_user(role, username=f"w-{role}").has_perm("equipment.watch_camera"), role
    for role in [roles.FIELD_TEAM, roles.HOTLINE_AGENT, roles.SOCIAL_SUPPORT]:
        assert not make_user(role, username=f"n-{role}").has_perm("equipment.watch_camera")
    for role in [roles.OPERATOR, roles.SUPERVISOR, roles.DISPATCHER]:
        assert make_user(role, username=f"s-{role}").has_perm("equipment.move_camera"), role
    for role in [roles.WALL_DISPLAY, roles.FIELD_TEAM, roles.HOTLINE_AGENT]:
        assert not make_user(role, username=f"ns-{role}").has_perm("equipment.move_camera")


def test_the_nearest_camera_that_looks_at_a_place_sees_it(camera, district):
    # The camera looks east (90°) with 60°: a place 100 m east is seen, 100 m west is not.
    east = (47.3220, 5.0410 + 100 / (111_000 * 0.6768))
    west = (47.3220, 5.0410 - 100 / (111_000 * 0.6768))
    assert cameras.cameras_seeing(*east) == [camera]
    assert cameras.cameras_seeing(*west) == []
    far_east = (47.3220, 5.0410 + 400 / (111_000 * 0.6768))
    assert cameras.cameras_seeing(*far_east) == []
    cameras.update_camera(camera, {"ptz": True})
    assert cameras.cameras_seeing(*west) == [Camera.objects.get(pk=camera.pk)]

"""A wall screen's video tiles, configured in the admin through the screens' service: layouts,
tours, the alarm tile; bad settings refused by field; what the screen's page is given."""

import json

import pytest
from django.test import Client

from equipment import cameras
from equipment.models import Equipment
from ondijon import roles
from supervision.models import Event, WallScreen
from tests import admin_forms

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def two_cameras(district):
    made = []
    for code in ("CAM-A", "CAM-B"):
        equipment = Equipment.objects.create(
            code=code, kind=Equipment.Kind.CAMERA, district=district, latitude=47.32, longitude=5.04
        )
        made.append(cameras.create_camera({"equipment": equipment, "simulated": True}))
    return made


@pytest.fixture
def screen(db) -> WallScreen:
    return WallScreen.objects.create(slug="video", name="Video", panels=["video"])


@pytest.fixture
def admin_site(make_user) -> Client:
    client = Client()
    client.force_login(make_user(roles.ADMINISTRATOR, username="tiles-admin"))
    return client


def test_the_admin_sets_a_layout_with_a_tour_and_an_alarm_tile(admin_site, screen, two_cameras):
    url = f"/admin/supervision/wallscreen/{screen.pk}/change/"
    tiles = [{"cameras": ["CAM-A", "CAM-B"], "tour_seconds": 10}, {"cameras": ["CAM-B"]}]
    admin_forms.save(
        admin_site, url, video_layout="9", video_tiles=json.dumps(tiles), alarm_tile="9"
    )
    screen.refresh_from_db()
    assert (screen.video_layout, screen.video_tiles, screen.alarm_tile) == (9, tiles, 9)
    event = Event.objects.get(kind="wall_screen.updated")
    assert event.payload["fields"] == ["alarm_tile", "video_layout", "video_tiles"]


@pytest.mark.parametrize(
    ("changes", "field", "wording"),
    [
        ({"video_tiles": '[{"cameras": ["CAM-Z"]}]'}, "video_tiles", "No camera has the code"),
        ({"video_tiles": '[{"cameras": "CAM-A"}]'}, "video_tiles", "A list of tiles"),
        (
            {"video_layout": "1", "video_tiles": '[{"cameras": []}, {"cameras": []}]'},
            "video_tiles",
            "do not fit",
        ),
        (
            {"video_tiles": '[{"cameras": ["CAM-A"], "tour_seconds": 1}]'},
            "video_tiles",
            "5 seconds or more",
        ),
        ({"video_layout": "4", "alarm_tile": "5"}, "alarm_tile", "between 1 and 4"),
    ],
)
def test_bad_tiles_are_refused_by_field(admin_site, screen, two_cameras, changes, field, wording):
    url = f"/admin/supervision/wallscreen/{screen.pk}/change/"
    response = admin_site.post(url, {**admin_forms.page_values(admin_site, url), **changes})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert wording in str(errors[field])
    assert not Event.objects.filter(kind="wall_screen.updated").exists()


def test_the_screen_page_gets_every_tile_of_its_layout(make_user, screen, two_cameras):
    screen.video_layout = 4
    screen.video_tiles = [{"cameras": ["CAM-A", "CAM-B"], "tour_seconds": 15}]
    screen.alarm_tile = 4
    screen.save()
    kiosk = Client()
    kiosk.force_login(make_user(roles.WALL_DISPLAY, username="tiles-kiosk"))
    page = kiosk.get("/wall/video/")
    video = page.context["config"]["video"]
    assert [tile["number"] for tile in video["tiles"]] == [1, 2, 3, 4]
    assert [c["code"] for c in video["tiles"][0]["cameras"]] == ["CAM-A", "CAM-B"]
    assert video["tiles"][0]["tourSeconds"] == 15 and video["tiles"][1]["cameras"] == []
    assert video["alarmTile"] == 4 and video["screen"] == "wall:video"
    assert kiosk.get("/wall/video/video/").json()["tiles"] == video["tiles"]


@pytest.mark.parametrize(
    ("layout", "alarm_tile", "streams"),
    [
        (1, None, ["main"]),
        (4, 4, ["main"] * 4),
        (9, None, ["sub"] * 9),
        (16, 16, ["sub"] * 15 + ["main"]),
    ],
)
def test_walls_of_many_tiles_watch_sub_streams_and_the_alarm_tile_the_main(
    make_user, screen, two_cameras, layout, alarm_tile, streams
):
    screen.video_layout, screen.alarm_tile = layout, alarm_tile
    screen.video_tiles = [{"cameras": ["CAM-A"]}]
    screen.save()
    kiosk = Client()
    kiosk.force_login(make_user(roles.WALL_DISPLAY, username="streams-kiosk"))
    video = kiosk.get("/wall/video/").context["config"]["video"]
    assert [tile["stream"] for tile in video["tiles"]] == streams
    assert video["tiles"][0]["cameras"][0]["transport"] == "webrtc"
    assert video["mjpegUrl"] == "/video/mjpeg/0/"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (roles.WALL_DISPLAY, 200),
        (roles.OPERATOR, 200),
        (roles.DISPATCHER, 200),
        (roles.SUPERVISOR, 200),
        (roles.FIELD_TEAM, 403),
        (roles.HOTLINE_AGENT, 403),
    ],
)
def test_who_may_read_a_screens_tiles(make_user, screen, role, status):
    client = Client()
    client.force_login(make_user(role, username=f"tiles-{role}"))
    assert client.get("/wall/video/video/").status_code == status


def test_the_alarm_tile_follows_the_open_alert_a_camera_sees(make_user, screen, district):
    from supervision.alerts import services as alerts
    from supervision.video import tiles

    equipment = Equipment.objects.create(
        code="CAM-EAST",
        kind=Equipment.Kind.CAMERA,
        district=district,
        latitude=47.33,
        longitude=5.05,
    )
    # It looks east, 60° wide, 200 m: a fight 100 m west is not in its view, one east is.
    cameras.create_camera(
        {"equipment": equipment, "direction": 90, "field_angle": 60, "range_m": 200}
    )
    screen.alarm_tile = 4
    screen.save()
    place = {"source": "operator", "category": "public_order", "latitude": 47.33}
    west = alerts.raise_alert({**place, "title": "West", "longitude": 5.0487})
    assert tiles.live_tiles(screen)["alarm"] is None
    east = alerts.raise_alert({**place, "title": "East", "longitude": 5.0513})
    alarm = tiles.live_tiles(screen)["alarm"]
    assert alarm["camera"]["code"] == "CAM-EAST" and alarm["alert"]["id"] == east.pk
    alerts.resolve_alert(east, None)
    assert tiles.live_tiles(screen)["alarm"] is None
    assert west.pk

"""The operators' device console: finding a device, its page, commanding it, and who may."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from equipment.models import Camera, Command, Equipment, Site
from interventions.models import Intervention
from ondijon import roles as r
from ondijon.asgi import application
from supervision.models import Alert, Event, WallScreen
from supervision.wall import state as wall

ALL = set(r.ROLE_LABELS)
# Written out here, not read from roles.py, so a permission slipping into a role fails a test.
SEE = {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR, r.DISPATCHER}
COMMAND = {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR}
ORIGIN = (b"origin", b"http://127.0.0.1")


@pytest.fixture
def client_for(make_user):
    users = {}

    def make(role):
        if role not in users:
            users[role] = make_user(role, username=f"{role}-console")
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(users[role])
        return client

    return make


@pytest.fixture
def devices(make_equipment, district):
    site = Site.objects.create(
        code="market-halles",
        name="Les Halles",
        kind=Site.Kind.MARKET,
        district=district,
        latitude=47.3225,
        longitude=5.0415,
        address="Rue Quentin",
    )
    light = make_equipment("SL-00042", "streetlight", {"lamp": "on", "dim": 100})
    make_equipment("SL-00043", "streetlight", {"lamp": "on", "dim": 100})
    make_equipment("BOL-01", "bollard", {"position": "raised"}, site=site)
    make_equipment("CAM-007", "camera", {"preset": 1}, latitude=47.3225, longitude=5.0415)
    make_equipment("CAM-999", "camera", {"preset": 1}, latitude=47.40, longitude=5.10)
    return light


def post_command(client, code, **body):
    return client.post(
        f"/console/devices/{code}/commands.json", json.dumps(body), content_type="application/json"
    )


# --- Finding a device ---------------------------------------------------------------------------


def test_search_by_code_start_site_address_and_district(client_for, devices, district):
    client = client_for(r.OPERATOR)

    def codes(**query):
        response = client.get("/console/search.json", query)
        assert response.status_code == 200
        return [row["code"] for row in response.json()["results"]]

    assert codes(q="sl-0004") == ["SL-00042", "SL-00043"]
    assert codes(q="Rue Quentin") == ["BOL-01"]
    assert codes(q="halles") == ["BOL-01"]
    # Accents and case aside, as an operator types in a hurry.
    Site.objects.filter(code="market-halles").update(address="Place de la République")
    assert codes(q="place de la republique") == ["BOL-01"]
    assert codes(q="RÉPUBLIQUE") == ["BOL-01"]
    assert set(codes(q=district.name)) == {"SL-00042", "SL-00043", "BOL-01", "CAM-007", "CAM-999"}
    assert codes(q=district.name, kind="camera") == ["CAM-007", "CAM-999"]
    assert codes(kind="bollard") == ["BOL-01"]
    assert codes(q="nothing-like-this") == []
    assert codes() == []


def test_a_code_that_fills_the_answer_costs_one_query(
    db, make_equipment, django_assert_num_queries
):
    from supervision.console import services

    for n in range(services.SEARCH_LIMIT + 1):
        make_equipment(f"SL-{n:05d}", "streetlight", {"dim": 100})
    with django_assert_num_queries(1):
        found = services.search_devices("sl-000")
    assert len(found["results"]) == services.SEARCH_LIMIT and found["more"]
    assert found["matches"] == {"code": services.SEARCH_LIMIT + 1}


def test_device_page_shows_state_alerts_commands_interventions_and_nearest_camera(
    client_for, devices, django_capture_on_commit_callbacks
):
    Camera.objects.create(equipment=Equipment.objects.get(code="CAM-007"), ptz=True)
    Alert.objects.create(
        title="Lamp out", source="rule", category="lighting", equipment=devices,
        raised_at=devices.created_at, updated_at=devices.created_at,
    )  # fmt: skip
    intervention = Intervention.objects.create(
        reference="INT-1", title="Replace lamp", category="lighting", service="lighting",
        latitude=devices.latitude, longitude=devices.longitude, reported_at=devices.created_at,
    )  # fmt: skip
    intervention.equipment.add(devices)
    with django_capture_on_commit_callbacks(execute=True):
        post_command(client_for(r.OPERATOR), "SL-00042", action="dim", params={"level": 30},
                     reason="Night")  # fmt: skip
    response = client_for(r.OPERATOR).get("/console/devices/SL-00042/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Lamp out" in page and "INT-1" in page
    assert [c["code"] for c in response.context["cameras"]] == ["CAM-007"]
    context = response.context
    assert [c["status"] for c in context["commands"]] == ["acknowledged"]
    assert {a["name"] for a in context["actions"]} == {"on", "off", "dim"}
    assert client_for(r.OPERATOR).get("/console/devices/NOPE/").status_code == 404


def test_device_page_names_the_cameras_whose_field_of_view_covers_it(
    client_for, devices, make_equipment
):
    # SL-00042 stands at (47.322, 5.041). CAM-007, 67 m north-east, looks south-west at it;
    # CAM-008 as close looks the other way; CAM-009 looks at it from beyond its range.
    seeing = Camera.objects.create(
        equipment=Equipment.objects.get(code="CAM-007"), direction=215, field_angle=60, range_m=150
    )
    away = make_equipment("CAM-008", "camera", {}, latitude=47.3225, longitude=5.0405)
    Camera.objects.create(equipment=away, direction=0, field_angle=60, range_m=150)
    far = make_equipment("CAM-009", "camera", {}, latitude=47.3245, longitude=5.041)
    Camera.objects.create(equipment=far, direction=180, field_angle=60, range_m=150)
    WallScreen.objects.create(
        slug="video-wall", name="Video wall", panels=["video"], video_layout=1,
        video_tiles=[{"cameras": ["CAM-007"]}],
    )  # fmt: skip
    WallScreen.objects.create(slug="map-wall", name="Map wall", panels=["map"])
    response = client_for(r.OPERATOR).get("/console/devices/SL-00042/")
    cameras = response.context["cameras"]
    assert [(c["code"], c["distance_m"]) for c in cameras] == [("CAM-007", 67)]
    assert cameras[0]["screens"] == [{"slug": "video-wall", "name": "Video wall"}]
    page = response.content.decode()
    assert 'href="/console/devices/CAM-007/"' in page and 'href="/wall/video-wall/"' in page
    # Turned away, it no longer covers the streetlight.
    Camera.objects.filter(pk=seeing.pk).update(direction=35)
    response = client_for(r.OPERATOR).get("/console/devices/SL-00042/")
    assert response.context["cameras"] == []
    assert "No camera covers this device." in response.content.decode()


# --- Commanding it -------------------------------------------------------------------------------


def test_operator_dims_a_streetlight_the_reason_is_in_its_event_and_the_device_acknowledges(
    client_for, devices, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_command(
            client_for(r.OPERATOR), "SL-00042", action="dim", params={"level": 40},
            reason="Late market clean-up",
        )  # fmt: skip
    assert response.status_code == 201, response.content
    command = Command.objects.get(pk=response.json()["command"]["id"])
    assert command.status == Command.Status.ACKNOWLEDGED
    assert command.origin == "console"
    requested = Event.objects.get(
        kind="command.requested", subject_type="command", subject_id=str(command.pk)
    )
    assert requested.payload["command"]["reason"] == "Late market clean-up"
    devices.refresh_from_db()
    assert devices.state["dim"] == 40


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"action": "dim", "params": {"level": 140}, "reason": "x"}, {"params"}),
        ({"action": "dim", "params": {"level": "high"}, "reason": "x"}, {"params"}),
        ({"action": "dim", "params": {}, "reason": "x"}, {"params"}),
        ({"action": "explode", "reason": "x"}, {"action"}),
        ({"action": "dim", "params": {"level": 50}, "reason": "  "}, {"reason"}),
        ({"action": "dim", "params": {"level": 50, "colour": "red"}, "reason": "x"}, {"params"}),
    ],
)
def test_bad_commands_get_field_errors_and_nothing_is_sent(client_for, devices, body, fields):
    response = post_command(client_for(r.OPERATOR), "SL-00042", **body)
    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not Command.objects.exists()


def test_parameter_error_names_the_parameter(client_for, devices):
    response = post_command(
        client_for(r.OPERATOR), "SL-00042", action="dim", params={"level": 140}, reason="x"
    )
    assert response.json() == {"params": {"level": ["Must be between 0 and 100."]}}


def test_malformed_body_is_a_400(client_for, devices):
    client = client_for(r.OPERATOR)
    url = "/console/devices/SL-00042/commands.json"
    assert client.post(url, "{", content_type="application/json").status_code == 400
    assert client.post(url, "[1]", content_type="application/json").status_code == 400


def test_public_safety_actions_need_a_confirmation(
    client_for, devices, django_capture_on_commit_callbacks
):
    client = client_for(r.OPERATOR)
    refused = post_command(client, "BOL-01", action="lower", reason="Delivery")
    assert refused.status_code == 400
    assert set(refused.json()) == {"confirm"}
    assert not Command.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        sent = post_command(client, "BOL-01", action="lower", reason="Delivery", confirm=True)
    assert sent.status_code == 201
    assert Equipment.objects.get(code="BOL-01").state["position"] == "lowered"


def test_offline_device_is_a_conflict_with_the_failed_command(client_for, devices):
    Equipment.objects.filter(code="SL-00042").update(status=Equipment.Status.OFFLINE)
    response = post_command(
        client_for(r.OPERATOR), "SL-00042", action="on", params={}, reason="Test"
    )
    assert response.status_code == 409
    assert response.json()["command"]["status"] == "failed"


# --- Roles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(ALL))
def test_who_sees_the_console_and_who_commands_from_it(
    client_for, devices, role, django_capture_on_commit_callbacks
):
    client = client_for(role)
    seen = 200 if role in SEE else 403
    assert client.get("/console/").status_code == seen
    assert client.get("/console/search.json", {"q": "SL"}).status_code == seen
    assert client.get("/console/map/seq.json").status_code == seen
    page = client.get("/console/devices/SL-00042/")
    assert page.status_code == seen
    if role in SEE:
        assert bool(page.context["actions"]) == (role in COMMAND)
        # The console's map reads the devices from the equipment API: whoever sees the
        # console sees them there.
        points = client.get("/api/v1/equipment/geojson/", {"kind": "streetlight"})
        assert points.status_code == 200
        assert "SL-00042" in {f["properties"]["code"] for f in points.json()["features"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_command(client, "SL-00042", action="off", reason="Test")
    if role in COMMAND:
        assert response.status_code == 201
    else:
        assert response.status_code == 403
        assert not Command.objects.exists()
    listing = client.get("/console/devices/SL-00042/commands.json")
    assert listing.status_code == (200 if role in COMMAND else 403)


def test_anonymous_is_sent_to_log_in(devices):
    response = Client().get("/console/devices/SL-00042/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role, allowed", [(r.OPERATOR, True), (r.DISPATCHER, False)])
async def test_console_socket_is_for_those_who_read_commands(make_user, role, allowed):
    user = await sync_to_async(make_user)(role)
    communicator = WebsocketCommunicator(application, "/ws/console/?after=0", headers=[ORIGIN])
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    if allowed:
        assert connected
        first = await communicator.receive_json_from()
        assert first["type"] == "frame"
    else:
        assert not connected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", sorted(ALL))
async def test_console_map_socket_is_for_those_who_see_the_console(make_user, role):
    user = await sync_to_async(make_user)(role)
    communicator = WebsocketCommunicator(application, "/ws/console/map/?after=0", headers=[ORIGIN])
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected == (role in SEE)
    if connected:
        assert (await communicator.receive_json_from())["type"] == "frame"
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_console_map_follows_a_devices_status_and_no_commands(make_user, make_equipment):
    from equipment import services as equipment_services
    from supervision.wall import state as wall

    light = await sync_to_async(make_equipment)("SL-00042", "streetlight", {"dim": 100})
    user = await sync_to_async(make_user)(r.OPERATOR)
    after = await sync_to_async(wall.last_seq)()
    communicator = WebsocketCommunicator(
        application, f"/ws/console/map/?after={after}", headers=[ORIGIN]
    )
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    await communicator.receive_json_from()  # the first frame: nothing since `after`
    await sync_to_async(equipment_services.update_equipment)(light, {"status": "fault"})
    frame = await communicator.receive_json_from(timeout=10)
    while not frame.get("objects", {}).get("equipment"):
        frame = await communicator.receive_json_from(timeout=10)
    assert frame["objects"]["equipment"][str(light.pk)][:3] == ["SL-00042", "streetlight", "fault"]
    assert "command" not in frame["objects"]
    await communicator.disconnect()


def test_device_status_is_read_again_with_the_number_it_is_current_at(client_for, devices):
    from equipment import services as equipment_services

    client = client_for(r.DISPATCHER)  # sees the console without commanding
    equipment_services.update_equipment(
        Equipment.objects.get(code="SL-00042"), {"status": Equipment.Status.FAULT}
    )
    body = client.get("/console/devices/SL-00042/status.json").json()
    assert body == {"seq": wall.last_seq(), "status": "fault", "status_label": "Fault"}
    assert client.get("/console/devices/NOPE/status.json").status_code == 404
    assert Client().get("/console/devices/SL-00042/status.json").status_code == 302

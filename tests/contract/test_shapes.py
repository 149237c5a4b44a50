"""The live pages' JSON (wall snapshot and replay, dispatch desk, alert queue) is in the
OpenAPI document with its real shape, and each kind of event has a payload schema
(supervision/api/shapes.py): real answers and events recorded through the real services are
checked against them with a JSON Schema validator (jsonschema, draft 2020-12)."""

import datetime as dt
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from jsonschema import Draft202012Validator

from equipment import services as equipment
from interventions import services as interventions
from ondijon import roles
from supervision.alerts import flood
from supervision.alerts import services as alerts
from supervision.api import shapes
from supervision.console import schedules
from supervision.crisis import services as crisis
from supervision.models import Event, WallScreen


def check(schema: dict, instance) -> None:
    Draft202012Validator.check_schema(schema)
    errors = sorted(Draft202012Validator(schema).iter_errors(instance), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


@pytest.fixture
def busy_city(district, streetlight):
    """A little of each kind of event, produced by the services the room uses."""
    light = equipment.create_equipment(
        {
            "code": "SL-NEW",
            "kind": "streetlight",
            "district": district,
            "latitude": 47.32,
            "longitude": 5.04,
        }
    )
    equipment.update_equipment(light, {"name": "Rue de la Liberté"})
    equipment.delete_equipment(light)
    other = equipment.create_district(
        {"code": "east", "name": "East", "center_latitude": 47.3, "center_longitude": 5.1}
    )
    equipment.update_district(other, {"population": 10})
    equipment.delete_district(other)
    team = interventions.create_team(
        {"call_sign": "ECL-01", "service": "lighting", "latitude": 47.32, "longitude": 5.04}
    )
    interventions.update_team(team, {"call_sign": "ECL-02"})
    spare = interventions.create_team({"call_sign": "ECL-09", "service": "lighting"})
    interventions.delete_team(spare)
    job = interventions.create_intervention(
        {
            "title": "Lamp out",
            "category": "lighting",
            "service": "lighting",
            "priority": 2,
            "latitude": 47.32,
            "longitude": 5.04,
        }
    )
    interventions.update_intervention(job, {"title": "Two lamps out"})
    interventions.report_team_position(team, 47.321, 5.041)
    second = interventions.create_team(
        {"call_sign": "ECL-03", "service": "lighting", "latitude": 47.33, "longitude": 5.05}
    )
    interventions.assign_team(job, team)
    interventions.assign_team(job, second)
    interventions.release_team(job, second)
    interventions.assign_team(job, second)
    for crew in (second, team):
        for step in ("en_route", "on_site", "done"):
            interventions.report_progress(crew, step)
    mistake = interventions.create_intervention(
        {
            "title": "Twice",
            "category": "lighting",
            "service": "lighting",
            "priority": 3,
            "latitude": 47.32,
            "longitude": 5.04,
        }
    )
    interventions.delete_intervention(mistake)
    alert = alerts.raise_alert(
        {"title": "Leak", "category": "water", "source": "operator", "equipment": streetlight}
    )
    alerts.update_alert(alert, {"title": "Big leak"})
    alerts.acknowledge_alert(alert, None)
    alerts.qualify_alert(alert, None, severity=2)
    alerts.resolve_alert(alert, None, note="fixed")
    alerts.close_alert(alert, None, note="checked")
    mode = crisis.create_mode(
        {
            "code": "flood",
            "name": "Flood",
            "actions": [
                {"position": 1, "type": "wall_banner", "text": "FLOOD"},
                {"position": 2, "type": "public_message", "text": "Avoid the river banks."},
            ],
        }
    )
    crisis.update_mode(mode, {"description": "River in flood"})
    activation = crisis.activate(mode, None, "Rain", confirmed=True)
    crisis.amend_public_message(activation, "Avoid the lower town.", None)
    crisis.deactivate(activation, None, "Over")
    drill = crisis.create_mode({"code": "drill", "name": "Drill"})
    crisis.delete_mode(drill)
    # An alarm flood starts (the threshold lowered for the sample) and ends.
    with override_settings(ALARM_FLOOD_THRESHOLD=0):
        assert flood.check_flood() is True
    assert flood.check_flood(timezone.now() + timedelta(hours=1)) is False
    # Still open, so that the pages show them.
    alerts.raise_alert({"title": "Lamp flickers", "category": "lighting", "source": "operator"})
    interventions.create_intervention(
        {
            "title": "Pole leaning",
            "category": "lighting",
            "service": "lighting",
            "priority": 1,
            "latitude": 47.33,
            "longitude": 5.03,
        }
    )
    WallScreen.objects.get_or_create(slug="main", defaults={"name": "Main"})


def test_every_event_kind_recorded_matches_its_payload_schema(busy_city):
    sampled = set()
    for event in Event.objects.order_by("seq"):
        schema = shapes.payload_schema(event.kind)
        if schema is None:
            continue
        sampled.add(event.kind)
        check(schema, event.payload)
    # The live objects' whole lifecycles were produced here, and checked; every other kind is
    # checked wherever a test makes one (tests/conftest.py checks each event as it is written).
    lifecycles = {"equipment", "team", "intervention", "alert", "district", "crisis"}
    assert {kind.split(".")[0] for kind in sampled} >= lifecycles
    assert len(sampled) >= 30


def test_an_event_that_breaks_its_schema_is_refused_in_the_tests(db):
    """The suite-wide check can fail: an alert event without its alert is caught, and so is a
    call-back campaign whose number of people is text."""
    from ondijon import bus
    from tests.conftest import payload_errors

    assert payload_errors("alert.raised", {"reason": "x"}) == ["[]: 'alert' is a required property"]
    campaign = {"id": 1, "name": "Canicule", "people": "many", "outcomes": {}}
    campaign["started_at"] = "2026-07-01T10:00:00+02:00"
    assert payload_errors("hotline.campaign_started", {"campaign": campaign})
    with pytest.raises(AssertionError, match=r"alert\.raised"):
        bus.emit("alert.raised", payload={})
    assert not Event.objects.filter(kind="alert.raised").exists()


def test_live_pages_answer_as_documented(busy_city, make_user):
    clients = {}
    for role in (roles.WALL_DISPLAY, roles.DISPATCHER, roles.OPERATOR, roles.SUPERVISOR):
        clients[role] = Client()
        clients[role].force_login(make_user(role))
    document = clients[roles.DISPATCHER].get("/api/schema/?format=json").json()
    for path, (name, _, _) in shapes.LIVE_PAGES.items():
        response_schema = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert response_schema["application/json"]["schema"]["$ref"].endswith("/" + name)
        assert name in document["components"]["schemas"]
    readers = {
        "/wall/main/snapshot/": roles.WALL_DISPLAY,
        "/wall/main/events/?after=0": roles.WALL_DISPLAY,
        "/dispatch/state/": roles.DISPATCHER,
        "/alerts/queue.json": roles.OPERATOR,
        "/hotline/figures.json": roles.WALL_DISPLAY,
        "/console/search.json?q=SL": roles.SUPERVISOR,
        "/console/devices/SL-TEST-1/commands.json": roles.OPERATOR,
        "/console/schedules.json": roles.OPERATOR,
    }
    dimmed = clients[roles.OPERATOR].post(
        "/console/devices/SL-TEST-1/commands.json",
        {"action": "dim", "params": {"level": 30}, "reason": "Market clean-up"},
        content_type="application/json",
    )
    assert dimmed.status_code == 201, dimmed.content
    schedules.create_schedule(
        {
            "name": "Night dimming",
            "criteria": {"kind": "streetlight"},
            "action": "dim",
            "params": {"level": 30},
            "reason": "Energy saving at night",
            "weekdays": [0, 3],
            "time": dt.time(22, 0),
        }
    )
    names = [
        "WallSnapshot",
        "WallFrame",
        "DispatchDeskState",
        "AlertQueue",
        "HotlineFigures",
        "DeviceSearch",
        "DeviceCommands",
        "CommandSchedules",
    ]
    for (url, role), name in zip(readers.items(), names, strict=True):
        response = clients[role].get(url)
        assert response.status_code == 200, url
        body = response.json()
        check(shapes.standalone(name), body)
        assert list(Draft202012Validator(shapes.standalone(name)).iter_errors({})), name
        if name in ("WallSnapshot", "DispatchDeskState", "AlertQueue"):
            assert body.get("alerts") or body.get("intervention"), url
        if name == "DeviceSearch":
            assert body["results"], url  # the city's streetlights were found
        if name == "DeviceCommands":
            assert body["commands"][0]["action"] == "dim", url
        if name == "CommandSchedules":
            assert body["schedules"][0]["name"] == "Night dimming", url


def documented(document: dict, path: str, method: str, status: int) -> str:
    """The component the OpenAPI document names for this answer (the test fails if none)."""
    answers = document["paths"][path][method]["responses"]
    assert str(status) in answers, (method, path, status, sorted(answers))
    return answers[str(status)]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]


def test_the_device_console_calls_answer_as_documented(
    streetlight, district, make_user, django_capture_on_commit_callbacks
):
    """Commanding a device, a selection's preview, send, progress and rollback, and planning
    a command: each request body the console's pages send is one the document describes, and
    each answer (successes and refusals alike) is the component it names."""
    from equipment.models import Equipment

    operator, dispatcher = Client(), Client()
    operator.force_login(make_user(roles.OPERATOR))
    dispatcher.force_login(make_user(roles.DISPATCHER))
    document = operator.get("/api/schema/?format=json").json()
    for path, operations in shapes.CONSOLE_OPERATIONS.items():
        for method, (_, _, request_name, _) in operations.items():
            operation = document["paths"][path][method]
            if request_name:
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                assert body["$ref"].endswith("/" + request_name), path
    for name in ("SelectionPreview", "SelectionProgress", "ConsoleFieldErrors"):
        assert list(Draft202012Validator(shapes.standalone(name)).iter_errors({})), name
    Equipment.objects.create(
        code="SL-TEST-2",
        kind=Equipment.Kind.STREETLIGHT,
        district=district,
        latitude=47.3222,
        longitude=5.0413,
        state={"lamp": "on"},
        status=Equipment.Status.OFFLINE,
    )

    def call(client, method: str, template: str, status: int, body=None, **path) -> dict:
        operation = document["paths"][template][method]
        if body is not None and status != 400:  # a 400's body is meant to be wrong
            request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
            check(shapes.standalone(request_schema["$ref"].split("/")[-1]), body)
        url = template.format(**path)
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, body or {}, content_type="application/json")
        assert response.status_code == status, (url, response.content)
        check(shapes.standalone(documented(document, template, method, status)), response.json())
        return response.json()

    commands = "/console/devices/{code}/commands.json"
    dim = {"action": "dim", "params": {"level": 40}, "reason": "Market clean-up"}
    sent = call(operator, "post", commands, 201, dim, code="SL-TEST-1")
    assert sent["command"]["action"] == "dim"
    offline = call(operator, "post", commands, 409, dim, code="SL-TEST-2")
    assert offline["command"]["status"] == "failed"
    wrong = call(
        operator, "post", commands, 400, {**dim, "params": {"level": 400}}, code="SL-TEST-1"
    )
    assert set(wrong) == {"params"}
    call(operator, "post", commands, 400, {"action": "explode", "reason": ""}, code="SL-TEST-1")
    call(dispatcher, "post", commands, 403, dim, code="SL-TEST-1")

    selection = {
        "selection": {"kind": "streetlight", "district": "centre"},
        "action": "dim",
        "params": {"level": 40},
    }
    preview = call(operator, "post", "/console/selection/preview.json", 200, selection)
    assert (preview["devices"], preview["offline_codes"]) == (2, ["SL-TEST-2"])
    call(operator, "post", "/console/selection/preview.json", 400, {"selection": {}})
    call(dispatcher, "post", "/console/selection/preview.json", 403, selection)
    with django_capture_on_commit_callbacks(execute=True):
        progress = call(
            operator, "post", "/console/selection/send.json", 201, {**selection, "reason": "Dusk"}
        )
    pk = progress["selection"]["id"]
    call(operator, "post", "/console/selection/send.json", 400, {**selection, "reason": " "})
    read = call(operator, "get", "/console/selections/{pk}/progress.json", 200, pk=pk)
    assert read["apply"]["total"] == 2 and read["apply"]["failed"] == 1
    call(make_client(make_user), "get", "/console/selections/{pk}/progress.json", 403, pk=pk)
    rollback = "/console/selections/{pk}/rollback.json"
    call(dispatcher, "post", rollback, 403, pk=pk)
    with django_capture_on_commit_callbacks(execute=True):
        back = call(operator, "post", rollback, 200, pk=pk)
    assert back["selection"]["status"] in ("rolling_back", "rolled_back") and "restore" in back
    assert call(operator, "post", rollback, 409, pk=pk)["code"] == "rolled_back"

    plan = {
        **selection,
        "reason": "Energy",
        "name": "Night dimming",
        "weekdays": [0, 4],
        "time": "22:30",
    }
    planned = call(operator, "post", "/console/schedules.json", 201, {**plan, "run_at": ""})
    assert planned["schedule"]["time"] == "22:30"
    refused = call(operator, "post", "/console/schedules.json", 400, {**plan, "time": "late"})
    assert "time" in refused
    call(dispatcher, "post", "/console/schedules.json", 403, plan)


def make_client(make_user) -> Client:
    """A signed-in reader of the console who may not see commands (a wall display cannot open
    the console at all, so: a dispatcher without the commands' view)."""
    from django.contrib.auth.models import Permission

    user = make_user(username="no-commands")
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=("view_equipment", "view_alert"),
            content_type__app_label__in=("equipment", "supervision"),
        )
    )
    client = Client()
    client.force_login(user)
    return client


def room_call(document: dict, client: Client, method: str, template: str, status: int, **how):
    """One real call of the room's other JSON endpoints: its request as documented, its answer
    the component the document names for its status (a page or a redirection: not JSON)."""
    body, form = how.pop("body", None), how.pop("form", False)
    operation = document["paths"][template][method]
    if method == "post" and status not in (400, 404):  # a refused body is meant to be wrong
        media = "application/x-www-form-urlencoded" if form else "application/json"
        request_schema = operation["requestBody"]["content"][media]["schema"]
        check(shapes.standalone(request_schema["$ref"].split("/")[-1]), body)
    url = template.format(**how)
    if method == "get":
        response = client.get(url, body or {})
    elif form:
        response = client.post(url, body)
    else:
        response = client.post(url, body or {}, content_type="application/json")
    assert response.status_code == status, (url, response.content[:300])
    answers = operation["responses"]
    assert str(status) in answers, (method, template, status, sorted(answers))
    if "content" not in answers[str(status)]:
        assert not response.get("Content-Type", "").startswith("application/json"), url
        return None
    check(shapes.standalone(documented(document, template, method, status)), response.json())
    return response.json()


@pytest.fixture
def watched_camera(district):
    from equipment import cameras
    from equipment.models import Equipment

    equipment = Equipment.objects.create(
        code="CAM-EAST",
        kind=Equipment.Kind.CAMERA,
        district=district,
        latitude=47.33,
        longitude=5.05,
    )
    # It looks east, 60° wide, 200 m: the alert raised 100 m east is in its view.
    return cameras.create_camera(
        {"equipment": equipment, "direction": 90, "field_angle": 60, "range_m": 200}
    )


def signed_in(make_user, role: str) -> Client:
    client = Client()
    client.force_login(make_user(role, username=f"shapes-{role}"))
    return client


def test_the_wall_video_and_camera_calls_answer_as_documented(make_user, watched_camera, settings):
    """A wall's tiles (with the camera on alarm), the cameras a viewer may watch, and every
    refusal of watching and closing a view, each as the document says for its status."""
    from supervision.video import services as video

    kiosk, operator = signed_in(make_user, roles.WALL_DISPLAY), signed_in(make_user, roles.OPERATOR)
    agent = signed_in(make_user, roles.HOTLINE_AGENT)
    document = operator.get("/api/schema/?format=json").json()
    for name in ("WallVideo", "WatchableCameras", "VideoAnswer", "Liveness"):
        assert list(Draft202012Validator(shapes.standalone(name)).iter_errors({})), name
    WallScreen.objects.create(
        slug="video",
        name="Video",
        panels=["video"],
        video_layout=4,
        video_tiles=[{"cameras": ["CAM-EAST"], "tour_seconds": 15}],
        alarm_tile=4,
    )
    alerts.raise_alert(
        {
            "source": "operator",
            "category": "public_order",
            "title": "Fight",
            "latitude": 47.33,
            "longitude": 5.0513,
        }
    )
    tiles = "/wall/{screen}/video/"
    shown = room_call(document, kiosk, "get", tiles, 200, screen="video")
    assert shown["alarm"]["camera"]["code"] == "CAM-EAST" and shown["tiles"][1]["cameras"] == []
    room_call(document, agent, "get", tiles, 403, screen="video")
    room_call(document, kiosk, "get", tiles, 404, screen="nowhere")
    room_call(document, Client(), "get", tiles, 302, screen="video")

    listed = room_call(document, kiosk, "get", "/video/cameras/", 200)
    assert [c["code"] for c in listed["cameras"]] == ["CAM-EAST"]
    room_call(document, agent, "get", "/video/cameras/", 403)

    offer = {"camera": watched_camera.pk, "sdp": "v=0\r\n", "screen": "wall:video"}
    room_call(document, agent, "post", "/video/offer/", 403, body=offer)
    assert "sdp" in room_call(
        document, operator, "post", "/video/offer/", 400, body={**offer, "sdp": 5}
    )
    missing = room_call(
        document, operator, "post", "/video/offer/", 404, body={**offer, "camera": 999999}
    )
    assert "camera" in missing
    room_call(document, Client(), "post", "/video/offer/", 302, body=offer)
    # Its gateway does not answer (nothing listens on the discard port).
    settings.MEDIA_GATEWAY_URLS = ["http://127.0.0.1:9"]
    room_call(document, operator, "post", "/video/offer/", 503, body=offer)

    user = make_user(roles.OPERATOR, username="shapes-viewer")
    viewer = Client()
    viewer.force_login(user)
    video.record_view_started(watched_camera, user, "wall:video", "session-1")
    room_call(document, viewer, "post", "/video/close/", 503, body={"session": "session-1"})
    room_call(document, operator, "post", "/video/close/", 404, body={"session": "session-1"})
    room_call(document, agent, "post", "/video/close/", 403, body={"session": "session-1"})

    assert room_call(document, Client(), "get", "/healthz", 200) == {"status": "ok"}


@pytest.mark.usefixtures("transactional_db")
def test_a_view_opened_and_closed_answers_as_documented(make_user, watched_camera, settings):
    """The local gateway answers a real browser's WebRTC offer, and the viewer closes it."""
    import asyncio

    from aiortc import RTCPeerConnection

    from supervision.video import signalling

    settings.MEDIA_GATEWAY_URLS = []
    settings.MEDIA_GATEWAY_IDLE_SECONDS = 1
    thread = signalling.local_gateway()

    async def browser_offer() -> str:
        peer = RTCPeerConnection()
        peer.addTransceiver("video", direction="recvonly")
        await peer.setLocalDescription(await peer.createOffer())
        sdp = peer.localDescription.sdp
        await peer.close()
        return sdp

    operator = signed_in(make_user, roles.OPERATOR)
    document = operator.get("/api/schema/?format=json").json()
    try:
        offer = {"camera": watched_camera.pk, "sdp": asyncio.run(browser_offer()), "screen": "x"}
        answer = room_call(document, operator, "post", "/video/offer/", 201, body=offer)
        assert answer["type"] == "answer" and answer["sdp"].startswith("v=0")
        closed = {"session": answer["session"]}
        assert room_call(document, operator, "post", "/video/close/", 200, body=closed) == {
            "closed": answer["session"]
        }
    finally:
        thread.call(thread.gateway.shutdown())
        thread.gateway.feeds.clear()


def test_the_hotline_desk_and_platform_calls_answer_as_documented(make_user, settings):
    """A call saved from the desk's form (and its field errors), the approved answers, the
    platform's health: as the document says, for the roles that may and those that may not."""
    from hotline.models import Article, Category

    forms = Category.objects.create(code="declaration-forms", name="Forms", shortcut="1")
    Article.objects.create(
        key="attestation",
        title="Travel form",
        body="Print it.",
        category=forms,
        source="national",
        valid_from=timezone.now() - timedelta(days=1),
    )
    agent, dispatcher = (
        signed_in(make_user, roles.HOTLINE_AGENT),
        signed_in(make_user, roles.DISPATCHER),
    )
    supervisor = signed_in(make_user, roles.SUPERVISOR)
    document = agent.get("/api/schema/?format=json").json()
    for name in ("HotlineCallSaved", "HotlineAnswers", "PlatformHealth", "HotlineFormErrors"):
        assert list(Draft202012Validator(shapes.standalone(name)).iter_errors({})), name

    calls = "/hotline/calls/"
    call = {"category": "declaration-forms", "handling_seconds": 12, "outcome": "answered"}
    saved = room_call(document, agent, "post", calls, 201, body=call, form=True)
    assert saved["calls_today"] == 1 and saved["call"]["category"] == "declaration-forms"
    refused = room_call(
        document, agent, "post", calls, 400, body={**call, "outcome": "intervention"}, form=True
    )
    assert set(refused["errors"]) == {"intervention_title", "intervention_service"}
    room_call(document, dispatcher, "post", calls, 403, body=call, form=True)
    room_call(document, Client(), "post", calls, 302, body=call, form=True)

    found = room_call(document, agent, "get", "/hotline/answers/", 200, body={"q": "travel form"})
    assert [a["title"] for a in found["answers"]] == ["Travel form"]
    room_call(document, signed_in(make_user, roles.FIELD_TEAM), "get", "/hotline/answers/", 403)

    health = room_call(document, supervisor, "get", "/platform/health/", 200)
    assert health["database"] is None or health["database"]["primary"]
    room_call(document, dispatcher, "get", "/platform/health/", 403)
    room_call(document, Client(), "get", "/platform/health/", 302)

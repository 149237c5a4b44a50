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

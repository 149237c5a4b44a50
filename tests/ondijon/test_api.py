"""The REST API: filtering, pagination, GeoJSON, token auth, and bad input answered with 4xx."""

import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from equipment.models import Equipment
from interventions.models import Intervention
from ondijon import roles
from supervision.models import Event

# These tests check the wording of messages: they read them in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def admin_api(api_client_for):
    return api_client_for(roles.ADMINISTRATOR)


def equipment_payload(**overrides):
    payload = {
        "code": "CAM-NEW",
        "kind": "camera",
        "district": "centre",
        "latitude": 47.32,
        "longitude": 5.04,
    }
    return {**payload, **overrides}


def test_create_equipment_logs_an_event(admin_api, district):
    response = admin_api.post("/api/v1/equipment/", equipment_payload(), format="json")
    assert response.status_code == 201, response.json()
    event = Event.objects.get(kind="equipment.created")
    assert event.subject_label == "CAM-NEW"
    assert event.payload["equipment"]["kind"] == "camera"


def test_status_change_is_its_own_event(admin_api, streetlight):
    response = admin_api.patch(
        f"/api/v1/equipment/{streetlight.pk}/", {"status": "fault"}, format="json"
    )
    assert response.status_code == 200
    event = Event.objects.get(kind="equipment.status_changed")
    assert event.payload["previous_status"] == "ok"
    assert event.payload["equipment"]["status"] == "fault"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"latitude": 91}, "latitude"),
        ({"longitude": -181}, "longitude"),
        ({"latitude": "north"}, "latitude"),
        ({"kind": "teleporter"}, "kind"),
        ({"status": "exploded"}, "status"),
        ({"district": "atlantis"}, "district"),
        ({"state": ["not", "an", "object"]}, "state"),
        ({"code": ""}, "code"),
    ],
)
def test_bad_equipment_is_refused_with_field_errors(admin_api, district, overrides, field):
    response = admin_api.post("/api/v1/equipment/", equipment_payload(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Equipment.objects.exists()
    assert not Event.objects.exists()


def test_duplicate_code_is_a_field_error(admin_api, streetlight):
    response = admin_api.post(
        "/api/v1/equipment/", equipment_payload(code=streetlight.code), format="json"
    )
    assert response.status_code == 400
    assert "code" in response.json()


def test_malformed_json_is_a_400(admin_api, district):
    response = admin_api.post("/api/v1/equipment/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_oversized_body_is_a_413(admin_api, district, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps(equipment_payload(name="x" * 5000))
    response = admin_api.post("/api/v1/equipment/", body, content_type="application/json")
    assert response.status_code == 413
    assert not Equipment.objects.exists()


def test_bad_filter_value_is_a_400(admin_api, district):
    assert admin_api.get("/api/v1/equipment/?status=exploded").status_code == 400
    response = admin_api.get("/api/v1/equipment/geojson/?bbox=1,2,3")
    assert response.status_code == 400
    assert "bbox" in response.json()


def test_intervention_gets_reference_and_target(admin_api):
    payload = {
        "title": "Fallen tree",
        "category": "roads",
        "service": "roads",
        "priority": 1,
        "latitude": 47.3,
        "longitude": 5.0,
    }
    response = admin_api.post("/api/v1/interventions/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    intervention = Intervention.objects.get()
    assert body["reference"] == f"INT-{intervention.reported_at:%Y}-{intervention.pk:06d}"
    assert (intervention.target_at - intervention.reported_at).total_seconds() == 15 * 60


def test_filters_and_pagination(admin_api, district):
    Equipment.objects.bulk_create(
        Equipment(
            code=f"SL-{i:03d}",
            kind="streetlight",
            district=district,
            latitude=47.3,
            longitude=5.0,
            status="fault" if i % 3 == 0 else "ok",
        )
        for i in range(30)
    )
    page = admin_api.get("/api/v1/equipment/?status=fault&page_size=4").json()
    assert page["count"] == 10
    assert len(page["results"]) == 4
    assert all(item["status"] == "fault" for item in page["results"])
    assert page["next"]


def test_geojson_is_rfc7946_longitude_first(admin_api, streetlight):
    response = admin_api.get("/api/v1/equipment/geojson/?kind=streetlight")
    assert response["Content-Type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    feature = collection["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [5.0412, 47.3221]}
    assert feature["properties"]["code"] == "SL-TEST-1"


def test_bbox_filter_keeps_only_what_is_inside(admin_api, streetlight, district):
    Equipment.objects.create(
        code="FAR", kind="camera", district=district, latitude=48.0, longitude=6.0
    )
    codes = [
        f["properties"]["code"]
        for f in admin_api.get("/api/v1/equipment/geojson/?bbox=5.0,47.3,5.1,47.4").json()[
            "features"
        ]
    ]
    assert codes == ["SL-TEST-1"]


def test_token_authentication_for_integrations(make_user, streetlight):
    user = make_user(roles.OPERATOR)
    token = Token.objects.create(user=user)
    client = APIClient()
    assert client.get("/api/v1/equipment/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/equipment/").json()["count"] == 1
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert client.get("/api/v1/equipment/").status_code == 401


def test_events_after_returns_the_following_ones_in_order(api_client_for, streetlight):
    from ondijon import bus

    first = bus.emit("test.a")
    bus.emit("test.b")
    bus.emit("test.c")
    body = api_client_for(roles.OPERATOR).get(f"/api/v1/events/?after={first.seq}").json()
    assert [e["kind"] for e in body["results"]] == ["test.b", "test.c"]


def test_operator_note_and_correction(api_client_for):
    client = api_client_for(roles.OPERATOR)
    note = client.post("/api/v1/events/note/", {"text": "Gate 2 jammed"}, format="json").json()
    correction = client.post(
        "/api/v1/events/note/",
        {"text": "Gate 3, not 2", "correction_of": note["seq"]},
        format="json",
    ).json()
    assert correction["kind"] == "note.correction"
    assert correction["correction_of"] == note["seq"]
    assert Event.objects.get(seq=note["seq"]).payload == {"text": "Gate 2 jammed"}


def test_acknowledge_twice_is_a_conflict(api_client_for):
    client = api_client_for(roles.OPERATOR)
    alert = client.post(
        "/api/v1/alerts/",
        {"title": "Leak", "category": "water", "source": "operator"},
        format="json",
    ).json()
    assert client.post(f"/api/v1/alerts/{alert['id']}/acknowledge/").status_code == 200
    again = client.post(f"/api/v1/alerts/{alert['id']}/acknowledge/")
    assert again.status_code == 409
    assert "not raised" in again.json()["detail"]


def test_openapi_schema_lists_the_api(api_client_for):
    response = api_client_for(roles.SUPERVISOR).get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for path in [
        "/api/v1/equipment/",
        "/api/v1/equipment/geojson/",
        "/api/v1/interventions/",
        "/api/v1/calls/",
        "/api/v1/alerts/",
        "/api/v1/events/",
    ]:
        assert path in paths


# --- Values the database cannot store or a reader cannot read back: 400, never 500 ---------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"state": {"level": float("inf")}}, "state"),
        ({"state": {"no\x00te": "x"}}, "state"),
        ({"state": {"note": "a\x00b"}}, "state"),
        ({"district": "centre\x00"}, "district"),
        ({"code": "CAM\x00NEW"}, "code"),
        ({"tags": ["ok", "b\x00d"]}, "tags"),
    ],
)
def test_values_the_database_cannot_store_are_field_errors(admin_api, district, overrides, field):
    body = json.dumps(equipment_payload(**overrides))  # json.dumps writes inf as Infinity
    body = body.replace("Infinity", "1e400")  # valid JSON that Python reads as infinity
    response = admin_api.post("/api/v1/equipment/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Equipment.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["/api/v1/equipment/", "/api/v1/interventions/", "/api/v1/alerts/", "/api/v1/events/note/"],
)
def test_json_nested_thousands_deep_is_a_400(admin_api, url):
    body = '{"title": ' + "[" * 5000 + "]" * 5000 + "}"
    response = admin_api.post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "deep" in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/readings/?since={}",
        "/api/v1/readings/?until={}",
        "/api/v1/events/?since={}",
        "/api/v1/interventions/?reported_after={}",
        "/api/v1/calls/?started_before={}",
        "/api/v1/commands/?requested_after={}",
    ],
)
@pytest.mark.parametrize(
    "value", ["2026-11-27T10:00:00+16:00", "2026-11-27T10:00:00-15:30", "0001-01-01T00:00:00+14:00"]
)
def test_date_filters_with_an_offset_the_database_refuses_are_400(admin_api, url, value):
    from urllib.parse import quote

    response = admin_api.get(url.format(quote(value)))
    assert response.status_code == 400, response.content


def test_date_filters_take_the_widest_real_offsets(admin_api):
    for value in ("2026-11-27T10:00:00+14:00", "2026-11-27T10:00:00-12:00"):
        assert admin_api.get("/api/v1/events/", {"since": value}).status_code == 200


@pytest.mark.parametrize(
    "value",
    [
        "2026-W48-3T10:00:00+01:00",
        "2026-11-27T10:00:00,5+01:00",
        "2026-02-30T10:00:00+01:00",
        "2026-11-27T10:00:00+15:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59Z",
    ],
)
def test_date_times_outside_rfc3339_or_the_window_are_field_errors(value):
    # Every date-time a caller writes through the API is this field (a contract test holds
    # the serializers to it); no route takes a server-set time, so the field is tried itself.
    from rest_framework import serializers

    from ondijon.api.fields import DateTimeField

    class Planned(serializers.Serializer):
        planned_for = DateTimeField()

    planned = Planned(data={"planned_for": value})
    assert not planned.is_valid()
    assert "planned_for" in planned.errors
    assert Planned(data={"planned_for": "2026-11-27T10:00:00+01:00"}).is_valid()


def test_alert_without_source_takes_the_default(api_client_for):
    response = api_client_for(roles.OPERATOR).post(
        "/api/v1/alerts/", {"title": "Leak", "category": "water"}, format="json"
    )
    assert response.status_code == 201, response.content
    schema = api_client_for(roles.SUPERVISOR).get("/api/schema/?format=json").json()
    alert = schema["components"]["schemas"]["AlertRequest"]
    assert "source" not in alert.get("required", [])


def test_admin_issues_a_device_token_for_its_devices(make_user, streetlight):
    from django.test import Client

    from equipment.models import DeviceToken
    from tests.admin_forms import page_values

    client = Client()
    client.force_login(make_user(roles.ADMINISTRATOR))
    url = "/admin/equipment/devicetoken/add/"
    data = {**page_values(client, url), "name": "gateway 7", "equipment": str(streetlight.pk)}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200, response.content[:2000]
    token = DeviceToken.objects.get(name="gateway 7")
    assert list(token.equipment.all()) == [streetlight]
    key = next(str(m) for m in response.context["messages"] if "Key of" in str(m))
    assert token.key_prefix in key

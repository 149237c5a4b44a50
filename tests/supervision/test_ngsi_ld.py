"""NGSI-LD (/ngsi-ld/v1/): the city's equipment and alerts as Smart Data Models entities,
queried by type, id, q and place, and subscriptions notified on change at least once."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from equipment.ingest import ingest
from equipment.models import Equipment
from supervision.models import Alert, NgsiSubscription
from supervision.ngsi_ld import entities as model
from supervision.ngsi_ld import subscriptions
from tests.supervision import smart_data_models

BASE = "/ngsi-ld/v1"
K = Equipment.Kind


@pytest.fixture(autouse=True)
def _ngsi_ld_public(settings):
    settings.STANDARDS_ACCESS = {**settings.STANDARDS_ACCESS, "ngsi_ld": "public"}
    settings.STANDARDS_THROTTLE_RATES = {}


@pytest.fixture
def city(make_equipment):
    cabinet = make_equipment("CAB-1", K.LIGHTING_CABINET, {"voltage": 231.0})
    lights = [
        make_equipment(
            f"SL-{n}",
            K.STREETLIGHT,
            {"lamp": "on", "power_w": 72.5},
            latitude=47.322 + n * 0.001,  # about 111 m apart, northwards
            longitude=5.041,
            parent=cabinet,
        )
        for n in range(4)
    ]
    make_equipment("WS-1", K.WATER_SENSOR, {"pressure_bar": 4.1, "flow_m3h": 12.0})
    make_equipment("TS-1", K.TRAFFIC_SIGNAL, {"mode": "normal"})
    make_equipment("BUS-1", K.BUS, {"delay_s": 30})
    make_equipment("CAM-1", K.CAMERA, {"recording": True})
    Alert.objects.create(
        title="Lamp failure",
        source=Alert.Source.RULE,
        severity=Alert.Severity.HIGH,
        category="lighting",
        equipment=lights[0],
        raised_at=timezone.now(),
        updated_at=timezone.now(),
    )
    Alert.objects.create(
        title="Mrs Dupont called",  # the hotline's: never published
        source=Alert.Source.HOTLINE,
        severity=Alert.Severity.LOW,
        category="isolated",
        raised_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return lights


def entities(client, **params) -> list[dict]:
    response = client.get(f"{BASE}/entities", params)
    assert response.status_code == 200, response.content
    return response.json()


def ids(found: list[dict]) -> list[str]:
    return sorted(entity["id"] for entity in found)


@pytest.mark.django_db
def test_every_entity_follows_its_smart_data_model(client, city):
    found = entities(client, limit=100)
    assert {e["type"] for e in found} == {
        "Streetlight",
        "StreetlightControlCabinet",
        "WaterObserved",
        "TrafficFlowObserved",
        "Vehicle",
        "Device",
        "Alert",
    }
    for entity in found:
        assert smart_data_models.problems(entity) == [], entity["id"]
    for entity in entities(client, limit=100, options="keyValues"):
        assert smart_data_models.problems(entity, key_values=True) == [], entity["id"]
    light = client.get(f"{BASE}/entities/urn:ngsi-ld:Streetlight:SL-0").json()
    assert light["location"]["value"] == {"type": "Point", "coordinates": [5.041, 47.322]}
    assert light["refStreetlightControlCabinet"]["object"] == (
        "urn:ngsi-ld:StreetlightControlCabinet:CAB-1"
    )
    assert "Mrs Dupont" not in json.dumps(found)


@pytest.mark.django_db
def test_queries_by_type_id_q_attrs_and_place(client, city):
    assert ids(entities(client, type="Streetlight", limit=10)) == [
        f"urn:ngsi-ld:Streetlight:SL-{n}" for n in range(4)
    ]
    assert ids(entities(client, id="urn:ngsi-ld:Streetlight:SL-2,urn:ngsi-ld:Vehicle:BUS-1")) == [
        "urn:ngsi-ld:Streetlight:SL-2",
        "urn:ngsi-ld:Vehicle:BUS-1",
    ]
    # An id with the wrong type names nothing.
    assert entities(client, id="urn:ngsi-ld:Vehicle:SL-2") == []
    Equipment.objects.filter(code="SL-3").update(status="fault")
    assert ids(entities(client, type="Streetlight", q='status=="defectiveLamp"')) == [
        "urn:ngsi-ld:Streetlight:SL-3"
    ]
    assert len(entities(client, type="Streetlight", q="powerConsumption>70;status==ok")) == 3
    near = entities(
        client,
        type="Streetlight",
        georel="near;maxDistance==150",
        geometry="Point",
        coordinates="[5.041,47.322]",
    )
    assert ids(near) == ["urn:ngsi-ld:Streetlight:SL-0", "urn:ngsi-ld:Streetlight:SL-1"]
    within = entities(
        client,
        type="Streetlight",
        georel="within",
        geometry="Polygon",
        coordinates="[[[5.04,47.3225],[5.042,47.3225],[5.042,47.3245],[5.04,47.3245],[5.04,47.3225]]]",
    )
    assert ids(within) == ["urn:ngsi-ld:Streetlight:SL-1", "urn:ngsi-ld:Streetlight:SL-2"]
    only = entities(client, type="Streetlight", attrs="powerState", limit=1)[0]
    assert set(only) == {"id", "type", "powerState"}

    page = client.get(
        f"{BASE}/entities", {"type": "Streetlight", "limit": 2, "offset": 1, "count": "true"}
    )
    assert page["NGSILD-Results-Count"] == "4"
    assert ids(page.json()) == ["urn:ngsi-ld:Streetlight:SL-1", "urn:ngsi-ld:Streetlight:SL-2"]
    assert "json-ld#context" in page["Link"]
    linked = client.get(f"{BASE}/entities", {"type": "Vehicle"}, HTTP_ACCEPT="application/ld+json")
    assert linked["Content-Type"] == "application/ld+json"
    context_url = linked.json()[0]["@context"]
    context = client.get(context_url).json()["@context"]
    assert context["Streetlight"].startswith("https://smartdatamodels.org/")

    # Paged by the database across equipment and alerts: 9 pieces of equipment, then 1 alert.
    tail = client.get(f"{BASE}/entities", {"limit": 3, "offset": 8, "count": "true"})
    assert tail["NGSILD-Results-Count"] == "10"
    assert [e["type"] for e in tail.json()] == ["WaterObserved", "Alert"]

    types = client.get(f"{BASE}/types").json()
    assert "Streetlight" in types["typeList"] and types["type"] == "EntityTypeList"
    assert client.get(f"{BASE}/entities/urn:ngsi-ld:Streetlight:nope").status_code == 404


@pytest.mark.django_db
def test_common_equality_terms_are_answered_by_the_database(client, city, district, monkeypatch):
    """status, serviceStatus, deviceState and areaServed equality are ORM filters (counted and
    paged by the database), and answer what the entities say, term for term."""
    from equipment import services as equipment_services

    Equipment.objects.filter(code__in=["SL-1", "SL-3"]).update(status="fault")
    Equipment.objects.filter(code="SL-2").update(status="offline")  # no status: not working
    Equipment.objects.filter(code__in=["BUS-1", "CAM-1"]).update(status="maintenance")
    other = equipment_services.create_district(
        {"code": "east", "name": "Grésilles", "center_latitude": 47.33, "center_longitude": 5.06}
    )
    Equipment.objects.filter(code="WS-1").update(district=other)
    everything = entities(client, limit=100)
    cases = {
        'status=="defectiveLamp"': ["SL-1", "SL-3"],
        "status==ok": ["SL-0"],
        "serviceStatus==outOfService": ["BUS-1"],
        "serviceStatus==onRoute": [],
        "deviceState==maintenance": ["CAM-1"],
        'areaServed=="Grésilles"': ["WS-1"],
        f"areaServed=={district.name};status==defectiveLamp": ["SL-1", "SL-3"],
        "status==42": [],
    }
    built = []
    entity_of = model.equipment_entity
    monkeypatch.setattr(model, "equipment_entity", lambda e: built.append(e) or entity_of(e))
    for q, codes in cases.items():
        built.clear()
        response = client.get(f"{BASE}/entities", {"q": q, "count": "true", "limit": 100})
        assert response.status_code == 200, q
        found = [e["id"].rsplit(":", 1)[1] for e in response.json()]
        assert found == codes, q
        assert response["NGSILD-Results-Count"] == str(len(codes))
        assert len(built) == len(codes), q  # the database chose: no entity built in vain
        # The same answer as reading every entity's attributes.
        expected = [
            e["id"].rsplit(":", 1)[1]
            for e in everything
            if all(
                str(e.get(n, {}).get("value")) == v.strip('"')
                for n, v in (t.split("==") for t in q.split(";"))
            )
        ]
        assert found == expected, q
    # Paged by the database too.
    page = client.get(f"{BASE}/entities", {"q": "status==defectiveLamp", "limit": 1, "offset": 1})
    assert ids(page.json()) == ["urn:ngsi-ld:Streetlight:SL-3"]
    # Mixed with a term the database does not answer, still right.
    assert ids(entities(client, q="status==defectiveLamp;powerConsumption>70")) == [
        "urn:ngsi-ld:Streetlight:SL-1",
        "urn:ngsi-ld:Streetlight:SL-3",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "named"),
    [
        ("status~=ok", "'~=' (pattern)"),
        ("a==1|b==2", "'|' (or)"),
        ("(status==ok;a==1)", "Parentheses"),
        ('status=="ok","defectiveLamp"', "A list of values"),
        ("powerConsumption==10..80", "A range of values"),
        ("status", "Not a q term"),
    ],
)
def test_unsupported_q_syntax_is_a_clear_400(client, city, q, named, english):
    response = client.get(f"{BASE}/entities", {"q": q})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"
    assert named in body["detail"] and "joined by ';'" in body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"q": "status~=ok"},
        {"q": "a==1|b==2"},
        {"limit": "-1"},
        {"limit": "5000"},
        {"georel": "near;maxDistance==100", "geometry": "Point", "coordinates": "[500,47]"},
        {"georel": "near", "geometry": "Point", "coordinates": "[5,47]"},
        {"georel": "near;maxDistance==x", "geometry": "Point", "coordinates": "[5,47]"},
        {"georel": "within", "geometry": "Point", "coordinates": "[5,47]"},
        {"georel": "intersects", "geometry": "Point", "coordinates": "[5,47]"},
        {"georel": "near;maxDistance==9", "geometry": "Point", "coordinates": "nope"},
        {"coordinates": "[5,47]"},
    ],
)
def test_bad_queries_are_400_problem_details(client, city, params):
    response = client.get(f"{BASE}/entities", params)
    assert response.status_code == 400
    assert response.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"


@pytest.mark.django_db
def test_access_as_the_city_set_it(client, city, settings, make_user):
    settings.STANDARDS_ACCESS = {"ngsi_ld": "api_key"}
    assert client.get(f"{BASE}/entities", {"type": "Streetlight"}).status_code == 403
    key = Token.objects.create(user=make_user(username="fiware-partner")).key
    found = client.get(
        f"{BASE}/entities", {"type": "Streetlight"}, HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert found.status_code == 200
    settings.STANDARDS_ACCESS = {"ngsi_ld": "off"}
    assert client.get(f"{BASE}/types").status_code == 404
    assert client.get("/ngsi-ld/context.jsonld").status_code == 404


# --- Subscriptions ---------------------------------------------------------------------------


class Receiver:
    """A partner's notification endpoint: answers `status` and keeps what it received."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.status < 300:
                    receiver.received.append(json.loads(body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def fail(code: str) -> None:
    ingest(
        [
            {
                "device": code,
                "time": timezone.now().isoformat(),
                "metrics": {"status": "fault", "lamp": "off", "power_w": 0.0},
            }
        ]
    )


@pytest.mark.django_db
def test_a_failed_streetlight_is_notified_at_least_once_with_retries(client, city, receiver):
    body = {
        "type": "Subscription",
        "entities": [{"type": "Streetlight"}],
        "watchedAttributes": ["status"],
        "q": 'status=="defectiveLamp"',
        "notification": {"endpoint": {"uri": receiver.url, "accept": "application/json"}},
    }
    created = client.post(f"{BASE}/subscriptions", body, content_type="application/ld+json")
    assert created.status_code == 201, created.content
    subscription_id = created["Location"].rsplit("/", 1)[1]
    listed = client.get(f"{BASE}/subscriptions").json()
    assert [s["id"] for s in listed] == [subscription_id]

    assert subscriptions.deliver_notifications() == {"nothing": 1}
    receiver.status = 503  # the partner is down: nothing is lost
    fail("SL-2")
    assert subscriptions.deliver_notifications() == {"failed": 1}
    state = NgsiSubscription.objects.get()
    assert state.failures == 1 and state.next_attempt_at > timezone.now()
    assert subscriptions.deliver_notifications() == {"waiting": 1}  # backing off
    receiver.status = 200
    later = state.next_attempt_at
    assert subscriptions.deliver_notifications(now=later) == {"sent": 1}
    [notification] = receiver.received
    assert notification["type"] == "Notification"
    assert notification["subscriptionId"] == subscription_id
    assert [e["id"] for e in notification["data"]] == ["urn:ngsi-ld:Streetlight:SL-2"]
    assert notification["data"][0]["status"]["value"] == "defectiveLamp"
    assert subscriptions.deliver_notifications(now=later) == {"nothing": 1}  # told once
    record = client.get(f"{BASE}/subscriptions/{subscription_id}").json()
    assert record["notification"]["timesSent"] == 1

    # Another partner neither sees nor deletes it; its owner does.
    assert (
        client.get(f"{BASE}/subscriptions/{subscription_id}", {"api_key": "other"}).status_code
        == 404
    )
    assert client.delete(f"{BASE}/subscriptions/{subscription_id}").status_code == 204
    assert not NgsiSubscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"type": "Entity"},
        {"type": "Subscription", "entities": [{"type": "Streetlight"}], "notification": {}},
        {
            "type": "Subscription",
            "entities": [{"type": "Streetlight"}],
            "notification": {"endpoint": {"uri": "file:///etc/passwd"}},
        },
        {"type": "Subscription", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}}},
        {
            "type": "Subscription",
            "entities": [{"type": "Streetlight"}],
            "q": "status~ok",
            "notification": {"endpoint": {"uri": "http://127.0.0.1:9/"}},
        },
    ],
)
def test_bad_subscriptions_are_400(client, body):
    response = client.post(f"{BASE}/subscriptions", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert not NgsiSubscription.objects.exists()


def test_notifications_run_with_the_periodic_jobs(settings):
    jobs = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "supervision.tasks.send_ngsi_ld_notifications" in jobs


# --- Temporal --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_readings_history_as_temporal_entities(client, city):
    now = timezone.now()
    ingest(
        [
            {
                "device": "SL-0",
                "time": (now - timedelta(minutes=minutes)).isoformat(),
                "metrics": {"lamp": "on", "power_w": watts},
            }
            for minutes, watts in ((3, 70.0), (2, 71.0), (1, 72.0))
        ]
    )
    url = f"{BASE}/temporal/entities"
    after = (now - timedelta(minutes=10)).isoformat()
    found = client.get(
        url, {"id": "urn:ngsi-ld:Streetlight:SL-0", "timerel": "after", "timeAt": after}
    )
    assert found.status_code == 200, found.content
    [light] = found.json()
    assert [i["value"] for i in light["powerConsumption"]] == [70.0, 71.0, 72.0]
    assert all(i["type"] == "Property" and i["observedAt"] for i in light["powerConsumption"])
    params = {"id": "urn:ngsi-ld:Streetlight:SL-0", "lastN": 2, "attrs": "powerConsumption"}
    [light] = client.get(url, {**params, "options": "temporalValues"}).json()
    assert set(light) == {"id", "type", "powerConsumption"}
    assert [v for v, _t in light["powerConsumption"]["values"]] == [71.0, 72.0]
    before = (now - timedelta(minutes=2, seconds=30)).isoformat()
    [light] = client.get(url, {**params, "timerel": "before", "timeAt": before}).json()
    assert [i["value"] for i in light["powerConsumption"]] == [70.0]
    for bad in (
        {"timerel": "during", "timeAt": after},
        {"timerel": "after"},
        {"timerel": "between", "timeAt": after},
    ):
        assert client.get(url, bad).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [("administrator", 200), ("operator", 302)])
def test_administrators_see_the_partners_subscriptions(client, make_user, role, status):
    subscriptions.create_subscription(
        {
            "type": "Subscription",
            "entities": [{"type": "Streetlight"}],
            "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify"}},
        }
    )
    client.force_login(make_user(role))
    response = client.get("/admin/supervision/ngsisubscription/")
    assert response.status_code == status
    if status == 200:
        assert b"127.0.0.1:9/notify" in response.content

"""Open311 GeoReport v2 (/open311/v2/): citizens' apps read the public services and requests,
and post requests that reach the dispatch desk as a web call with its intervention."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import jsonschema
import pytest
import requests as http
from django.utils import timezone
from georeport import GeoReport
from rest_framework.authtoken.models import Token

from hotline.models import Call, Category
from hotline.open311 import services
from hotline.open311.models import Open311Request
from interventions.models import Intervention
from interventions.services import change_status
from ondijon import roles
from supervision.models import Event
from tests.hotline import open311_schemas as schemas

BASE = "/open311/v2"
DIJON = {"lat": "47.3215", "long": "5.0412"}


@pytest.fixture(autouse=True)
def _open311_public(settings):
    settings.STANDARDS_ACCESS = {**settings.STANDARDS_ACCESS, "open311": "public"}
    settings.STANDARDS_THROTTLE_RATES = {}
    settings.OPEN311_JURISDICTION = ""


@pytest.fixture
def light(db) -> Category:
    return Category.objects.create(
        code="broken-light",
        name="Broken streetlight",
        public=True,
        service="lighting",
        description="A streetlight that is off or blinking",
        attributes=[
            {"code": "pole", "description": "Pole number", "datatype": "string"},
            {
                "code": "state",
                "description": "What is wrong",
                "datatype": "singlevaluelist",
                "required": True,
                "values": [{"key": "off", "name": "Off"}, {"key": "blinking", "name": "Blinking"}],
            },
        ],
    )


@pytest.fixture
def key(db) -> str:
    return services.issue_key("Dijon dans ma poche")[1]


def post(client, key: str | None, fmt: str = "json", **fields):
    data = {"service_code": "broken-light", **DIJON, "attribute[state]": "off", **fields}
    if key is not None:
        data["api_key"] = key
    return client.post(f"{BASE}/requests.{fmt}", data)


def errors_of(response) -> list[dict]:
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    return [
        {"code": int(error.findtext("code")), "description": error.findtext("description")}
        for error in root.findall("error")
    ]


# --- Services ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_public_categories_are_the_services_with_their_definitions(client, light):
    Category.objects.create(code="fake-news", name="Rumours")  # not public: not offered
    listed = client.get(f"{BASE}/services.json").json()
    jsonschema.validate(listed, schemas.SERVICES)
    assert schemas.smart_data_model_problems("services", listed) == []
    assert [s["service_code"] for s in listed] == ["broken-light"]
    assert listed[0]["metadata"] is True

    xml = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert xml.tag == "services"
    assert [s.findtext("service_code") for s in xml.findall("service")] == ["broken-light"]

    definition = client.get(f"{BASE}/services/broken-light.json").json()
    jsonschema.validate(definition, schemas.SERVICE_DEFINITION)
    state = definition["attributes"][1]
    assert (state["code"], state["required"], state["order"]) == ("state", True, 2)
    assert [v["key"] for v in state["values"]] == ["off", "blinking"]
    xml = ET.fromstring(client.get(f"{BASE}/services/broken-light.xml").content)
    assert xml.find("attributes/attribute/values/value/key") is not None

    missing = client.get(f"{BASE}/services/fake-news.xml")
    assert missing.status_code == 404
    assert errors_of(missing)[0]["code"] == 404
    jsonschema.validate(client.get(f"{BASE}/services/nope.json").json(), schemas.ERRORS)


# --- Posting a request -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("sent", [None, "wrong", "inactive"])
def test_posting_needs_an_active_key(client, light, sent):
    if sent == "inactive":
        issued, sent = services.issue_key("Withdrawn app")
        services.update_key(issued, {"active": False})
    response = post(client, sent, fmt="xml")
    assert response.status_code == 403
    assert errors_of(response)[0]["code"] == 403
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_a_posted_request_reaches_the_dispatch_desk_and_follows_its_intervention(
    client, light, key, make_user
):
    response = post(
        client,
        key,
        description="The light in front of number 12 is off",
        media_url="https://photos.example.org/1234.jpg",
        first_name="Jeanne",
        last_name="Martin",
        phone="0611223344",
        email="jeanne@example.org",
        **{"attribute[pole]": "P-88"},
    )
    assert response.status_code == 201, response.content
    answer = response.json()
    jsonschema.validate(answer, schemas.POSTED)
    reference, token = answer[0]["service_request_id"], answer[0]["token"]

    # The room: a web call in the category, with its intervention for the lighting teams.
    call = Call.objects.get()
    assert (call.channel, call.outcome, call.category) == ("web", "intervention", light)
    intervention = call.intervention
    assert intervention.reference == reference
    assert (intervention.service, intervention.latitude, intervention.longitude) == (
        "lighting",
        47.3215,
        5.0412,
    )
    assert Event.objects.filter(kind="intervention.created", subject_id=intervention.pk).exists()
    assert Event.objects.filter(kind="hotline.call_logged", subject_id=call.pk).exists()
    assert Open311Request.objects.get().attributes == {"pole": "P-88", "state": "off"}

    # The dispatcher's desk starts from it.
    client.force_login(make_user(roles.DISPATCHER))
    desk = client.get("/dispatch/state/").json()
    assert desk["intervention"][str(intervention.pk)]["reference"] == reference
    client.logout()

    # Citizens read it back, without who reported it.
    listed = client.get(f"{BASE}/requests.json").json()
    jsonschema.validate(listed, schemas.SERVICE_REQUESTS)
    assert schemas.smart_data_model_problems("service_requests", listed) == []
    wrong = [{**listed[0], "status": "pending", "media_url": 3}]
    assert len(schemas.smart_data_model_problems("service_requests", wrong)) == 2
    assert [(r["service_request_id"], r["status"]) for r in listed] == [(reference, "open")]
    assert listed[0]["status_notes"] == str(intervention.get_status_display())
    assert listed[0]["media_url"] == "https://photos.example.org/1234.jpg"
    body = client.get(f"{BASE}/requests/{reference}.xml").content.decode()
    for personal in ("Jeanne", "Martin", "0611223344", "jeanne@example.org"):
        assert personal not in body
        assert personal not in client.get(f"{BASE}/requests.json").content.decode()
    assert ET.fromstring(body).findtext("request/service_request_id") == reference

    tokens = client.get(f"{BASE}/tokens/{token}.json").json()
    assert tokens == [{"service_request_id": reference, "token": token}]

    # Its status follows the intervention.
    change_status(intervention, Intervention.Status.CANCELLED)
    again = client.get(f"{BASE}/requests/{reference}.json").json()
    assert again[0]["status"] == "closed"
    assert again[0]["status_notes"] == str(Intervention.Status.CANCELLED.label)
    assert again[0]["updated_datetime"] >= listed[0]["updated_datetime"]


@pytest.mark.django_db
def test_a_request_located_by_address_only(client, light, key):
    response = post(client, key, lat="", long="", address_string="12 rue de la Liberté")
    assert response.status_code == 201, response.content
    intervention = Intervention.objects.get()
    assert intervention.address == "12 rue de la Liberté"
    record = client.get(f"{BASE}/requests.json").json()[0]
    assert record["address"] == "12 rue de la Liberté"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"service_code": ""}, "service_code"),
        ({"service_code": "fake-news"}, "service_code"),
        ({"lat": "", "long": ""}, "lat"),
        ({"lat": "abc"}, "lat"),
        ({"long": "NaN"}, "long"),
        ({"lat": "91"}, "lat"),
        ({"long": ""}, "long"),
        ({"attribute[state]": ""}, "attribute[state]"),
        ({"attribute[state]": "melted"}, "attribute[state]"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"description": "x" * 4001}, "description"),
    ],
)
def test_bad_requests_are_400_with_the_field_and_nothing_saved(client, light, key, fields, field):
    Category.objects.create(code="fake-news", name="Rumours")
    response = post(client, key, fmt="xml", **fields)
    assert response.status_code == 400
    [error] = errors_of(response)
    assert error["code"] == 400
    assert error["description"].startswith(f"{field}:")
    assert not Call.objects.exists() and not Intervention.objects.exists()


# --- Reading requests ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_request_filters_and_the_default_window(client, light, key):
    other = Category.objects.create(code="pothole", name="Pothole", public=True, service="roads")
    first = post(client, key).json()[0]["service_request_id"]
    second = post(client, key, service_code=other.code).json()[0]["service_request_id"]
    old = post(client, key).json()[0]["service_request_id"]
    Open311Request.objects.filter(call__intervention__reference=old).update(
        requested_at=timezone.now() - timedelta(days=120)
    )
    change_status(Intervention.objects.get(reference=second), Intervention.Status.CANCELLED)

    def ids(**query) -> list[str]:
        response = client.get(f"{BASE}/requests.json", query)
        assert response.status_code == 200, response.content
        return sorted(r["service_request_id"] for r in response.json())

    assert ids() == sorted([first, second])  # the last 90 days
    assert ids(service_code="pothole") == [second]
    assert ids(service_code="pothole,broken-light") == sorted([first, second])
    assert ids(status="open") == [first]
    assert ids(status="closed") == [second]
    assert ids(service_request_id=f"{old},{first}") == sorted([old, first])
    start = (timezone.now() - timedelta(days=150)).isoformat()
    end = (timezone.now() - timedelta(days=100)).isoformat()
    assert ids(start_date=start, end_date=end) == [old]
    assert ids(start_date=start) == sorted([first, second, old])
    assert ids(jurisdiction_id="dijon.fr") == sorted([first, second])

    for bad in ({"start_date": "yesterday"}, {"status": "pending"}, {"end_date": "2026-13-01"}):
        response = client.get(f"{BASE}/requests.xml", bad)
        assert response.status_code == 400
        assert errors_of(response)[0]["description"].split(":")[0] in bad
    assert client.get(f"{BASE}/requests/INT-0000-000000.json").status_code == 404
    assert client.get(f"{BASE}/tokens/{'0' * 32}.json").status_code == 404


@pytest.mark.django_db
def test_requests_are_at_most_a_thousand(client, light, key, monkeypatch):
    monkeypatch.setattr(services, "MAX_REQUESTS", 2)
    for _ in range(3):
        post(client, key)
    assert len(client.get(f"{BASE}/requests.json").json()) == 2


@pytest.mark.django_db
def test_jurisdiction(client, light, settings):
    settings.OPEN311_JURISDICTION = "dijon.fr"
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "dijon.fr"}).status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200
    refused = client.get(f"{BASE}/services.xml", {"jurisdiction_id": "lyon.fr"})
    assert refused.status_code == 404
    assert errors_of(refused)[0]["code"] == 404


@pytest.mark.django_db
def test_read_access_as_the_city_set_it(client, light, key, settings, make_user):
    settings.STANDARDS_ACCESS = {"open311": "api_key"}
    refused = client.get(f"{BASE}/services.xml")
    assert refused.status_code == 403 and errors_of(refused)[0]["code"] == 403
    assert client.get(f"{BASE}/services.json", {"api_key": "nope"}).status_code == 403
    assert client.get(f"{BASE}/services.json", {"api_key": key}).status_code == 200
    partner = Token.objects.create(user=make_user(username="metropole")).key
    assert client.get(f"{BASE}/requests.json", {"api_key": partner}).status_code == 200
    assert post(client, key).status_code == 201
    settings.STANDARDS_ACCESS = {"open311": "off"}
    assert client.get(f"{BASE}/services.json", {"api_key": key}).status_code == 404
    assert post(client, key).status_code == 404


@pytest.mark.django_db
def test_rate_limit_answers_429_in_the_spec_format(client, light, settings):
    from django.core.cache import cache

    cache.clear()
    settings.STANDARDS_THROTTLE_RATES = {"open311": "2/minute"}
    codes = [client.get(f"{BASE}/services.xml").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert errors_of(client.get(f"{BASE}/services.xml"))[0]["code"] == 429
    cache.clear()


# --- Keys in the admin --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.ADMINISTRATOR, roles.DISPATCHER, roles.HOTLINE_AGENT])
def test_keys_are_issued_in_the_admin_by_administrators(client, make_user, role):
    client.force_login(make_user(role))
    response = client.post(
        "/admin/hotline/open311key/add/", {"name": "Signalements Dijon", "active": "on"}
    )
    if role != roles.ADMINISTRATOR:
        assert response.status_code in (302, 403)
        assert not services.Open311Key.objects.exists()
        return
    assert response.status_code == 302
    issued = services.Open311Key.objects.get()
    shown = [str(m) for m in response.wsgi_request._messages]
    raw = next(text.rsplit(" ", 1)[1] for text in shown if issued.prefix in text)
    assert services.key_named(raw) == issued
    assert raw not in issued.key_hash  # only the hash is kept


# --- A real GeoReport v2 client -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_georeport_client_reads_services_and_the_requests_it_posted(
    live_server, light, key, make_user
):
    root = f"{live_server.url}{BASE}"
    # The spec's POST: a plain form (the client library only reads).
    posted = http.post(
        f"{root}/requests.xml", data={"api_key": key, "service_code": "broken-light", **DIJON}
    )
    assert posted.status_code == 400  # the required question is unanswered
    posted = http.post(
        f"{root}/requests.json",
        data={
            "api_key": key,
            "service_code": "broken-light",
            "attribute[state]": "blinking",
            **DIJON,
        },
    )
    assert posted.status_code == 201
    reference = posted.json()[0]["service_request_id"]
    # The dispatcher's desk, on the same server, starts from it.
    desk = http.Session()
    dispatcher = make_user(roles.DISPATCHER)
    page = desk.get(f"{live_server.url}/accounts/login/")
    desk.post(
        f"{live_server.url}/accounts/login/",
        data={
            "username": dispatcher.username,
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": page.cookies.get("csrftoken") or desk.cookies["csrftoken"],
        },
        headers={"Referer": f"{live_server.url}/accounts/login/"},
    )
    state = desk.get(f"{live_server.url}/dispatch/state/")
    assert state.status_code == 200, state.text[:200]
    assert reference in [i["reference"] for i in state.json()["intervention"].values()]

    for fmt in ("json", "xml"):
        client = GeoReport(root, jurisdiction="dijon.fr", output_format=fmt)
        listed = client.get_service_list()
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one is a dict
        assert [s["service_code"] for s in listed] == ["broken-light"]
        definition = client.get_service_definition("broken-light")
        assert definition["service_code"] == "broken-light"
        found = client.get_service_requests(service_code="broken-light", status="open")
        found = found if isinstance(found, list) else [found]
        assert [r["service_request_id"] for r in found] == [reference]
        one = client.get_service_request(reference)
        one = one[0] if isinstance(one, list) else one
        assert (one["service_request_id"], one["status"]) == (reference, "open")

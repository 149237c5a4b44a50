"""Wall pages and reads: a kiosk account reads the wall and nothing else."""

import gzip
import json

import pytest
from django.test import Client

from ondijon import roles as r
from supervision.models import WallScreen
from supervision.wall import state as wall

WALL_ROLES = {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR, r.DISPATCHER, r.WALL_DISPLAY}
WALL_URLS = ["/wall/", "/wall/main/", "/wall/main/snapshot/", "/wall/main/events/?after=0"]


@pytest.fixture
def client_for(make_user):
    WallScreen.objects.get_or_create(slug="main", defaults={"name": "Main wall"})

    def make(role):
        client = Client()
        client.force_login(make_user(role))
        return client

    return make


@pytest.mark.parametrize("role", sorted(r.ROLE_LABELS))
@pytest.mark.parametrize("url", WALL_URLS)
def test_wall_reads_per_role(client_for, role, url):
    expected = 200 if role in WALL_ROLES else 403
    assert client_for(role).get(url).status_code == expected


@pytest.mark.parametrize("url", WALL_URLS)
def test_anonymous_is_sent_to_login(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events/",
        "/api/v1/equipment/",
        "/api/v1/alerts/",
        "/api/v1/districts/geojson/",
        "/api/schema/",
        "/admin/",
    ],
)
def test_kiosk_reads_nothing_else(client_for, url):
    assert client_for(r.WALL_DISPLAY).get(url).status_code in {302, 403}


def test_snapshot_renews_the_kiosk_session(client_for, settings):
    client = client_for(r.WALL_DISPLAY)
    response = client.get("/wall/main/snapshot/")
    renewed = response.cookies["sessionid"]
    assert int(renewed["max-age"]) == settings.SESSION_COOKIE_AGE
    assert client.get("/wall/main/").status_code == 200  # the renewed cookie still logs in


def test_snapshot_has_the_city_and_its_number(client_for, streetlight):
    body = client_for(r.WALL_DISPLAY).get("/wall/main/snapshot/").json()
    equipment = wall.equipment_rows(body["equipment_columns"])
    assert equipment[str(streetlight.pk)][:3] == ["SL-TEST-1", "streetlight", "ok"]
    district = streetlight.district
    assert body["district"][str(district.pk)]["name"] == "Centre"
    assert body["district"][str(district.pk)]["boundary"] == district.boundary
    assert isinstance(body["seq"], int)


def test_the_kiosk_downloads_the_equipment_in_columns_gzipped(client_for, streetlight):
    response = client_for(r.WALL_DISPLAY).get(
        "/wall/main/snapshot/", HTTP_ACCEPT_ENCODING="gzip, deflate"
    )
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    body = json.loads(gzip.decompress(response.content))
    assert "equipment" not in body
    equipment = wall.equipment_rows(body.pop("equipment_columns"))
    snapshot = wall.build_snapshot()
    assert equipment == snapshot.pop("equipment")
    # The alerts past the panel's first rows go as columns (none here).
    assert body.pop("alert_columns")["id"] == []
    assert body.keys() == snapshot.keys()


@pytest.mark.parametrize("after", ["", "x", "-1"])
def test_replay_needs_a_number(client_for, after):
    response = client_for(r.WALL_DISPLAY).get(f"/wall/main/events/?after={after}")
    assert response.status_code == 400
    assert "after" in response.json()


def test_inactive_or_unknown_screen_is_not_found(client_for):
    WallScreen.objects.create(slug="old", name="Old", active=False)
    client = client_for(r.WALL_DISPLAY)
    assert client.get("/wall/old/").status_code == 404
    assert client.get("/wall/nope/snapshot/").status_code == 404


def test_wall_page_carries_its_screen_configuration(client_for):
    WallScreen.objects.create(slug="east", name="East wall", panels=["map"], map_layers=["teams"])
    response = client_for(r.WALL_DISPLAY).get("/wall/east/")
    config = response.context["config"]
    assert (config["panels"], config["layers"]) == (["map"], ["teams"])
    assert b"leaflet" in response.content
    assert b"http" not in response.content.split(b"<body")[0].replace(b"http-equiv", b"")


def test_screen_configuration_is_validated(db):
    from django.core.exceptions import ValidationError

    screen = WallScreen(slug="x", name="X", panels=["map", "weather"], map_layers="teams")
    with pytest.raises(ValidationError) as error:
        screen.full_clean()
    assert set(error.value.message_dict) == {"panels", "map_layers"}

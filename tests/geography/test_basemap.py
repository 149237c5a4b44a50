"""The base map's street tiles: the streets of a tile in its pixels, the city's open data for
anyone; a city's own tile file for the map roles only."""

import pytest

from geography import basemap, services
from ondijon import roles
from tests.geography.roads import NORTH, river_town

pytestmark = pytest.mark.django_db


def tile_of(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    x, y = basemap._pixel(lon, lat, zoom)
    return int(x // 256), int(y // 256)


@pytest.fixture
def api_client_for(make_user):
    """A browser's session for a user of the role (the maps fetch tiles as pages do)."""
    from django.test import Client

    def client_for(role: str | None) -> Client:
        client = Client()
        if role is not None:
            client.force_login(make_user(role))
        return client

    return client_for


@pytest.fixture
def streets():
    basemap.forget_tiles()
    services.import_streets(river_town(), source="test")
    yield
    basemap.forget_tiles()


def test_a_street_zoom_tile_holds_its_streets_with_their_names(api_client_for, streets):
    x, y = tile_of(NORTH, 5.005, 17)
    answer = api_client_for(roles.DISPATCHER).get(f"/map/streets/17/{x}/{y}.json")
    assert answer.status_code == 200
    drawn = {name: line for _, name, line in answer.json()["streets"]}
    assert "Quai Nord" in drawn and "Pont de l'Est" not in drawn  # the bridge is 2 km east
    px, py = basemap._pixel(5.005, NORTH, 17)
    # The quay's line crosses the tile at the point's pixel row.
    assert any(abs(p[1] - (py - y * 256)) < 1 for p in drawn["Quai Nord"])
    assert 0 <= px - x * 256 <= 256


def test_city_zoom_draws_the_main_roads_without_names(api_client_for, streets):
    x, y = tile_of(NORTH, 5.015, 12)
    tile = api_client_for(roles.OPERATOR).get(f"/map/streets/12/{x}/{y}.json").json()
    assert [(klass, name) for klass, name, _ in tile["streets"]] == [("secondary", "")]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (roles.WALL_DISPLAY, 200),
        (roles.FIELD_TEAM, 200),
        (roles.HOTLINE_AGENT, 200),
        (roles.ADMINISTRATOR, 200),
        (roles.SOCIAL_SUPPORT, 200),
        (None, 200),  # the public status page draws them too
    ],
)
def test_the_street_tiles_are_the_citys_open_data(api_client_for, streets, role, status):
    x, y = tile_of(NORTH, 5.005, 16)
    assert api_client_for(role).get(f"/map/streets/16/{x}/{y}.json").status_code == status


def test_impossible_tiles(client, api_client_for, streets):
    dispatcher = api_client_for(roles.DISPATCHER)
    assert dispatcher.get("/map/streets/3/9/1.json").status_code == 404
    assert dispatcher.get("/map/streets/25/1/1.json").status_code == 404


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_city_tile_file_is_served_by_the_app(api_client_for, tmp_path, settings):
    import sqlite3

    path = tmp_path / "city.mbtiles"
    with sqlite3.connect(path) as database:
        database.execute(
            "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer,"
            " tile_data blob)"
        )
        database.execute("INSERT INTO tiles VALUES (14, 8421, 10537, ?)", (PNG,))
    settings.MAP_TILE_FILE = str(path)
    client = api_client_for(roles.WALL_DISPLAY)
    answer = client.get(f"/map/tiles/14/8421/{2**14 - 1 - 10537}")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert answer.content == PNG
    assert client.get("/map/tiles/14/8421/1").status_code == 404
    assert api_client_for(roles.SOCIAL_SUPPORT).get("/map/tiles/14/8421/5846").status_code == 403
    assert api_client_for(None).get("/map/tiles/14/8421/5846").status_code == 302  # to log in

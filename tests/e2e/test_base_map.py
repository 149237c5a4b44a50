"""Every map draws the city's streets with no internet: the tiles come from ondijon itself,
light on the desks and dark on the wall; any request leaving the server is refused."""

import re

import pytest
from playwright.sync_api import expect

from geography import basemap, services
from ondijon import roles
from supervision.models import WallScreen
from tests.e2e.test_login import PASSWORD, log_in
from tests.geography.roads import NORTH, river_town

DRAWN = """() => [...document.querySelectorAll('.ondijon-streets canvas')].some((canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
  return false;
})"""


@pytest.fixture
def offline(page, asgi_server):
    """Networking off: anything but the server itself is aborted (and counted)."""
    left = []

    def guard(route):
        if route.request.url.startswith(asgi_server):
            route.continue_()
        else:
            left.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    return left


@pytest.fixture
def streets(transactional_db):
    basemap.forget_tiles()
    services.import_streets(river_town(), source="test")
    yield
    basemap.forget_tiles()


def test_the_dispatch_desk_draws_the_streets_offline(
    asgi_server, page, make_user, streets, offline, screenshot
):
    make_user(roles.DISPATCHER, username="dora")
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, asgi_server, "dora")
    expect(page).not_to_have_url(re.compile("/accounts/login/"))
    with page.expect_response(re.compile(r"/map/streets/\d+/\d+/\d+\.json")) as tile:
        page.goto(f"{asgi_server}/dispatch/")
    assert tile.value.status == 200
    expect(page.locator("#dispatch-map.ondijon-basemap-light")).to_be_attached()
    page.wait_for_function(DRAWN)
    screenshot("streets")
    assert offline == []


def test_the_wall_draws_them_dark(asgi_server, page, make_user, streets, offline):
    WallScreen.objects.update_or_create(
        slug="main",
        defaults={
            "name": "Main wall",
            "panels": ["map", "alerts", "interventions", "health", "figures"],
            "map_layers": ["districts", "equipment", "teams", "interventions", "alerts"],
            "zoom": 15,
            "center_latitude": NORTH,
            "center_longitude": 5.015,
        },
    )
    make_user(roles.WALL_DISPLAY, username="kiosk")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{asgi_server}/wall/main/")
    page.fill("#id_username", "kiosk")
    page.fill("#id_password", PASSWORD)
    tiles = []
    page.on(
        "response",
        lambda response: (
            tiles.append(response)
            if re.search(r"/map/streets/\d+/\d+/\d+\.json", response.url)
            else None
        ),
    )
    page.click("button[type=submit]")
    page.wait_for_function(DRAWN)
    # The map opens on the city's view, then moves to the screen's: the tiles of its view come
    # in any order, and together they hold the town's streets.
    town = {"Quai Nord", "Quai Sud", "Pont de l'Est"}
    names: set[str] = set()
    for _ in range(50):
        names = {name for tile in list(tiles) for _, name, _ in tile.json()["streets"]}
        if names & town:
            break
        page.wait_for_timeout(200)
    assert names & town
    expect(page.locator("#wall-map.ondijon-basemap-dark")).to_be_attached()
    page.wait_for_function(DRAWN)
    assert offline == []

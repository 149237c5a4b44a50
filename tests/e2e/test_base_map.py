"""Every map draws the city's streets with no internet: the tiles come from ondijon itself,
light on the desks and dark on the wall; any request leaving the server is refused."""

import re

import pytest
from playwright.sync_api import expect

from equipment.models import Site
from geography import basemap, services
from geography.models import Street
from interventions.models import Officer, Team
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


def drawn_in(map_id: str) -> str:
    """Whether the streets of that map (not another's) have drawn a pixel."""
    return DRAWN.replace(".ondijon-streets canvas", f"#{map_id} .ondijon-streets canvas")


# A main road through the city centre, where the maps open and the test devices stand.
CENTRE_ROAD = Street(
    source=Street.Source.DEMO,
    source_id=50,
    name="Rue de la Liberté",
    road_class="primary",
    oneway=False,
    nodes=[5001, 5002, 5003],
    points=[[5.030, 47.3221], [5.0412, 47.3221], [5.055, 47.3221]],
)


@pytest.fixture
def city_streets(streets):
    services.import_streets([CENTRE_ROAD], source="test")
    basemap.forget_tiles()


def field_crew(make_user):
    crew = make_user(roles.FIELD_TEAM, username="fabien")
    team = Team.objects.create(
        call_sign="POL-1", service="police", latitude=47.3221, longitude=5.0412
    )
    Officer.objects.create(user=crew, team=team, service="police", badge_number="PM-1")
    return crew


# Each page with a map, who opens it, and the element of its map.
MAPS = [
    ("the phone", roles.FIELD_TEAM, "/field/", "field-map"),
    ("the operator console", roles.SUPERVISOR, "/console/", "console-map"),
    ("the command selection", roles.SUPERVISOR, "/console/selection/", "selection-map"),
    ("the admin's list", roles.ADMINISTRATOR, "/admin/equipment/equipment/", "admin-map"),
    (
        "the admin's form",
        roles.ADMINISTRATOR,
        "/admin/equipment/equipment/{pk}/change/",
        "admin-map",
    ),
    ("the addresses in the admin", roles.ADMINISTRATOR, "/admin/geography/address/", "admin-map"),
    ("the public status page", None, "/status/", "status-map"),
]


@pytest.mark.parametrize(("_name", "role", "path", "map_id"), MAPS, ids=[m[0] for m in MAPS])
def test_every_map_draws_the_streets_offline(
    asgi_server, page, make_user, city_streets, streetlight, offline, _name, role, path, map_id
):
    page.set_viewport_size({"width": 1400, "height": 900})
    if role == roles.FIELD_TEAM:
        field_crew(make_user)
        log_in(page, asgi_server, "fabien")
    elif role is not None:
        make_user(role, username="user")
        log_in(page, asgi_server, "user")
    if role is not None:
        expect(page).not_to_have_url(re.compile("/accounts/login/"))
    page.goto(asgi_server + path.format(pk=streetlight.pk))
    expect(page.locator(f"#{map_id}.ondijon-basemap-light")).to_be_attached()
    page.wait_for_function(drawn_in(map_id))
    assert offline == []


def test_the_public_page_shows_the_markets_on_the_streets(
    asgi_server, page, city_streets, district, offline, screenshot
):
    Site.objects.create(
        code="halles",
        name="Les Halles",
        kind="market",
        district=district,
        latitude=47.3221,
        longitude=5.0412,
        capacity=200,
    )
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{asgi_server}/status/")
    page.locator("#status-map").scroll_into_view_if_needed()
    page.wait_for_function(drawn_in("status-map"))
    center = page.evaluate(
        "() => { const box = document.getElementById('status-map').getBoundingClientRect();"
        " return [box.x + box.width / 2, box.y + box.height / 2]; }"
    )
    screenshot("public-map")
    page.mouse.move(*center)
    expect(page.locator(".leaflet-tooltip")).to_have_text("Les Halles")
    assert offline == []

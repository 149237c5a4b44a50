"""The city's geography end to end: the call desk types the caller's address and creates the
intervention there, the dispatch desk ranks the teams by road ETA and draws their routes, and
the nearest crew's phone shows its route and French turn-by-turn directions."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from geography import addresses, roads, services
from geography.models import Street
from hotline.models import Category
from interventions.models import Intervention, Officer, Team
from ondijon import roles
from tests.conftest import ARTIFACTS
from tests.e2e.test_login import log_in
from tests.geography.roads import NORTH, SOUTH, river_town

ADDRESS = "12 Quai Nord, 21000 Dijon"
ALONG = (47.3025, 5.012)  # on rue du Moulin, north of the quay: 560 m away, by road too
ACROSS = (SOUTH, 5.005)  # across the river: 110 m away, 3.9 km by the bridge


@pytest.fixture
def river_city(transactional_db):
    moulin = Street(
        source=Street.Source.DEMO,
        source_id=4,
        name="Rue du Moulin",
        road_class="residential",
        oneway=False,
        nodes=[1012, 4001, 4002],
        points=[[5.012, NORTH], [5.012, 47.3020], [5.012, 47.3030]],
    )
    services.import_streets([*river_town(), moulin], source="test")
    services.import_addresses(
        [
            {
                "id": "21231_9000_00012",
                "numero": "12",
                "rep": "",
                "nom_voie": "Quai Nord",
                "code_postal": "21000",
                "code_insee": "21231",
                "nom_commune": "Dijon",
                "lon": "5.005",
                "lat": str(NORTH + 0.00007),
            }
        ],
        source="test",
    )
    addresses.forget_index()
    roads.forget_graph()
    now = timezone.now() - timedelta(seconds=20)
    along = Team.objects.create(
        call_sign="POL-ALONG",
        service="police",
        latitude=ALONG[0],
        longitude=ALONG[1],
        position_at=now,
    )
    Team.objects.create(
        call_sign="POL-ACROSS",
        service="police",
        latitude=ACROSS[0],
        longitude=ACROSS[1],
        position_at=now,
    )
    yield along
    addresses.forget_index()
    roads.forget_graph()


def test_typed_address_to_road_ranking_to_french_directions_on_the_phone(
    asgi_server, page, browser, make_user, river_city, screenshot
):
    # The call desk: the agent types the address as the caller says it.
    Category.objects.create(code="public-order", name="Public order", shortcut="3")
    make_user(roles.HOTLINE_AGENT, username="amelie")
    log_in(page, asgi_server, "amelie")
    expect(page).not_to_have_url(re.compile("/accounts/login/"))
    page.goto(f"{asgi_server}/hotline/")
    page.keyboard.press("Enter")
    page.keyboard.press("3")
    page.keyboard.type("Fight on the quay")
    page.keyboard.press("Escape")
    page.keyboard.press("i")
    page.keyboard.type("Fight on the quay")
    page.select_option("#intervention-service", "police")
    page.locator("#intervention-address").press_sequentially("12 quai nord", delay=40)
    expect(page.locator("#intervention-address-suggestions li").first).to_have_text(ADDRESS)
    page.locator("#intervention-address").press("Enter")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#logged li").first).to_contain_text("INT-")
    intervention = Intervention.objects.get()
    assert intervention.address == ADDRESS and intervention.service == "police"

    # The dispatch desk: ranked by road, each candidate's route drawn.
    make_user(roles.DISPATCHER, username="dora")
    page.context.clear_cookies()
    log_in(page, asgi_server, "dora")
    expect(page).not_to_have_url(re.compile("/accounts/login/"))
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{asgi_server}/dispatch/")
    page.locator("#open-interventions li", has_text="Fight on the quay").click()
    candidates = page.locator("#candidates li")
    expect(candidates.first).to_contain_text("POL-ALONG")
    expect(candidates.first).to_contain_text("km by road")  # this browser asks for English
    expect(candidates.nth(1)).to_contain_text("POL-ACROSS")
    expect(candidates.nth(1)).to_have_attribute("data-by-road", "true")
    expect(page.locator("#dispatch-map path.candidate-route")).to_have_count(2)
    screenshot("ranked-by-road")
    candidates.first.locator("button.assign").click()
    expect(page.locator("#open-interventions li.selected")).to_contain_text("POL-ALONG")

    # The crew's phone: the route and each turn, with street names, in French.
    crew = make_user(roles.FIELD_TEAM, username="fabien")
    Officer.objects.create(user=crew, team=river_city, service="police", badge_number="PM-9")
    phone = browser.new_context(
        viewport={"width": 390, "height": 760},
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",  # the crew's phone is in French
        geolocation={"latitude": ALONG[0], "longitude": ALONG[1]},
        permissions=["geolocation"],
    )
    try:
        field = phone.new_page()
        log_in(field, asgi_server, "fabien")
        expect(field).not_to_have_url(re.compile("/accounts/login/"))
        field.goto(f"{asgi_server}/field/")
        steps = field.locator("#turn-by-turn li")
        expect(steps.first).to_contain_text("Prenez Rue du Moulin vers le sud")
        expect(steps.nth(1)).to_contain_text("Tournez à droite sur Quai Nord")
        expect(steps.last).to_have_text(f"Vous êtes arrivé : {ADDRESS}")
        expect(field.locator("#directions")).to_contain_text("par la route")
        expect(field.locator("#field-map path.crew-route")).to_have_count(1)
        ARTIFACTS.mkdir(exist_ok=True)
        field.screenshot(path=str(ARTIFACTS / "road-dispatch-phone-directions.png"))
    finally:
        phone.close()

"""The address box: the call desk and the dispatch desk type an address as the caller says
it, choose it among the suggestions, and the intervention is placed there."""

import pytest
from playwright.sync_api import expect

from geography import addresses, services
from hotline.models import Category
from interventions.models import Intervention
from ondijon import roles
from tests.e2e.test_login import log_in
from tests.geography.ban import SAMPLE

LIBERTE = "12 Rue de la Liberté, 21000 Dijon"


@pytest.fixture
def city_addresses(transactional_db):
    rows = [
        dict(
            zip(
                [
                    "id",
                    "numero",
                    "rep",
                    "nom_voie",
                    "code_postal",
                    "code_insee",
                    "nom_commune",
                    "lon",
                    "lat",
                ],
                map(str, row),
                strict=True,
            )
        )
        for row in SAMPLE
    ]
    services.import_addresses(rows, source="test")
    addresses.forget_index()
    yield
    addresses.forget_index()


def test_call_desk_types_the_address_and_the_intervention_is_placed_there(
    asgi_server, page, make_user, city_addresses, screenshot
):
    Category.objects.create(code="street-lighting", name="Street lighting", shortcut="4")
    make_user(roles.HOTLINE_AGENT, username="amelie")
    log_in(page, asgi_server, "amelie")
    page.goto(f"{asgi_server}/hotline/")
    expect(page.locator("#state")).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("4")
    page.keyboard.type("The light is out in front of my door")
    page.keyboard.press("Escape")
    page.keyboard.press("i")
    page.keyboard.type("Streetlight out")
    page.fill("#intervention-address", "")
    page.locator("#intervention-address").press_sequentially("12 r liberte", delay=40)
    suggestions = page.locator("#intervention-address-suggestions li")
    expect(suggestions.first).to_have_text(LIBERTE)
    screenshot("suggestions")
    page.locator("#intervention-address").press("Enter")  # the first suggestion
    expect(page.locator("#intervention-address")).to_have_value(LIBERTE)
    expect(page.locator("#intervention-place")).to_contain_text("47.32190")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#logged li").first).to_contain_text("INT-")
    intervention = Intervention.objects.get()
    assert intervention.address == LIBERTE
    assert (intervention.latitude, intervention.longitude) == (47.3219, 5.0395)


def test_dispatch_desk_places_the_pin_from_the_address_and_names_a_clicked_point(
    asgi_server, page, make_user, city_addresses
):
    make_user(roles.DISPATCHER, username="dora")
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, asgi_server, "dora")
    page.goto(f"{asgi_server}/dispatch/")
    page.locator("#create-address").press_sequentially("3 bd carnot", delay=40)
    expect(page.locator("#create-address-suggestions li").first).to_have_text(
        "3 Boulevard Carnot, 21000 Dijon"
    )
    page.locator("#create-address-suggestions li").first.click()
    expect(page.locator("#create-hint")).to_have_text("47.31900, 5.04600")
    page.fill("#create-form [name=title]", "Pothole")
    page.select_option("#create-form [name=service]", "roads")
    page.click("#create-form button[type=submit]")
    expect(page.locator("#selected-address")).to_have_text("3 Boulevard Carnot, 21000 Dijon")
    created = Intervention.objects.get(title="Pothole")
    assert (created.latitude, created.longitude) == (47.319, 5.046)
    # A click on the map names the nearest address.
    page.locator("#dispatch-map").click(position={"x": 500, "y": 420})
    expect(page.locator("#create-address")).not_to_have_value("")


def test_call_desk_map_shows_the_chosen_address_and_names_a_clicked_point(
    asgi_server, page, make_user, city_addresses, screenshot
):
    Category.objects.create(code="roads", name="Roads", shortcut="5")
    make_user(roles.HOTLINE_AGENT, username="basile")
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in(page, asgi_server, "basile")
    page.goto(f"{asgi_server}/hotline/")
    expect(page.locator("#state")).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("5")
    page.keyboard.type("A pothole")
    page.keyboard.press("Escape")
    page.keyboard.press("i")
    page.keyboard.type("Pothole")
    call_map = page.locator("#intervention-map")
    expect(call_map).to_be_visible()
    expect(call_map.locator(".ondijon-streets")).to_be_attached()  # the offline base map
    expect(call_map.locator(".call-pin")).to_have_count(0)
    page.locator("#intervention-address").press_sequentially("12 r liberte", delay=40)
    expect(page.locator("#intervention-address-suggestions li").first).to_have_text(LIBERTE)
    page.locator("#intervention-address").press("Enter")
    # The pin stands on the chosen address: its point, and the nearest address to a click at
    # the pin's centre is that address again.
    pin = call_map.locator(".call-pin")
    expect(pin).to_have_count(1)
    expect(call_map).to_have_attribute("data-pin", "47.321900,5.039500")
    page.wait_for_function(
        "() => !document.querySelector('#intervention-map .leaflet-zoom-anim, "
        "#intervention-map .leaflet-pan-anim')"
    )
    box = pin.bounding_box()
    frame = call_map.bounding_box()
    centre = {
        "x": box["x"] + box["width"] / 2 - frame["x"],
        "y": box["y"] + box["height"] / 2 - frame["y"],
    }
    page.fill("#intervention-address", "")
    call_map.click(position=centre)
    expect(page.locator("#intervention-address")).to_have_value(LIBERTE)
    expect(page.locator("#intervention-place")).to_contain_text(LIBERTE)
    # 28 pixels east at street zoom (17: 0.81 m a pixel here) is number 14, 22 m down the street.
    call_map.click(position={"x": centre["x"] + 28, "y": centre["y"]})
    fourteen = "14 Rue de la Liberté, 21000 Dijon"
    expect(page.locator("#intervention-address")).to_have_value(fourteen)
    screenshot("clicked")
    expect(call_map).not_to_have_attribute("data-pin", "47.321900,5.039500")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#logged li").first).to_contain_text("INT-")
    intervention = Intervention.objects.get()
    assert intervention.address == fourteen
    assert abs(intervention.latitude - 47.3219) < 0.00002
    assert abs(intervention.longitude - 5.0398) < 0.00002
    # The next call starts with no pin.
    expect(call_map.locator(".call-pin")).to_have_count(0)

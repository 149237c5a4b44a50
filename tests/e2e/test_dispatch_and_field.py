"""The dispatcher creates an intervention on the map and sends the nearest team in one click;
the crew follows it on a phone-sized screen, reports its steps and sends its position."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interventions import services
from interventions.models import Intervention, Officer, Team
from ondijon import roles
from tests.e2e.test_login import log_in

PHONE = {
    "viewport": {"width": 390, "height": 760},
    "is_mobile": True,
    "has_touch": True,
    "geolocation": {"latitude": 47.3301, "longitude": 5.0402},
    "permissions": ["geolocation"],
}


def make_team(call_sign, lat, lon, service="police", seconds_ago=60):
    return Team.objects.create(
        call_sign=call_sign,
        service=service,
        latitude=lat,
        longitude=lon,
        position_at=timezone.now() - timedelta(seconds=seconds_ago),
    )


def test_dispatcher_creates_on_the_map_and_assigns_the_nearest_team(
    asgi_server, page, make_user, screenshot
):
    make_team("POL-NEAR", 47.323, 5.042)
    make_team("POL-FAR", 47.36, 5.09)
    make_user(roles.DISPATCHER, username="dora")
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, asgi_server, "dora")
    page.goto(f"{asgi_server}/dispatch/")
    page.locator("#dispatch-map").click(position={"x": 500, "y": 420})
    expect(page.locator("#create-form")).to_be_visible()
    page.fill("#create-form [name=title]", "Brawl at the market")
    page.select_option("#create-form [name=service]", "police")
    page.select_option("#create-form [name=priority]", "1")
    page.click("#create-form button[type=submit]")
    candidates = page.locator("#candidates li")
    expect(candidates.first).to_contain_text("POL-NEAR")
    expect(candidates.first).to_contain_text("min")
    expect(candidates.nth(1)).to_contain_text("POL-FAR")
    screenshot("candidates")
    candidates.first.locator("button.assign").click()
    expect(page.locator("#open-interventions li.selected")).to_contain_text("Dispatched")
    expect(page.locator("#open-interventions li.selected")).to_contain_text("POL-NEAR")
    intervention = Intervention.objects.get(title="Brawl at the market")
    assert intervention.status == "dispatched" and intervention.priority == 1
    assert list(intervention.teams.values_list("call_sign", flat=True)) == ["POL-NEAR"]
    screenshot("assigned")


@pytest.mark.browser_context_args(**PHONE)
def test_field_crew_follows_its_assignment_on_a_phone(asgi_server, page, make_user, screenshot):
    team = make_team("POL-07", 47.325, 5.045)
    user = make_user(roles.FIELD_TEAM, username="fabien")
    Officer.objects.create(user=user, team=team, service="police", badge_number="PM-7")
    intervention = services.create_intervention(
        {
            "title": "Car blocking the tram",
            "category": "traffic",
            "service": "police",
            "priority": 2,
            "latitude": 47.3305,
            "longitude": 5.0405,
            "address": "Place Darcy",
        }
    )
    services.assign_team(intervention, team)
    log_in(page, asgi_server, "fabien")
    page.goto(f"{asgi_server}/field/")
    expect(page.locator("#assignment-title")).to_contain_text("Car blocking the tram")
    expect(page.locator("#directions")).to_contain_text("Go to Place Darcy")
    expect(page.locator("#position-line")).to_contain_text("Position sent")
    team.refresh_from_db()
    assert (team.latitude, team.longitude) == (47.3301, 5.0402)
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("assignment")

    expect(page.locator("button[data-step=done]")).to_be_disabled()
    page.click("button[data-step=en-route]")
    expect(page.locator("#assignment-meta")).to_contain_text("En route")
    page.click("button[data-step=on-site]")
    expect(page.locator("#assignment-meta")).to_contain_text("On site")
    page.fill("#note", "Driver found, car moved")
    page.click("button[data-step=done]")
    expect(page.locator("#no-assignment")).to_be_visible()
    screenshot("done")
    intervention.refresh_from_db()
    assert intervention.status == "resolved"
    assert intervention.en_route_at and intervention.on_site_at and intervention.resolved_at


def test_a_phone_that_refuses_its_location_says_why_in_french(asgi_server, browser, make_user):
    team = make_team("POL-08", 47.325, 5.045)
    user = make_user(roles.FIELD_TEAM, username="fanny")
    Officer.objects.create(user=user, team=team, service="police", badge_number="PM-8")
    # No geolocation permission: the browser refuses, with its own message in English.
    phone = {key: value for key, value in PHONE.items() if key != "permissions"}
    context = browser.new_context(locale="fr-FR", **phone)
    page = context.new_page()
    log_in(page, asgi_server, "fanny")
    page.goto(f"{asgi_server}/field/")
    line = page.locator("#position-line")
    expect(line).to_have_text(
        "Pas de localisation : le téléphone ne donne pas sa position "
        "(autorisez-la dans les réglages du navigateur)"
    )
    context.close()

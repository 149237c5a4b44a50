"""The dispatcher's desk and the field crew's phone are live over the events WebSocket: changes
made through the API show within a second without reload, and after a dropped connection
(daphne stopped, changes made meanwhile, daphne back) the page's state is the server's."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from interventions import services
from interventions.models import Intervention, Officer, Team
from ondijon import roles
from supervision.wall import state as wall
from tests.conftest import free_port, stop_daphne
from tests.e2e.api import api_post
from tests.e2e.test_dispatch_and_field import PHONE
from tests.e2e.test_login import log_in
from tests.e2e.test_wall import Daphne


class Server(Daphne):
    def stop(self) -> None:
        stop_daphne(self.process)


@pytest.fixture
def server(transactional_db):
    """A daphne process the test can stop and start again on the same port."""
    daphne = Server(free_port())
    daphne.start()
    yield daphne
    if daphne.process.poll() is None:
        daphne.stop()


@pytest.fixture
def city(transactional_db, make_user):
    """Two police teams, a dispatcher with an API token, and a field officer of POL-07."""
    now = timezone.now()
    near = Team.objects.create(
        call_sign="POL-07", service="police", latitude=47.325, longitude=5.045, position_at=now
    )
    far = Team.objects.create(
        call_sign="POL-12", service="police", latitude=47.34, longitude=5.06, position_at=now
    )
    dispatcher = make_user(roles.DISPATCHER, username="dora")
    officer = make_user(roles.FIELD_TEAM, username="fabien")
    Officer.objects.create(user=officer, team=near, service="police", badge_number="PM-7")
    return {
        "near": near,
        "far": far,
        "officer": officer,
        "token": Token.objects.create(user=dispatcher).key,
    }


def new_intervention(title: str, **extra) -> dict:
    return {
        "title": title,
        "category": "public_order",
        "service": "police",
        "priority": 2,
        "latitude": 47.3301,
        "longitude": 5.0402,
        "address": "Place Darcy",
        **extra,
    }


def open_desk(page, base_url: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, base_url, "dora")
    page.goto(f"{base_url}/dispatch/")
    expect(page.locator("#stream-connection[data-state=live]")).to_be_attached(timeout=10000)


def open_phone(page, base_url: str) -> None:
    log_in(page, base_url, "fabien")
    page.goto(f"{base_url}/field/")
    expect(page.locator("#stream-connection[data-state=live]")).to_be_attached(timeout=10000)


def desk_state(page) -> dict:
    return page.evaluate("() => JSON.parse(JSON.stringify(window.ondijonDispatch.state))")


def server_desk_state() -> dict:
    return json.loads(json.dumps(services.desk_state()))


def server_assignment(officer) -> dict:
    # The server stored the officer's password anew at the phone's login (its hasher's rounds):
    # the session is signed with the stored one.
    officer.refresh_from_db()
    client = Client()
    client.force_login(officer)
    # Asked in the phone's language (Playwright's Chromium asks for English).
    body = client.get("/api/v1/teams/mine/", HTTP_ACCEPT_LANGUAGE="en-US").json()
    del body["seq"]
    return body


def test_an_intervention_created_through_the_api_appears_on_the_open_desk_within_a_second(
    server, page, city, screenshot
):
    open_desk(page, server.url)
    expect(page.locator("#open-interventions li")).to_have_count(0)
    created = api_post(
        server.url, city["token"], "/api/v1/interventions/", new_intervention("Brawl, rue Monge")
    )
    returned = time.monotonic()
    page.wait_for_function(
        f"() => document.querySelector('#open-interventions li[data-id=\"{created['id']}\"]')",
        timeout=1000,
        polling="raf",
    )
    assert time.monotonic() - returned < 1.0
    expect(page.locator("#open-interventions li").first).to_contain_text("Brawl, rue Monge")
    # Then a team sent through the API: the entry, the team count and the team's state follow.
    api_post(
        server.url,
        city["token"],
        f"/api/v1/interventions/{created['id']}/assign/",
        {"team": "POL-12"},
    )
    returned = time.monotonic()
    page.wait_for_function(
        f"() => window.ondijonDispatch.state.team['{city['far'].pk}'].status === 'busy'"
        f" && document.querySelector('#open-interventions li[data-id=\"{created['id']}\"]')"
        ".textContent.includes('POL-12')",
        timeout=1000,
        polling="raf",
    )
    assert time.monotonic() - returned < 1.0
    expect(page.locator("#team-summary")).to_have_text("1 available · 1 busy · 0 off duty")
    page.wait_for_function(f"() => Number(document.body.dataset.lastSeq) === {wall.last_seq()}")
    assert desk_state(page) == server_desk_state()
    screenshot("live")


@pytest.mark.browser_context_args(**PHONE)
def test_a_team_assigned_through_the_api_sees_it_on_the_open_phone_within_a_second(
    server, page, city, screenshot
):
    intervention = services.create_intervention(new_intervention("Car blocking the tram"))
    open_phone(page, server.url)
    expect(page.locator("#no-assignment")).to_be_visible()
    api_post(
        server.url,
        city["token"],
        f"/api/v1/interventions/{intervention.pk}/assign/",
        {"team": "POL-07"},
    )
    returned = time.monotonic()
    page.wait_for_function(
        "() => document.getElementById('assignment-title').textContent.includes('Car blocking')"
        " && !document.getElementById('assignment').hidden",
        timeout=1000,
        polling="raf",
    )
    assert time.monotonic() - returned < 1.0
    expect(page.locator("#directions")).to_contain_text("Go to Place Darcy")
    expect(page.locator("#team-status")).to_have_text("Busy")
    # The dispatcher cancels it: the phone goes back to "no assignment" without a reload.
    api_post(server.url, city["token"], f"/api/v1/interventions/{intervention.pk}/cancel/", {})
    returned = time.monotonic()
    page.wait_for_function(
        "() => !document.getElementById('no-assignment').hidden", timeout=1000, polling="raf"
    )
    assert time.monotonic() - returned < 1.0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("cancelled")


def test_the_desk_catches_up_on_what_happened_while_its_socket_was_down(
    server, page, city, screenshot
):
    kept = services.create_intervention(new_intervention("Noise complaint"))
    to_cancel = services.create_intervention(new_intervention("False alarm", priority=4))
    open_desk(page, server.url)
    expect(page.locator("#open-interventions li")).to_have_count(2)

    server.stop()
    expect(page.locator("#stream-connection[data-state=offline]")).to_be_attached(timeout=5000)
    expect(page.locator("#stream-connection")).to_contain_text("Reconnecting")
    screenshot("offline")
    added = services.create_intervention(new_intervention("Fight at the station", priority=1))
    services.assign_team(added, city["near"])
    services.change_status(to_cancel, Intervention.Status.CANCELLED)
    services.report_team_position(city["far"], 47.33, 5.07)
    services.update_team(Team.objects.get(pk=city["far"].pk), {"status": "off_duty"})

    server.start()  # same port: the page's backoff finds it again and replays from its number
    expect(page.locator("#stream-connection[data-state=live]")).to_be_attached(timeout=20000)
    page.wait_for_function(f"() => Number(document.body.dataset.lastSeq) === {wall.last_seq()}")
    assert desk_state(page) == server_desk_state()
    items = page.locator("#open-interventions li")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Fight at the station")
    expect(items.first).to_contain_text("Teams: POL-07")
    expect(items.nth(1)).to_contain_text(kept.title)
    expect(page.locator("#team-summary")).to_have_text("0 available · 1 busy · 1 off duty")
    screenshot("replayed")


@pytest.mark.browser_context_args(**PHONE)
def test_the_phone_catches_up_on_what_happened_while_its_socket_was_down(
    server, page, city, screenshot
):
    open_phone(page, server.url)
    expect(page.locator("#no-assignment")).to_be_visible()

    server.stop()
    expect(page.locator("#stream-connection[data-state=offline]")).to_be_attached(timeout=5000)
    elsewhere = services.create_intervention(new_intervention("Somebody else's"))
    services.assign_team(elsewhere, city["far"])
    mine = services.create_intervention(
        new_intervention("Lost child at the market", reported_at=timezone.now() - timedelta(1))
    )
    services.assign_team(mine, city["near"])
    services.report_progress(city["near"], "en_route")

    server.start()
    expect(page.locator("#stream-connection[data-state=live]")).to_be_attached(timeout=20000)
    page.wait_for_function(f"() => Number(document.body.dataset.lastSeq) === {wall.last_seq()}")
    expect(page.locator("#assignment-title")).to_contain_text("Lost child at the market")
    expect(page.locator("#assignment-meta")).to_contain_text("En route · OVERDUE")
    expect(page.locator("button[data-step=on-site]")).to_be_enabled()
    page.wait_for_function(
        "() => window.ondijonField.state.mine.intervention"
        " && window.ondijonField.state.mine.intervention.status === 'en_route'"
    )
    shown = page.evaluate("() => window.ondijonField.state.mine")
    del shown["seq"]
    assert shown == server_assignment(city["officer"])
    screenshot("replayed")

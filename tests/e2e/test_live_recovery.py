"""Live pages heal in the machine's Chromium: when heartbeats stop while the socket stays open
(the channel layer's Redis frozen: a stalled disk, a paused VM, a partition without a reset),
the page leaves "live" at once, reconnects on its own, and once Redis answers again it is live
and caught up with what changed meanwhile."""

import time

import pytest
from playwright.sync_api import expect

from equipment import services as equipment_services
from equipment.models import Equipment
from interventions import services as interventions
from ondijon import roles
from supervision.models import WallScreen
from supervision.wall import state as wall
from tests.conftest import free_port
from tests.e2e.test_login import log_in
from tests.e2e.test_wall import Daphne, open_wall
from tests.instances import own_redis

HEARTBEAT_SECONDS = 1


@pytest.fixture
def kiosk_wall(transactional_db, make_user, streetlight):
    """The main screen (every panel) and its kiosk account."""
    WallScreen.objects.get_or_create(
        slug="main", defaults={"name": "Main wall", "panels": WallScreen.Panel.values}
    )
    make_user(roles.WALL_DISPLAY, username="kiosk")
    return streetlight


@pytest.fixture
def frozen_redis_server(transactional_db):
    """A daphne whose channel layer is a Redis of the test's own, which the test may freeze.
    The test process publishes elsewhere: its changes reach the page only through the log."""
    with own_redis() as redis:
        server = Daphne(
            free_port(),
            {
                "REDIS_URL": redis.url,
                "CHANNEL_PREFIX": "e2e-recovery",
                "WALL_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
                # The server holds its silent sockets open longer than the test looks: what
                # makes the page leave "live" and reconnect is its own watchdog.
                "WALL_RECOVERY_SECONDS": "60",
            },
        )
        server.start()
        yield server, redis
        if server.process.poll() is None:
            server.stop()


def live_and_caught_up(page, indicator: str, since: float, label: str) -> float:
    """Wait until the page is live at the log's last number; print and return how long after
    `since` (monotonic) that was. Polled from here: the pages' CSP forbids the string
    predicates page.wait_for_function would evaluate."""
    last = wall.last_seq()
    deadline = time.monotonic() + 30
    shown = f"[document.querySelector('{indicator}').dataset.state, document.body.dataset.lastSeq]"
    while page.evaluate(shown) != ["live", str(last)]:
        assert time.monotonic() < deadline, f"{label} not live at {last}: {page.evaluate(shown)}"
        time.sleep(0.05)
    took = time.monotonic() - since
    print(f"\n{label}: live and caught up {took:.2f} s after Redis answered again")
    return took


def test_a_wall_whose_heartbeats_stop_leaves_live_reconnects_and_catches_up(
    frozen_redis_server, page, kiosk_wall, screenshot
):
    server, redis = frozen_redis_server
    open_wall(page, server.url)
    indicator = page.locator("#wall-connection")

    with redis.paused():
        expect(indicator).not_to_have_attribute("data-state", "live", timeout=8000)
        expect(indicator).not_to_contain_text("Live")
        streetlight = Equipment.objects.get(pk=kiosk_wall.pk)
        equipment_services.update_equipment(streetlight, {"status": "fault"})
        screenshot("frozen")
        time.sleep(3 * HEARTBEAT_SECONDS)  # several reconnections meet the frozen Redis
        expect(indicator).not_to_have_attribute("data-state", "live")
    resumed = time.monotonic()

    live_and_caught_up(page, "#wall-connection", resumed, "wall")
    key = str(kiosk_wall.pk)
    assert page.evaluate(f"window.ondijonWall.state.equipment['{key}'][2]") == "fault"
    expect(indicator).to_have_text("Live")
    screenshot("caught-up")


def test_the_dispatch_desk_whose_heartbeats_stop_leaves_live_reconnects_and_catches_up(
    frozen_redis_server, page, make_user, screenshot
):
    server, redis = frozen_redis_server
    make_user(roles.DISPATCHER, username="dora")
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, server.url, "dora")
    page.goto(f"{server.url}/dispatch/")
    indicator = page.locator("#stream-connection")
    expect(indicator).to_have_attribute("data-state", "live", timeout=10000)

    with redis.paused():
        expect(indicator).not_to_have_attribute("data-state", "live", timeout=8000)
        screenshot("frozen")
        interventions.create_intervention(
            {
                "title": "Fallen tree, rue de la Liberté",
                "category": "public_order",
                "service": "police",
                "priority": 2,
                "latitude": 47.3221,
                "longitude": 5.0412,
                "address": "Rue de la Liberté",
            }
        )
    resumed = time.monotonic()

    live_and_caught_up(page, "#stream-connection", resumed, "dispatch desk")
    expect(page.locator("#open-interventions li")).to_contain_text("Fallen tree")
    screenshot("caught-up")

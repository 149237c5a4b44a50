"""The wall in the machine's Chromium: live marker changes, and replay after a daphne restart."""

import json
import os
import re
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from equipment import services as equipment_services
from equipment.models import Equipment
from interventions.models import Team
from interventions.services import delete_team, report_team_position
from ondijon import bus, roles
from supervision.models import WallScreen
from supervision.wall import state as wall
from tests.conftest import (
    ARTIFACTS,
    ROOT,
    die_with_parent,
    free_port,
    in_default_language,
    port_open,
    stop_daphne,
)
from tests.e2e.api import api_patch, api_post

APP = "ondijon.asgi:application"
PASSWORD = "correct horse battery staple"
FAULT_RED = [255, 59, 48]  # STATUS_COLOURS.fault in wall.js


def daphne_env() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ondijon.settings", "DEBUG": "true"}
    db = connection.settings_dict
    if settings.DATABASE_IS_POSTGRES:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    return env


class Daphne:
    """A daphne process on a fixed port that a test can stop and start again."""

    def __init__(self, port: int, environment: dict[str, str] | None = None) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process = None
        self.environment = environment or {}  # settings of this process, over daphne_env()

    def start(self) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        log_path = ARTIFACTS / f"daphne-{self.port}.log"
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), APP],
                env={**daphne_env(), **self.environment},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        deadline = time.monotonic() + 90  # shared, busy machines
        while not port_open("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"daphne did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        stop_daphne(self.process)


@pytest.fixture
def daphne(transactional_db):
    servers = []

    def start() -> Daphne:
        server = Daphne(free_port())
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        if server.process.poll() is None:
            server.stop()


@pytest.fixture
def wall_city(transactional_db, make_user, streetlight):
    WallScreen.objects.get_or_create(
        slug="main",
        defaults={
            "name": "Main wall",
            "panels": ["map", "alerts", "interventions", "health", "figures"],
            "map_layers": ["districts", "equipment", "teams", "interventions", "alerts"],
            "zoom": 15,
            "center_latitude": streetlight.latitude,
            "center_longitude": streetlight.longitude,
        },
    )
    make_user(roles.WALL_DISPLAY, username="kiosk")
    admin = make_user(roles.ADMINISTRATOR, username="ada")
    return {"streetlight": streetlight, "token": Token.objects.create(user=admin).key}


def open_wall(page, base_url: str) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{base_url}/wall/main/")
    page.fill("#id_username", "kiosk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=15000)
    expect(page.locator("#wall-connection[data-state=live]")).to_be_attached(timeout=10000)


def browser_state(page) -> dict:
    return page.evaluate(
        "() => { const s = window.ondijonWall.state; return JSON.parse(JSON.stringify("
        "{seq: s.seq, equipment: s.equipment, team: s.team, intervention: s.intervention,"
        " alert: s.alert, market: s.market, priority: s.priority, command: s.command,"
        " district: s.district, calls: s.calls, commands: s.commands, mode: s.mode,"
        " flood: s.flood, failover: s.failover})); }"
    )


def test_status_change_through_the_api_shows_on_the_map_within_a_second(
    daphne, page, wall_city, screenshot
):
    server = daphne()
    open_wall(page, server.url)
    key = str(wall_city["streetlight"].pk)
    assert page.evaluate(f"window.ondijonWall.equipmentPixel('{key}')") != FAULT_RED
    screenshot("before")

    api_patch(server.url, wall_city["token"], f"/api/v1/equipment/{key}/", {"status": "fault"})
    returned = time.monotonic()
    page.wait_for_function(
        f"() => JSON.stringify(window.ondijonWall.equipmentPixel('{key}')) === '{json.dumps(FAULT_RED, separators=(',', ':'))}'",
        timeout=1000,
        polling="raf",
    )
    assert time.monotonic() - returned < 1.0
    assert int(page.evaluate("document.body.dataset.lastSeq")) == wall.last_seq()
    screenshot("after-fault")


# The canvas's pixels as drawn so far, then as a whole drawing makes them: [so far, whole].
DRAWN_THEN_WHOLE = """() => {
  const layer = window.ondijonWall.equipmentLayer;
  const digest = () => {
    const data = layer._canvas.getContext("2d").getImageData(0, 0, layer._canvas.width, layer._canvas.height).data;
    let h = 0, drawn = 0;
    for (let i = 0; i < data.length; i++) { h = (Math.imul(h, 31) + data[i]) | 0; if (data[i]) drawn++; }
    return [h, drawn];
  };
  const before = digest();
  layer.draw();
  return [before, digest()];
}"""


def test_a_change_redraws_its_neighbours_as_a_whole_drawing_would(
    daphne, page, wall_city, make_equipment
):
    """Between two paints the wall draws again only the squares around the devices that
    changed (a storm changes a few of 34,000): overlapping neighbours, a fault growing over
    them and shrinking back, the pixels are those of a whole drawing at every step."""
    lamp = wall_city["streetlight"]
    for n, (dlat, dlon) in enumerate([(0, 0.0001), (0.0001, 0), (0.0001, 0.0002), (0, -0.0001)]):
        make_equipment(
            f"SL-NEAR-{n}",
            Equipment.Kind.STREETLIGHT,
            latitude=lamp.latitude + dlat,
            longitude=lamp.longitude + dlon,
        )
    server = daphne()
    open_wall(page, server.url)
    key = str(lamp.pk)
    for status in ["fault", "degraded", "offline", "ok"]:
        api_patch(server.url, wall_city["token"], f"/api/v1/equipment/{key}/", {"status": status})
        page.wait_for_function(
            f"() => window.ondijonWall.state.equipment['{key}'][2] === '{status}'", timeout=2000
        )
        page.evaluate(
            "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
        )
        drawn, whole = page.evaluate(DRAWN_THEN_WHOLE)
        assert whole[1] > 0, "nothing drawn on the canvas"
        assert drawn == whole, status


def test_wall_draws_the_city_from_the_snapshot_in_columns(daphne, page, wall_city, district):
    """The snapshot sends the equipment in columns (ids as steps, kinds and statuses as
    indexes, microdegrees from a corner, codes one a line): the screen keeps exactly the rows
    the server does, and puts each device where Leaflet puts its coordinates."""
    made = [wall_city["streetlight"]]
    for n, (kind, status, lat, lon) in enumerate(
        [
            ("bollard", "fault", 47.3231005, 5.0422995),
            ("bus", "offline", 47.32114449999, 5.04025500001),
            ("camera", "degraded", 47.3209, 5.0431),
        ]
    ):
        made.append(
            Equipment.objects.create(
                code=f"COL-{n}",
                kind=kind,
                status=status,
                district=district,
                latitude=lat,
                longitude=lon,
            )
        )
    Equipment.objects.filter(pk=made[2].pk).delete()  # a gap in the ids
    server = daphne()
    open_wall(page, server.url)
    assert browser_state(page) == json.loads(json.dumps(wall.build_snapshot()))
    fault = made[1]
    at = page.evaluate(f"() => window.ondijonWall.equipmentLayer.pointOf('{fault.pk}')")
    leaflet = page.evaluate(
        "([lat, lon]) => { const map = window.ondijonWall.equipmentLayer._map;"
        " const p = map.latLngToContainerPoint([lat, lon]); return [Math.round(p.x), Math.round(p.y)]; }",
        [fault.latitude, fault.longitude],
    )
    assert at == leaflet
    assert page.evaluate(f"window.ondijonWall.equipmentPixel('{fault.pk}')") == FAULT_RED


def test_screen_replays_what_happened_while_daphne_was_down(daphne, page, wall_city, screenshot):
    server = daphne()
    disbanded = Team.objects.create(call_sign="PM-08", service="police")
    open_wall(page, server.url)
    team = Team.objects.create(call_sign="PM-07", service="police", latitude=47.32, longitude=5.04)

    server.stop()
    expect(page.locator("#wall-connection[data-state=offline]")).to_be_attached(timeout=5000)
    streetlight = Equipment.objects.get(pk=wall_city["streetlight"].pk)
    equipment_services.update_equipment(streetlight, {"status": "fault"})
    equipment_services.update_district(streetlight.district, {"name": "Centre-ville"})
    delete_team(disbanded)
    report_team_position(team, 47.33, 5.05)
    bus.emit(
        "city.mode_changed",
        subject_type="city_mode",
        payload={
            "mode": {
                "code": "flood",
                "name": "Flood",
                "banner": "Flood plan active",
                "hotline_24_7": False,
            }
        },
    )
    screenshot("offline")

    server.start()  # same port: the screen's backoff finds it again
    expect(page.locator("#wall-connection[data-state=live]")).to_be_attached(timeout=20000)
    page.wait_for_function(f"() => Number(document.body.dataset.lastSeq) === {wall.last_seq()}")
    expected = json.loads(json.dumps(wall.build_snapshot()))
    assert browser_state(page) == expected
    expect(page.locator("#wall-banner")).to_have_text("Flood plan active")
    expect(page.locator("#health-districts")).to_contain_text("Centre-ville")
    screenshot("replayed")


def test_screen_shows_data_stale_warning_when_updates_stop(daphne, page, wall_city, screenshot):
    server = daphne()
    open_wall(page, server.url)
    expect(page.locator("#wall-stale")).to_be_hidden()
    server.stop()
    page.clock.install()
    page.clock.fast_forward(60_000)
    expect(page.locator("#wall-stale")).to_contain_text("Data stale since", timeout=5000)
    screenshot("stale")


@pytest.mark.redis
def test_event_from_one_daphne_reaches_a_screen_on_another(daphne, page, wall_city):
    """Two daphne processes share Redis: a change made through one reaches screens on the other."""
    screens, api = daphne(), daphne()
    open_wall(page, screens.url)
    key = str(wall_city["streetlight"].pk)
    api_patch(api.url, wall_city["token"], f"/api/v1/equipment/{key}/", {"status": "offline"})
    page.wait_for_function(
        f"() => window.ondijonWall.state.equipment['{key}'][2] === 'offline'", timeout=2000
    )
    assert int(page.evaluate("document.body.dataset.lastSeq")) == wall.last_seq()


MARKER_WIDTH = """(key) => {
  const layer = window.ondijonWall.equipmentLayer;
  const [x, y] = layer.pointOf(key);
  const row = layer._canvas.getContext("2d").getImageData(x - 20, y, 41, 1).data;
  let drawn = 0;
  for (let i = 3; i < row.length; i += 4) if (row[i] > 0) drawn += 1;
  return drawn;
}"""


def test_markers_grow_on_a_4k_wall(daphne, page, wall_city, screenshot):
    """Read from the same distance, a 3840x2160 wall needs markers twice as large."""
    server = daphne()
    open_wall(page, server.url)
    key = str(wall_city["streetlight"].pk)
    full_hd = page.evaluate(MARKER_WIDTH, key)
    assert full_hd >= 2

    page.set_viewport_size({"width": 3840, "height": 2160})
    page.wait_for_function(f"() => ({MARKER_WIDTH})('{key}') >= {2 * full_hd}", timeout=5000)
    screenshot("4k")


@pytest.fixture
def market_city(wall_city, make_equipment):
    from django.utils import timezone as tz

    from equipment.models import Site
    from equipment.tokens import issue_token
    from supervision import traffic as priority

    streetlight = wall_city["streetlight"]
    WallScreen.objects.filter(slug="main").update(
        panels=["map", "alerts", "interventions", "health", "figures", "markets"],
        map_layers=["districts", "equipment", "markets", "priority"],
    )
    market = Site.objects.create(
        code="halles",
        name="Les Halles",
        kind=Site.Kind.MARKET,
        district=streetlight.district,
        latitude=streetlight.latitude + 0.001,
        longitude=streetlight.longitude,
        capacity=100,
    )
    gates = [
        make_equipment(
            f"MG-{n}",
            "market_gate",
            {"in": 0, "out": 0, "display": "open"},
            site=market,
            latitude=market.latitude,
            longitude=market.longitude + n / 2000,
            last_seen_at=tz.now(),
        )
        for n in (1, 2)
    ]
    junction = make_equipment(
        "TS-1",
        "traffic_signal",
        {"mode": "normal", "plan": 1},
        latitude=streetlight.latitude - 0.001,
        longitude=streetlight.longitude,
    )
    _, key = issue_token("market gates", equipment=gates)
    return {
        **wall_city,
        "market": market,
        "junction": junction,
        "gate_key": key,
        "priority": priority,
    }


def test_market_gate_counts_show_on_the_markets_panel_within_a_second(
    daphne, page, market_city, screenshot
):
    from django.utils import timezone as tz

    server = daphne()
    open_wall(page, server.url)
    market = market_city["market"]
    row = page.locator(f"#market-list li[data-market='{market.pk}']")
    expect(row.locator(".occupancy")).to_have_text("0 / 100")
    expect(row).to_have_attribute("data-full", "false")
    screenshot("markets-before")

    def count(entered: int, left: int) -> float:
        body = {
            "readings": [
                {
                    "device": "MG-1",
                    "time": tz.now().isoformat(),
                    "metrics": {"in": entered, "out": left},
                }
            ]
        }
        assert (
            api_post(server.url, market_city["gate_key"], "/api/v1/telemetry/", body)["accepted"]
            == 1
        )
        return time.monotonic()

    returned = count(60, 3)
    row.locator(".occupancy", has_text="57 / 100").wait_for(timeout=1000)
    assert time.monotonic() - returned < 1.0
    marker = page.locator(f".market-marker[data-market='{market.pk}']")
    expect(marker.locator(".share")).to_have_text("57%")
    screenshot("markets-57")

    returned = count(130, 20)  # 110 inside a market for 100: full
    page.wait_for_function(
        f"() => document.querySelector(\"#market-list li[data-market='{market.pk}']\")"
        "?.dataset.full === 'true'",
        timeout=1000,
        polling="raf",
    )
    assert time.monotonic() - returned < 1.0
    expect(row.locator(".occupancy")).to_have_text("110 / 100")
    expect(row.locator(".state")).to_have_text("FULL")
    expect(marker.locator(".share")).to_have_text("110% FULL")
    page.wait_for_function(f"() => Number(document.body.dataset.lastSeq) >= {wall.last_seq()}")
    screenshot("markets-full")


def test_junction_holding_priority_flashes_on_the_map_until_released(
    daphne, page, market_city, screenshot
):
    """Priority is requested by the periodic job (here: this process), so the screen learns it
    from the log when its socket checks for missed events (every WALL_HEARTBEAT_SECONDS)."""
    priority = market_city["priority"]
    server = daphne()
    open_wall(page, server.url)
    marker = page.locator(".priority-marker[data-junction='TS-1']")
    expect(marker).to_have_count(0)
    within = (settings.WALL_HEARTBEAT_SECONDS + 5) * 1000

    wanted = priority.Wanted(market_city["junction"], "south", 120.0)
    priority.request_priority("emergency", "POL-01", wanted, "Emergency vehicle POL-01")
    expect(marker).to_be_visible(timeout=within)
    expect(marker.locator(".code")).to_have_text("POL-01")
    animation = marker.locator(".ring").evaluate("e => getComputedStyle(e).animationName")
    assert animation == "priority-flash"
    screenshot("priority-held")

    from supervision.models import PriorityRequest

    request = PriorityRequest.objects.select_related("junction").get(released_at__isnull=True)
    priority.release_priority(request, "passed")
    expect(marker).to_have_count(0, timeout=within)
    page.wait_for_function(f"() => Number(document.body.dataset.lastSeq) === {wall.last_seq()}")
    fresh = json.loads(json.dumps(wall.build_snapshot()))
    on_screen = page.evaluate(
        "() => JSON.parse(JSON.stringify({market: window.ondijonWall.state.market,"
        " priority: window.ondijonWall.state.priority}))"
    )
    assert on_screen == {"market": fresh["market"], "priority": {}}
    screenshot("priority-released")


@pytest.fixture
def devices_answer_in_two_seconds(monkeypatch):
    """The demo's simulated devices (run by daphne, or by the Celery worker on Redis) answer
    each command two seconds after it is sent, and none refuses: the wall shows it in flight
    first, then acknowledged. Set before the servers start, which read it from their env."""
    monkeypatch.setenv("COMMAND_ADAPTER", "ondijon.demo.devices.SimulatedAdapter")
    monkeypatch.setenv("COMMAND_SIMULATOR_FAILURE_RATE", "0")
    monkeypatch.setenv("COMMAND_SIMULATOR_MIN_DELAY_S", "2")
    monkeypatch.setenv("COMMAND_SIMULATOR_MAX_DELAY_S", "2")


@pytest.fixture
def command_city(wall_city, make_equipment, devices_answer_in_two_seconds, background_worker):
    WallScreen.objects.filter(slug="main").update(
        panels=["map", "alerts", "interventions", "health", "figures", "commands"]
    )
    bollard = make_equipment("BO-9", "bollard", {"position": "lowered"}, status="offline")
    return {**wall_city, "offline_bollard": bollard}


def test_command_requested_shows_on_the_commands_panel_then_its_acknowledgement_counts(
    daphne, page, command_city, screenshot
):
    import urllib.error

    server = daphne()
    open_wall(page, server.url)
    in_flight, acknowledged = page.locator("#cmd-in-flight"), page.locator("#cmd-acknowledged")
    expect(in_flight).to_have_text("0")
    expect(acknowledged).to_have_text("0")
    expect(page.locator("#command-list")).to_have_text("No command in flight")

    light, token = command_city["streetlight"], command_city["token"]
    body = {"equipment": light.code, "action": "dim", "params": {"level": 40}, "reason": "Saving"}
    command = api_post(server.url, token, "/api/v1/commands/", body)
    returned = time.monotonic()
    row = page.locator(f"#command-list li[data-command='{command['id']}']")
    row.wait_for(timeout=1000)
    assert time.monotonic() - returned < 1.0
    expect(in_flight).to_have_text("1")
    expect(row.locator(".action")).to_have_text("dim")
    expect(row.locator(".code")).to_have_text(light.code)
    expect(row).to_have_attribute("data-status", re.compile("^(requested|sent)$"))
    screenshot("command-in-flight")

    expect(acknowledged).to_have_text("1", timeout=10000)  # the device answers after 2 s
    expect(in_flight).to_have_text("0")
    expect(row).to_have_count(0)
    expect(page.locator("#command-counts")).to_have_attribute("data-failed", "false")

    # A command to an offline device fails at once: counted and named, drawn in red.
    bollard = command_city["offline_bollard"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        body = {"equipment": bollard.code, "action": "raise", "reason": "Market closed"}
        api_post(server.url, token, "/api/v1/commands/", body)
    assert refused.value.code == 409
    expect(page.locator("#cmd-failed")).to_have_text("1", timeout=1000)
    expect(page.locator("#command-counts")).to_have_attribute("data-failed", "true")
    failed = page.locator("#command-list li[data-status='failed']")
    expect(failed.locator(".code")).to_have_text(bollard.code)
    # Written by the server with no request: in the platform's default language.
    offline = in_default_language(
        "%(code)s is offline (%(seen)s); the command was not sent.",
        code=bollard.code,
        seen=in_default_language("never seen"),
    )
    assert failed.get_attribute("title") == offline
    colour = failed.locator(".code").evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(255, 107, 94)"

    page.wait_for_function(f"() => Number(document.body.dataset.lastSeq) === {wall.last_seq()}")
    fresh = json.loads(json.dumps(wall.build_snapshot()))
    on_screen = page.evaluate(
        "() => JSON.parse(JSON.stringify({command: window.ondijonWall.state.command,"
        " commands: window.ondijonWall.state.commands}))"
    )
    assert on_screen == {"command": fresh["command"], "commands": fresh["commands"]}
    assert (fresh["commands"]["acknowledged"], fresh["commands"]["failed"]) == (1, 1)
    screenshot("command-acknowledged-and-one-failed")

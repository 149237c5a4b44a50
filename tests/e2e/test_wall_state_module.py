"""The wall's pure state module in the machine's Chromium, against the same JSON cases as the
Python twin (tests/supervision/test_wall_frames.py): a rule or a key changed on one side only
fails here or there. And the wall page itself: module scripts under its script policy, its
clock in the time zone of the settings whatever the kiosk's own."""

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from ondijon import roles
from supervision.models import WallScreen

CASES = json.loads((Path(__file__).parent.parent / "supervision" / "wall_frames.json").read_text())[
    "cases"
]
STATE_MODULE = "/static/supervision/wall-state.js"
PASSWORD = "correct horse battery staple"

# Runs one case in the page: the module as the wall loads it, counters kept frame by frame
# (as the wall keeps them) and counted afresh, and what each panel derives.
RUN_CASE = """async ([url, testCase]) => {
  const wall = await import(url);
  const state = wall.stateOf(structuredClone(testCase.start));
  const counters = wall.countersOf(state);
  const observe = (type, key, before, after) => wall.countChange(counters, type, before, after);
  let error = null;
  testCase.frames.forEach((frame, at) => {
    if (error) return;
    try { wall.applyFrame(state, structuredClone(frame), observe); }
    catch (thrown) { error = { at, outOfOrder: thrown instanceof wall.FrameOutOfOrder, message: String(thrown) }; }
  });
  const fresh = wall.countersOf(state);
  const panels = (testCase.panels || []).map(({ given }) => ({
    figures: wall.figures(state, given.today),
    commandCounts: wall.commandCounts(state, counters, given.today),
    commandRows: wall.commandRows(state, given.today).map((row) => row.id),
    alertQueue: wall.alertQueue(state).map((alert) => alert.id),
    interventionBoard: wall.interventionBoard(state).map((item) => item.id),
    markets: wall.marketList(state, given.locale).map((market) => market.name),
    kindShares: wall.kindShares(counters.health, given.kinds),
    districtShares: wall.districtShares(counters.health, given.districts, given.locale),
    counted_afresh: {
      kindShares: wall.kindShares(fresh.health, given.kinds),
      districtShares: wall.districtShares(fresh.health, given.districts, given.locale),
      inFlight: fresh.commandsInFlight,
    },
  }));
  return { state: JSON.parse(JSON.stringify(state)), error, panels };
}"""


@pytest.fixture
def module_page(page, live_server):
    """A page of the test server, from which the module is imported by its static URL."""
    page.goto(f"{live_server.url}/accounts/login/")
    return page


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_browser_twin_gives_the_expected_state_and_panels_of_each_shared_case(module_page, case):
    result = module_page.evaluate(RUN_CASE, [STATE_MODULE, case])
    last = len(case["frames"]) - 1
    if case.get("refused"):
        assert result["error"]["at"] == last and result["error"]["outOfOrder"], result["error"]
    else:
        assert result["error"] is None
    assert result["state"] == case["expected"]
    for expected, derived in zip(case.get("panels", []), result["panels"], strict=True):
        shown = {part: derived[part] for part in expected if part != "given"}
        assert shown == {part: value for part, value in expected.items() if part != "given"}
        afresh = derived["counted_afresh"]
        assert (
            derived["kindShares"],
            derived["districtShares"],
            derived["commandCounts"]["inFlight"],
        ) == (
            afresh["kindShares"],
            afresh["districtShares"],
            afresh["inFlight"],
        )


@pytest.mark.browser_context_args(timezone_id="America/Montreal", locale="en-CA")
def test_days_and_clocks_are_those_of_the_zone_given_never_the_kiosks(module_page):
    shown = module_page.evaluate(
        """async (url) => {
          const wall = await import(url);
          const lateEvening = new Date("2026-03-14T23:30:00Z");
          return [
            wall.localDay(lateEvening, "Europe/Paris"), wall.localDay(lateEvening, "UTC"),
            wall.clockOf("2026-03-14T23:30:00+00:00", "fr", "Europe/Paris"),
            wall.clockOf("2026-03-14T13:05:00+00:00", "en", "Europe/Paris"),
            wall.timeOf(lateEvening, "fr", "Asia/Tokyo"),
          ];
        }""",
        STATE_MODULE,
    )
    # In Paris a call at 23:30 UTC counts for the next day; the room reads a 24-hour clock.
    assert shown == ["2026-03-15", "2026-03-14", "00:30", "14:05", "08:30:00"]


@pytest.fixture
def kiosk_wall(transactional_db, make_user):
    WallScreen.objects.get_or_create(
        slug="main", defaults={"name": "Main wall", "panels": ["figures", "alerts"]}
    )
    make_user(roles.WALL_DISPLAY, username="kiosk")


CATCH_VIOLATIONS = """window.policyViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.policyViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});"""


@pytest.mark.browser_context_args(timezone_id="America/Montreal")
def test_wall_runs_its_modules_under_its_script_policy_with_the_settings_time_zone(
    page, live_server, kiosk_wall, settings
):
    settings.TIME_ZONE = "Asia/Tokyo"  # neither the kiosk's zone (Montreal) nor Paris
    page.add_init_script(CATCH_VIOLATIONS)
    page.goto(f"{live_server.url}/wall/main/")
    page.fill("#id_username", "kiosk")
    page.fill("#id_password", PASSWORD)
    with page.expect_response(f"{live_server.url}/wall/main/") as answer:
        page.click("button[type=submit]")
    assert "script-src 'self'" in answer.value.headers["content-security-policy"]
    expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=15000)

    assert page.evaluate("window.policyViolations") == []
    clock = page.locator("#wall-clock").text_content()
    now = datetime.now(UTC)
    tokyo = {
        (now + timedelta(seconds=delta)).astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
        for delta in (-2, 0, 2)
    }
    assert clock[:5] in tokyo, (clock, tokyo)
    time.sleep(1.1)  # the clock ticks: the module's timer runs too
    assert page.locator("#wall-clock").text_content() != clock

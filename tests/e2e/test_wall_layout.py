"""A wall screen without some panels gives their room to the others: no empty hole where a
panel the screen does not show would have been, whatever the administrator chose."""

import itertools

import pytest
from playwright.sync_api import expect

from ondijon import roles
from supervision.models import WallScreen
from tests.e2e.test_login import log_in

SIDE = ["alerts", "interventions", "markets", "commands"]


def boxes(page) -> dict:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll(".wall-grid [data-panel]")]
            .filter((p) => { const r = p.getBoundingClientRect(); return r.width * r.height > 0; })
            .map((p) => { const r = p.getBoundingClientRect();
              return [p.dataset.panel, {top: r.top, bottom: r.bottom, left: r.left, right: r.right}]; }))"""
    )


@pytest.mark.parametrize(
    "panels",
    [
        ["figures", "map", "interventions", "commands", "health"],  # no alerts, no markets
        ["figures", "map", "markets", "health"],  # markets alone beside the map
        ["figures", "alerts", "interventions"],  # no map: the queue takes the width
        ["map", "health"],  # the map alone
    ],
)
def test_missing_panels_leave_no_hole(asgi_server, page, make_user, streetlight, panels):
    WallScreen.objects.create(
        slug="lean",
        name="Lean wall",
        panels=panels,
        map_layers=["equipment"],
        zoom=15,
        center_latitude=streetlight.latitude,
        center_longitude=streetlight.longitude,
    )
    make_user(roles.WALL_DISPLAY, username="kiosk")
    page.set_viewport_size({"width": 1920, "height": 1080})
    log_in(page, asgi_server, "kiosk")
    page.goto(f"{asgi_server}/wall/lean/")
    expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=15000)
    shown = boxes(page)
    assert set(shown) == set(panels)  # and the others take no room at all
    grid = page.locator(".wall-grid").bounding_box()
    top = shown["figures"]["bottom"] if "figures" in shown else grid["y"]
    bottom = shown["health"]["top"] if "health" in shown else grid["y"] + grid["height"]
    side = [shown[name] for name in SIDE if name in shown]
    middle = [*side, *([shown["map"]] if "map" in shown else [])]
    gap = 12  # the grid's gap, and rounding
    # The middle band is filled from just under the figures to just above the health panel.
    assert min(b["top"] for b in middle) - top <= gap
    assert bottom - max(b["bottom"] for b in middle) <= gap
    # The side panels stack without a hole between them.
    for upper, lower in itertools.pairwise(side):
        assert lower["top"] - upper["bottom"] <= gap
    # Across: the map and the side column together take the grid's width.
    left = min(b["left"] for b in middle)
    right = max(b["right"] for b in middle)
    assert left - grid["x"] <= gap and grid["x"] + grid["width"] - right <= gap


# Labels a wall must show whole: equipment kinds and communes with their share, the commands'
# counts, the markets' names on the map and in their panel.
LABELS = ".share .name, .command-counts, .market-marker, .market-marker .name, .markets li"
CLIPPED = """(selector) => [...document.querySelectorAll(selector)]
  .filter((e) => e.getClientRects().length > 0 && e.scrollWidth > e.clientWidth + 1)
  .map((e) => e.textContent.trim())"""

# Rows a panel must show whole, not cut by its bottom edge: the first one of each list.
FITS = """(selector) => {
  const row = document.querySelector(selector);
  const panel = row.closest(".wall-panel");
  const inner = panel.getBoundingClientRect().bottom - parseFloat(getComputedStyle(panel).paddingBottom);
  const box = (row.getClientRects().length ? row : row.firstElementChild).getBoundingClientRect();
  const counts = panel.querySelector(".command-counts");
  return box.bottom > inner + 1 ? [row.textContent.trim(), box.bottom, inner, counts && counts.getClientRects().length] : [];
}"""


def test_a_french_wall_never_cuts_a_label(asgi_server, browser, make_user):
    from equipment.models import District, Equipment, Site

    commune = District.objects.create(
        code="chevigny",
        name="Chevigny-Saint-Sauveur",
        center_latitude=47.30,
        center_longitude=5.13,
    )
    market = Site.objects.create(
        code="ouche",
        name="Marché de la Fontaine d'Ouche",
        kind=Site.Kind.MARKET,
        district=commune,
        latitude=47.322,
        longitude=5.041,
        capacity=800,
    )
    for n, kind in enumerate(["streetlight", "delivery_bay", "market_gate", "water_sensor"]):
        Equipment.objects.create(
            code=f"EQ-{n}", kind=kind, district=commune, site=market, latitude=47.3, longitude=5.1
        )
    # The demo's three markets fill their panel: the commands get what the others leave.
    for code, name in [("halles", "Les Halles de Dijon"), ("chenove", "Marché de Chenôve")]:
        other = Site.objects.create(
            code=code,
            name=name,
            kind=Site.Kind.MARKET,
            district=commune,
            latitude=47.32,
            longitude=5.04,
            capacity=600,
        )
        Equipment.objects.create(
            code=f"GATE-{code}",
            kind="market_gate",
            district=commune,
            site=other,
            latitude=47.32,
            longitude=5.04,
        )
    WallScreen.objects.create(
        slug="full",
        name="Mur principal",
        panels=[p for p in WallScreen.Panel.values if p != "video"],
        map_layers=["markets"],
        zoom=15,
        center_latitude=47.322,
        center_longitude=5.041,
    )
    make_user(roles.WALL_DISPLAY, username="kiosk")
    context = browser.new_context(locale="fr-FR", viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    log_in(page, asgi_server, "kiosk")
    page.goto(f"{asgi_server}/wall/full/")
    expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=15000)
    ouche = page.locator(".market-marker .name").filter(has_text="Ouche")
    expect(ouche).to_have_text("Marché de la Fontaine d'Ouche")
    expect(page.locator("#health-districts")).to_contain_text("Chevigny-Saint-Sauveur")
    expect(page.locator("#command-counts")).to_contain_text("aujourd'hui")
    assert page.evaluate(CLIPPED, LABELS) == []
    # The commands panel shows its first row whole below its counts (on two lines in French).
    expect(page.locator("#command-list")).to_have_text("Aucune commande en cours")
    assert page.evaluate(FITS, "#command-list li") == []
    context.close()

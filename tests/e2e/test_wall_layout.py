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

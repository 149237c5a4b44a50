"""The wall in an alarm flood: the alert panel switches to the flood view (groups by cause,
district and kind, the most severe first) and back, and a storm's markers aggregate by area."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from supervision.alerts import flood, services
from tests.e2e.test_wall import daphne as daphne  # the fixtures, reused here
from tests.e2e.test_wall import open_wall
from tests.e2e.test_wall import wall_city as wall_city

STORM = 160  # past AGGREGATE_ALERTS_FROM (wall-state.js): one marker per small area


def test_a_storm_floods_the_wall_its_markers_aggregate_and_the_flood_ends(
    daphne, page, wall_city, settings, screenshot
):
    lamp = wall_city["streetlight"]
    for n in range(STORM):
        services.raise_alert(
            {
                "title": f"Streetlight silent: SL-{n}",
                "source": "operator",
                "category": "lighting",
                "severity": 4 if n == 7 else 2,
                "equipment": lamp,
                "latitude": lamp.latitude + (n % 16) * 0.002,
                "longitude": lamp.longitude + (n // 16) * 0.003,
            }
        )
    settings.ALARM_FLOOD_THRESHOLD = 10
    assert flood.check_flood() is True
    server = daphne()
    open_wall(page, server.url)
    panel = page.locator(".wall-alerts")
    expect(panel).to_have_attribute("data-flood", "true")
    expect(page.locator("#alert-flood")).to_be_visible()
    (group,) = page.locator("#alert-queue li.flood-group").all()
    expect(group).to_have_attribute("data-total", str(STORM))
    expect(group).to_have_attribute("data-highest", "4")
    expect(group.locator(".title")).to_contain_text("lighting")
    # A handful of area markers carry the whole storm, none of them one alert.
    areas = page.locator(".alert-area")
    expect(areas.first).to_be_attached()
    counts = [int(n) for n in areas.evaluate_all("(all) => all.map((a) => a.dataset.count)")]
    assert sum(counts) == STORM and len(counts) < STORM / 4
    assert page.locator(".alert-marker:not(.alert-area)").count() == 0
    screenshot("wall-flood")
    # Ten minutes later nothing new came: the flood ends; the screen, dropped and replaying
    # from its last number, shows the alerts one by one again.
    assert flood.check_flood(timezone.now() + timedelta(minutes=11)) is False
    page.evaluate("window.ondijonWall.drop()")
    expect(panel).to_have_attribute("data-flood", "false", timeout=10000)
    expect(page.locator("#alert-flood")).to_be_hidden()
    expect(page.locator("#alert-more")).to_be_attached()


def test_past_the_whole_alerts_the_wall_counts_and_draws_them_all_and_lists_the_next(
    daphne, page, wall_city
):
    """The snapshot sends the panel's first WALL_FULL_ALERTS alerts whole and the others as
    columns: the counts, the "+N more" and the area markers still hold every alert, and once
    the whole ones are worked the panel lists the next ones, titles and all."""
    from supervision.wall.state import WALL_FULL_ALERTS

    lamp = wall_city["streetlight"]
    extra = 15
    alerts = []
    for n in range(WALL_FULL_ALERTS + extra):
        # The oldest are the least severe: they come as columns; half of them at their
        # lamp's position (null in the columns), half elsewhere.
        at_lamp = n % 2 == 0
        alerts.append(
            services.raise_alert(
                {
                    "title": f"Streetlight silent: SL-{n}",
                    "source": "operator",
                    "category": "lighting",
                    "severity": 1 if n < extra else 3,
                    "equipment": lamp,
                    "latitude": lamp.latitude if at_lamp else lamp.latitude + (n % 9) * 0.002,
                    "longitude": lamp.longitude if at_lamp else lamp.longitude + 0.003,
                }
            )
        )
    server = daphne()
    open_wall(page, server.url)
    counts = page.locator("#alert-counts")
    expect(counts.locator("li[data-severity='3']")).to_have_attribute(
        "data-count", str(WALL_FULL_ALERTS)
    )
    expect(counts.locator("li[data-severity='1']")).to_have_attribute("data-count", str(extra))
    expect(page.locator("#alert-more")).to_have_attribute(
        "data-more", str(WALL_FULL_ALERTS + extra - 14)
    )
    areas = page.locator(".alert-area")
    expect(areas.first).to_be_attached()
    drawn = areas.evaluate_all("(all) => all.map((a) => Number(a.dataset.count))")
    assert sum(drawn) == WALL_FULL_ALERTS + extra
    # The whole ones are worked: the panel needs the next by priority, the S1 alerts.
    for alert in alerts[extra:]:
        services.resolve_alert(alert, None)
    expect(counts.locator("li[data-severity='3']")).to_have_attribute(
        "data-count", "0", timeout=20000
    )
    rows = page.locator("#alert-queue li[data-alert]")
    expect(rows).to_have_count(14, timeout=20000)
    expect(rows.first.locator(".title")).to_have_text(re.compile(r"Streetlight silent: SL-\d+"))
    titles = rows.locator(".title").all_inner_texts()
    assert all(title.startswith("Streetlight silent: SL-") for title in titles), titles

"""One cause, one row, in the machine's Chromium: the wall's alert panel counts by severity and
says how many rows it leaves out, a grouped alert is neither a row nor a marker, only the most
severe alerts pulse; the desk lists the parent with its children's count, not the children."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from ondijon import roles
from supervision.alerts import services
from supervision.alerts.rules import run_checks
from supervision.models import Alert, AlertRule
from supervision.wall import state as wall
from tests.e2e.test_login import log_in
from tests.e2e.test_wall import open_wall, wall_city  # noqa: F401 (fixture)

QUEUE_ROWS = 14  # wall-state.js


def test_wall_and_desk_show_one_row_per_cause(
    asgi_server,
    page,
    wall_city,  # noqa: F811
    make_equipment,
    make_user,
    screenshot,
):
    leaks = [
        services.raise_alert(
            {"title": f"Leak {n}", "source": "operator", "category": "water", "severity": 4}
        )
        for n in range(QUEUE_ROWS + 3)
    ]
    operator = make_user(roles.OPERATOR, username="olga")
    services.shelve_alert(leaks[0], operator, 600, "Crew on site")  # listed apart
    long_ago = timezone.now() - timedelta(hours=2)
    cabinet = make_equipment("LC-0412", "lighting_cabinet", last_seen_at=long_ago)
    for n in range(3):
        make_equipment(f"SL-G{n}", "streetlight", parent=cabinet, last_seen_at=long_ago)
    for kind in ("lighting_cabinet", "streetlight"):
        AlertRule.objects.create(
            name=f"{kind} silent",
            kind="absence",
            equipment_kind=kind,
            duration_seconds=1800,
            clear_after_seconds=0,
            severity=2,
            category="lighting",
        )
    run_checks()
    parent = Alert.objects.get(equipment=cabinet)
    child = parent.children.first()

    open_wall(page, asgi_server)
    counts = page.locator("#alert-counts")
    expect(counts.locator('li[data-severity="4"]')).to_have_attribute(
        "data-count", str(QUEUE_ROWS + 2)
    )
    expect(counts.locator('li[data-severity="2"]')).to_have_attribute("data-count", "1")
    expect(page.locator("#alert-more")).to_have_attribute("data-more", "3")
    expect(page.locator("#wall-map")).to_have_attribute("data-top-severity", "4")
    assert page.locator(f'#alert-queue li[data-alert="{child.pk}"]').count() == 0
    assert page.locator(f'#alert-queue li[data-alert="{leaks[0].pk}"]').count() == 0
    shown = page.evaluate("() => Object.keys(window.ondijonWall.state.alert).length")
    assert shown == QUEUE_ROWS + 3 + 1 + 3  # the state holds all; the panel one per cause
    screenshot("wall-counts")

    desk = page.context.browser.new_page()
    log_in(desk, asgi_server, "olga")
    desk.goto(f"{asgi_server}/alerts/?alert={parent.pk}")
    expect(desk.locator("#desk-connection[data-state=live]")).to_be_attached(timeout=10000)
    row = desk.locator(f'#alert-queue li[data-alert="{parent.pk}"]')
    expect(row.locator(".children")).to_have_attribute("data-children", "3")
    assert desk.locator(f'#alert-queue li[data-alert="{child.pk}"]').count() == 0
    expect(desk.locator("#detail-children li")).to_have_count(3)
    # A child that changes while the desk is open stays under its parent (alerts.js).
    services.update_alert(child, {"severity": 5})
    seq = wall.last_seq()
    desk.wait_for_function(f"() => Number(document.body.dataset.lastSeq) >= {seq}")
    assert desk.locator(f'#alert-queue li[data-alert="{child.pk}"]').count() == 0
    # The queue was drawn again by alerts.js from the snapshots: the parent keeps its count.
    expect(row.locator(".children")).to_have_attribute("data-children", "3")
    assert desk.locator(f'#alert-queue li[data-alert="{leaks[0].pk}"]').count() == 0
    desk.close()

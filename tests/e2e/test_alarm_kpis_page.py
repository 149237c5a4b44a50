"""The supervisor reads the room's alarm load against ISA-18.2's targets, in the browser."""

import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from ondijon import roles
from supervision.alerts import services

from .test_login import log_in


def test_supervisor_follows_the_bar_to_the_alarm_kpis_and_exports_them(
    asgi_server, page, make_user
):
    for title in ("Pressure drop: WS-1", "Pressure drop: WS-2", "Flashing amber: TS-1"):
        services.raise_alert({"title": title, "source": "operator", "category": "water"})
    make_user(roles.SUPERVISOR, username="sophie")
    log_in(page, asgi_server, "sophie")
    expect(page).not_to_have_url(re.compile("/accounts/login/"))
    page.click("header.topbar nav.desks a[href='/alerts/kpis/']")
    expect(page.locator("#kpi-alarms strong")).to_have_text("3")
    # 3 alarms in 24 hours for one position: well within "very likely acceptable".
    expect(page.locator("#kpi-average")).to_have_attribute("data-verdict", "acceptable")
    expect(page.locator("#chart-hour svg rect")).to_have_count(24)
    expect(page.locator("#chart-ten svg rect")).to_have_count(144)
    # The 3 alarms in the last 10 minutes, against the flood line at 10: 3/10 of the height.
    expect(page.locator("#chart-ten svg rect.bar").last).to_have_attribute("height", "36.0")
    # A narrower period from the form, then the same figures as a spreadsheet.
    start = timezone.localtime(timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    page.fill("input[name=start]", start)
    page.fill("input[name=end]", "")  # up to now
    page.click("#kpi-period button[type=submit]")
    # Two hours and the minute begun: three slots of an hour.
    expect(page.locator("#chart-hour svg rect")).to_have_count(3)
    with page.expect_download() as download:
        page.click("#kpi-period a")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "\ufeffslot;start;alarms_per_position"
    assert sum(float(line.split(";")[2]) for line in lines if line.startswith("hour;")) == 3

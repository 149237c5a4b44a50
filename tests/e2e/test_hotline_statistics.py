"""The statistics page tells the lockdown's story with charts drawn in the page (no library)."""

from pathlib import Path

from playwright.sync_api import expect

from ondijon import roles
from ondijon.demo.hotline import seed_hotline_demo

from .test_login import log_in


def test_supervisor_sees_the_lockdown_in_charts_and_exports_csv(
    asgi_server, page, make_user, screenshot
):
    seed_hotline_demo()
    make_user(roles.SUPERVISOR, username="sophie")
    log_in(page, asgi_server, "sophie")
    page.goto(f"{asgi_server}/hotline/statistics/?start=2020-03-15&end=2020-04-13")
    expect(page.locator("#total-calls")).to_have_text("4650")
    expect(page.locator("#total-referrals")).to_have_text("95")
    # One bar per day, per hour of day; one per category.
    expect(page.locator('[data-chart="per_day"] svg rect')).to_have_count(30)
    expect(page.locator('[data-chart="per_hour"] svg rect')).to_have_count(24)
    expect(page.locator('[data-chart="per_category"] svg rect').first).to_be_visible()
    screenshot("lockdown-statistics")
    with page.expect_download() as download:
        page.click("text=CSV export")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    # French Excel reads a UTF-8 file with a BOM and ";" between columns.
    # In the browser's language (English here): a person reads the columns; days as dd/mm/yyyy.
    assert lines[0].startswith("\ufeffsection;key;calls")
    days = [line.split(";") for line in lines if line.startswith("day;")]
    assert len(days) == 30 and days[0][1] == "15/03/2020"
    assert sum(int(day[2]) for day in days) == 4650

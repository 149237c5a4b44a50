"""An operator opens a device's history and sees its metrics drawn."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from equipment.ingest import ingest
from ondijon import roles
from tests.e2e.test_login import log_in


def test_operator_sees_the_history_chart(asgi_server, page, make_user, streetlight, screenshot):
    now = datetime.now(UTC)
    ingest(
        [
            {
                "device": "SL-TEST-1",
                "time": (now - timedelta(minutes=m)).isoformat(),
                "metrics": {"power_w": 70 + m % 7, "voltage": 230 - m % 3},
            }
            for m in range(30, 0, -1)
        ]
    )
    make_user(roles.OPERATOR, username="olivier")
    log_in(page, asgi_server, "olivier")
    page.goto(f"{asgi_server}/equipment/SL-TEST-1/history/")
    expect(page.locator("#history[data-loaded=true]")).to_be_attached()
    expect(page.locator("canvas[data-metric=power_w]")).to_be_visible()
    expect(page.locator("figcaption").first).to_contain_text("(30)")
    # Something was drawn: the canvas is not blank.
    drawn = page.evaluate(
        """() => {
        const c = document.querySelector('canvas[data-metric=power_w]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return d.some((v, i) => i % 4 === 3 && v > 0);
    }"""
    )
    assert drawn
    screenshot("equipment-history")

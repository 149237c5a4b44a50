"""The alert desk in the machine's Chromium: a device reports a fault, the alert appears on the
operator's open page within a second without reload, and one click acknowledges it."""

import json
import time
import urllib.request

from django.utils import timezone
from playwright.sync_api import expect

from equipment.tokens import issue_token
from ondijon import roles
from supervision.models import Alert, AlertRule
from supervision.wall import state as wall
from tests.e2e.test_login import log_in


def report(base_url: str, key: str, readings: list[dict]) -> dict:
    request = urllib.request.Request(
        f"{base_url}/api/v1/telemetry/",
        data=json.dumps({"readings": readings}).encode(),
        method="POST",
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_alert_raised_by_telemetry_appears_live_and_is_acknowledged_by_click(
    asgi_server, page, make_user, streetlight, screenshot
):
    AlertRule.objects.create(
        name="Streetlight fault",
        kind=AlertRule.Kind.STATUS,
        equipment_kind="streetlight",
        match_text="fault",
        severity=Alert.Severity.HIGH,
        category="lighting",
        procedure="Check the feeding cabinet; if it is fine, send a lighting crew.",
        suggested_steps=[
            {"action": "send_command", "command": "on"},
            {"action": "create_intervention", "service": "lighting"},
        ],
    )
    _, key = issue_token("gateway", [streetlight])
    make_user(roles.OPERATOR, username="olga")
    page.set_viewport_size({"width": 1600, "height": 1000})
    log_in(page, asgi_server, "olga")
    page.goto(f"{asgi_server}/alerts/")
    expect(page.locator("#desk-connection[data-state=live]")).to_be_attached(timeout=10000)
    expect(page.locator("#alert-queue")).to_contain_text("No alert matches.")

    accepted = report(
        asgi_server,
        key,
        [
            {
                "device": streetlight.code,
                "time": timezone.now().isoformat(),
                "metrics": {"status": "fault"},
                "id": "e2e-1",
            }
        ],
    )
    returned = time.monotonic()
    assert accepted["accepted"] == 1
    page.wait_for_selector("#alert-queue li[data-alert]", timeout=1000)
    assert time.monotonic() - returned < 1.0
    alert = Alert.objects.get()
    row = page.locator(f'#alert-queue li[data-alert="{alert.pk}"]')
    expect(row).to_contain_text("Streetlight fault: SL-TEST-1")
    expect(row).to_have_attribute("data-status", "raised")
    expect(page.locator("#desk-announce")).to_contain_text("Streetlight fault: SL-TEST-1")
    assert int(page.evaluate("document.body.dataset.lastSeq")) == wall.last_seq()
    screenshot("raised-live")

    row.locator("a").click()
    expect(page.locator("#detail-heading")).to_contain_text("Streetlight fault: SL-TEST-1")
    expect(page.locator("#procedure")).to_contain_text("Check the feeding cabinet")
    expect(page.get_by_role("button", name="Send command on")).to_be_enabled()
    expect(page.get_by_role("button", name="Create intervention (lighting)")).to_be_enabled()
    page.get_by_role("button", name="Acknowledge").click()

    expect(page.locator("#desk-messages")).to_contain_text(f"Alert #{alert.pk} acknowledged.")
    expect(page.locator(f'#alert-queue li[data-alert="{alert.pk}"]')).to_have_attribute(
        "data-status", "acknowledged"
    )
    expect(page.get_by_role("button", name="Acknowledge")).to_be_disabled()
    expect(page.locator("#alert-history")).to_contain_text("olga")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED and alert.acknowledged_by.username == "olga"
    expect(page.locator("#desk-connection[data-state=live]")).to_be_attached(timeout=10000)
    screenshot("acknowledged")


def test_queue_follows_changes_made_elsewhere_and_keys_move_and_acknowledge(
    asgi_server, page, make_user, streetlight, screenshot
):
    """Another operator's step shows on this page; j/k move through the queue, a acknowledges."""
    from supervision.alerts import services

    first = services.raise_alert(
        {"title": "Water leak", "source": "operator", "severity": 5, "category": "water"}
    )
    second = services.raise_alert(
        {"title": "Lamp out", "source": "operator", "severity": 2, "category": "lighting"}
    )
    make_user(roles.OPERATOR, username="olga")
    other = make_user(roles.SUPERVISOR, username="sam")
    log_in(page, asgi_server, "olga")
    page.goto(f"{asgi_server}/alerts/?alert={second.pk}")
    expect(page.locator("#desk-connection[data-state=live]")).to_be_attached(timeout=10000)
    ids = page.eval_on_selector_all("#alert-queue li", "items => items.map(i => i.dataset.alert)")
    assert ids == [str(first.pk), str(second.pk)]  # most severe first

    # A change made by someone else reaches this page through the server (the API on daphne).
    request = urllib.request.Request(
        f"{asgi_server}/api/v1/alerts/{second.pk}/close/",
        data=json.dumps({"note": "Duplicate"}).encode(),
        method="POST",
        headers={"Authorization": f"Token {token_for(other)}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    expect(page.locator(f'#alert-queue li[data-alert="{second.pk}"]')).to_have_count(0)
    expect(page.locator("#detail-changed")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge")).to_be_disabled()

    page.keyboard.press("k")
    expect(page).to_have_url(f"{asgi_server}/alerts/?alert={first.pk}")
    expect(page.locator("#detail-heading")).to_contain_text("Water leak")
    # The page's script has run (it opened the socket) before the next key.
    expect(page.locator("#desk-connection[data-state=live]")).to_be_attached(timeout=10000)
    page.keyboard.press("a")
    expect(page.locator("#desk-messages")).to_contain_text(f"Alert #{first.pk} acknowledged.")
    first.refresh_from_db()
    assert first.status == Alert.Status.ACKNOWLEDGED
    screenshot("keyboard")


def token_for(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key

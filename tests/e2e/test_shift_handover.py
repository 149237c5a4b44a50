"""The handover in the browser: the outgoing supervisor ends the shift with a note, the
incoming one reads what stays open, acknowledges it and takes the room; the report prints."""

import re

from playwright.sync_api import expect

from ondijon import roles
from supervision.alerts import services as alert_services

from .test_login import log_in


def test_the_incoming_supervisor_acknowledges_the_handover_and_takes_the_room(
    asgi_server, browser, make_user
):
    make_user(roles.SUPERVISOR, username="sophie")
    make_user(roles.SUPERVISOR, username="paul")
    outgoing = browser.new_page()
    log_in(outgoing, asgi_server, "sophie")
    expect(outgoing).not_to_have_url(re.compile("/accounts/login/"))
    outgoing.click("header.topbar nav.desks a[href='/shift/']")
    outgoing.click("#shift-start button[type=submit]")
    expect(outgoing.locator("#shift-current")).to_be_visible()
    alert_services.raise_alert(
        {"title": "Pressure drop: WS-7", "source": "operator", "category": "water", "severity": 4}
    )
    outgoing.fill("#shift-end textarea", "Pressure drop WS-7: water team called, not yet there.")
    outgoing.click("#shift-end button[type=submit]")
    expect(outgoing.locator("#shift-none")).to_be_visible()
    outgoing.close()

    incoming = browser.new_page()
    log_in(incoming, asgi_server, "paul")
    expect(incoming).not_to_have_url(re.compile("/accounts/login/"))
    incoming.goto(f"{asgi_server}/shift/")
    handover = incoming.locator(".handover")
    expect(handover.locator(".handover-note")).to_have_text(
        "Pressure drop WS-7: water team called, not yet there."
    )
    expect(handover.locator("#handover-alerts b")).to_have_text("1")
    expect(handover).to_contain_text("Pressure drop: WS-7")
    # Not read, not started: the page says so and keeps the handover on screen.
    incoming.click("#shift-start button[type=submit]")
    expect(incoming.locator("#shift-messages")).to_be_visible()
    expect(incoming.locator("#shift-current")).to_have_count(0)
    incoming.check("#shift-start input[type=checkbox]")
    incoming.click("#shift-start button[type=submit]")
    expect(incoming.locator("#shift-current")).to_be_visible()
    # The new shift's log opens with the acknowledgement of the handover.
    acknowledged = incoming.locator('#shift-log tr[data-kind="shift.handover_acknowledged"]')
    expect(acknowledged).to_have_count(1)
    # The past shift's report holds its handover and its timeline, acknowledged by paul.
    incoming.click("#shift-past a:text-is('Rapport'), #shift-past a:text-is('Report')")
    expect(incoming.locator("#handover-acknowledged")).to_be_visible()
    expect(incoming.locator('#report-timeline tr[data-kind="shift.ended"]')).to_have_count(1)

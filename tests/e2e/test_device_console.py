"""An operator finds a streetlight by its code on the device console, dims it, and sees the
device's acknowledgement arrive on the page (the simulated devices answer); dims a district's
streetlights with progress, rolls them back, and plans the same action every night."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from equipment.models import Command, Equipment
from ondijon import roles
from supervision.console import schedules
from supervision.models import CommandSchedule
from tests.e2e.test_login import log_in
from tests.instances import wait_until


# A browser in another time zone still reads the city's time (Europe/Paris).
@pytest.mark.browser_context_args(timezone_id="America/New_York")
def test_operator_finds_a_streetlight_dims_it_and_sees_the_acknowledgement(
    asgi_server, background_worker, page, make_user, make_equipment, screenshot
):
    make_equipment("SL-00042", "streetlight", {"lamp": "on", "dim": 100})
    make_equipment("SL-00099", "streetlight", {"lamp": "on", "dim": 100})
    make_user(roles.OPERATOR, username="olivier")
    log_in(page, asgi_server, "olivier")
    page.click("text=Device console")
    page.wait_for_url("**/console/")  # loaded: the search script listens from here
    page.fill("#q", "sl-0004")
    expect(page.locator("#search-results tr")).to_have_count(1)
    page.click("#search-results a:has-text('SL-00042')")
    expect(page.locator("h1")).to_contain_text("SL-00042")
    page.wait_for_function("() => document.body.dataset.connection === 'live'")

    page.select_option("#command-action", "dim")
    page.fill("#param-level", "140")
    page.fill("#command-reason", "Market clean-up done")
    page.click("#command-form button[type=submit]")
    # The catalogue's check, under its field; nothing sent.
    expect(page.locator("[data-error-for='params.level']")).not_to_be_empty()
    expect(page.locator("#command-rows tr")).to_have_count(0)

    page.fill("#param-level", "30")
    page.click("#command-form button[type=submit]")
    expect(page.locator("#command-rows tr")).to_have_count(1)
    # The acknowledgement comes back from the device after the page sent the command.
    expect(page.locator("#command-rows tr[data-status=acknowledged]")).to_have_count(
        1, timeout=30000
    )
    expect(page.locator("#command-rows td[data-field=reason]")).to_have_text("Market clean-up done")
    requested = timezone.localtime(Command.objects.get().requested_at)  # Paris time
    clock = f"{requested.hour % 12 or 12}:{requested:%M:%S}"  # as English writes it
    expect(page.locator("#command-rows tr").first).to_contain_text(clock)
    assert Equipment.objects.get(code="SL-00042").state["dim"] == 30
    screenshot("device-console-acknowledged")


def test_operator_dims_a_districts_streetlights_with_progress_and_rolls_them_back(
    asgi_server, background_worker, page, make_user, make_equipment, screenshot
):
    for n in (1, 2, 3):
        make_equipment(f"SL-{n:05d}", "streetlight", {"lamp": "on", "dim": 90 + n})
    make_user(roles.OPERATOR, username="olivier")
    log_in(page, asgi_server, "olivier")
    page.goto(f"{asgi_server}/console/")
    page.click("#selection-link")
    page.wait_for_function("() => document.body.dataset.connection === 'live'")
    page.select_option("#sel-kind", "streetlight")
    page.select_option("#sel-district", "centre")
    page.select_option("#command-action", "dim")
    page.fill("#param-level", "40")
    page.click("#preview-button")
    expect(page.locator("[data-preview=devices]")).to_have_text("3")
    expect(page.locator("[data-preview=will_change]")).to_have_text("3")
    page.fill("#command-reason", "Night dimming")
    page.click("#send-button")
    expect(page.locator("[data-field=apply-total]")).to_have_text("3")
    expect(page.locator("[data-field=apply-acknowledged]")).to_have_text("3", timeout=30000)
    screenshot("selection-sent")
    assert {e.state["dim"] for e in Equipment.objects.filter(kind="streetlight")} == {40}

    page.click("#rollback-button")
    expect(page.locator("#selection-progress[data-status=rolled_back]")).to_be_attached(
        timeout=30000
    )
    expect(page.locator("[data-field=restore-acknowledged]")).to_have_text("3", timeout=30000)
    states = dict(Equipment.objects.filter(kind="streetlight").values_list("code", "state"))
    assert {code: state["dim"] for code, state in states.items()} == {
        "SL-00001": 91,
        "SL-00002": 92,
        "SL-00003": 93,
    }
    screenshot("selection-rolled-back")

    # The same action planned every night at 23:00, saved from the console...
    page.fill("#schedule-name", "Night dimming")
    for day in range(7):
        page.check(f"#schedule-form input[name=weekday][value='{day}']")
    page.fill("#schedule-time", "23:00")
    page.click("#schedule-button")
    expect(page.locator("#schedule-rows tr")).to_have_count(1)
    schedule = CommandSchedule.objects.get()
    assert schedule.weekdays == list(range(7)) and schedule.next_run_at
    # ...and run by the periodic job's own function once due: the devices take it.
    ran = schedules.run_due_schedules(schedule.next_run_at + timedelta(seconds=1))
    assert ran["ran"] == 1
    assert (
        wait_until(
            lambda: {e.state["dim"] for e in Equipment.objects.filter(kind="streetlight")} == {40},
            timeout=30,
        )
        is not None
    )

    # The operator moves it to 22:00, pauses it, then removes it, all on the console.
    page.click(f"#schedule-rows tr[data-schedule='{schedule.pk}'] button[data-do=edit]")
    expect(page.locator("#schedule-form")).to_have_attribute("data-editing", str(schedule.pk))
    expect(page.locator("#schedule-name")).to_have_value("Night dimming")
    expect(page.locator("#param-level")).to_have_value("40")
    page.fill("#schedule-time", "22:00")
    page.click("#schedule-button")
    expect(page.locator("#schedule-form")).not_to_have_attribute("data-editing", str(schedule.pk))
    schedule.refresh_from_db()
    assert schedule.time.strftime("%H:%M") == "22:00" and schedule.weekdays == list(range(7))
    row = page.locator(f"#schedule-rows tr[data-schedule='{schedule.pk}']")
    row.locator("button[data-do=toggle]").click()
    expect(row).to_have_attribute("data-active", "false")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button[data-do=remove]").click()
    expect(page.locator("#schedule-rows tr")).to_have_count(0)
    assert not CommandSchedule.objects.exists()


def test_the_device_page_status_line_follows_the_device_live(
    asgi_server, page, make_user, make_equipment
):
    from equipment import services as equipment_services

    make_equipment("SL-00042", "streetlight", {"lamp": "on", "dim": 100})
    make_equipment("SL-00099", "streetlight", {"lamp": "on", "dim": 100})
    make_user(roles.DISPATCHER, username="diane")  # sees the console, commands nothing
    log_in(page, asgi_server, "diane")
    page.goto(f"{asgi_server}/console/devices/SL-00042/")
    status = page.locator("#device-status")
    expect(status).to_have_attribute("data-status", "ok")
    expect(page.locator("#status-connection[data-state=live]")).to_be_attached()
    # Another device's change leaves the line alone; this one's shows without a reload.
    equipment_services.update_equipment(
        Equipment.objects.get(code="SL-00099"), {"status": Equipment.Status.OFFLINE}
    )
    equipment_services.update_equipment(
        Equipment.objects.get(code="SL-00042"), {"status": Equipment.Status.FAULT}
    )
    expect(status).to_have_attribute("data-status", "fault", timeout=20000)
    labels = page.evaluate(
        "() => JSON.parse(document.getElementById('device-status-labels').textContent)"
    )
    expect(status).to_have_text(labels["fault"])
    assert labels["fault"] != labels["ok"]

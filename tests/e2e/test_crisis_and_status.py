"""A supervisor switches the city into a crisis mode; a citizen reads it on a phone."""

from playwright.sync_api import expect

from ondijon import roles
from supervision.models import CrisisMode, PlaybookAction
from tests.conftest import ARTIFACTS
from tests.e2e.test_login import log_in


def test_supervisor_activates_a_mode_and_the_public_page_shows_it_on_a_phone(
    asgi_server, background_worker, page, browser, make_user, make_equipment, screenshot
):
    make_equipment("BOL-01", "bollard", {"position": "lowered"})
    mode = CrisisMode.objects.create(code="lockdown", name="Lockdown")
    PlaybookAction.objects.create(
        mode=mode, position=1, type="command", equipment_kind="bollard", command="raise"
    )
    PlaybookAction.objects.create(mode=mode, position=2, type="wall_banner", text="LOCKDOWN")
    PlaybookAction.objects.create(
        mode=mode, position=3, type="public_message", text="Stay at home."
    )
    make_user(roles.SUPERVISOR, username="sophie")

    log_in(page, asgi_server, "sophie")
    page.click("text=Crisis modes")
    page.click("text=Lockdown")
    expect(page.locator("table")).to_contain_text("raise → every bollard")
    page.fill("#reason", "Prefect's decree")
    page.click("button[type=submit]:has-text('Activate')")
    expect(page.locator("p.error")).to_contain_text("confirm the activation")
    page.check("input[name=confirm]")
    page.click("button[type=submit]:has-text('Activate')")
    expect(page.locator("h2")).to_contain_text("Active: Lockdown")
    expect(page.locator("[data-field=total]")).to_have_text("1")
    screenshot("crisis-active")
    # The command goes out after the page came back (in daphne's jobs thread, or a Celery
    # worker on the production stack); its progress shows live.
    expect(page.locator("[data-field=pending]")).to_have_text("0", timeout=30000)
    expect(page.locator("[data-field=sent]")).to_have_text("1")
    expect(page.locator("#steps li[data-position='1'] [data-step=status]")).to_have_text("sent")
    screenshot("crisis-sent")

    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    citizen = phone.new_page()
    citizen.goto(f"{asgi_server}/status/")
    expect(citizen.locator("[role=status]")).to_contain_text("Lockdown")
    expect(citizen.locator("[role=status]")).to_contain_text("Stay at home.")
    # Readable on a phone: nothing wider than the screen.
    assert citizen.evaluate("document.documentElement.scrollWidth") <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    citizen.screenshot(path=str(ARTIFACTS / "status-page-phone.png"), full_page=True)
    phone.close()

    # Back to normal: the restoring command's progress shows live too.
    page.fill("#reason", "Decree lifted")
    page.click("button[type=submit]:has-text('Deactivate')")
    expect(page.locator("h2").first).to_contain_text("Last rollback: Lockdown")
    expect(page.locator("[data-field=pending]")).to_have_text("0", timeout=30000)
    expect(page.locator("[data-field=total]")).to_have_text("1")
    screenshot("rolled-back")


def test_a_rollback_names_the_devices_it_could_not_restore(
    asgi_server, background_worker, page, make_user, make_equipment, screenshot
):
    from equipment.models import Equipment

    make_equipment("BOL-01", "bollard", {"position": "lowered"})
    make_equipment("BOL-02", "bollard", {"position": "lowered"})
    mode = CrisisMode.objects.create(code="lockdown", name="Lockdown")
    PlaybookAction.objects.create(
        mode=mode, position=1, type="command", equipment_kind="bollard", command="raise"
    )
    make_user(roles.SUPERVISOR, username="sophie")
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))

    log_in(page, asgi_server, "sophie")
    page.goto(f"{asgi_server}/crisis/modes/lockdown/")
    page.fill("#reason", "Prefect's decree")
    page.check("input[name=confirm]")
    page.click("button[type=submit]:has-text('Activate')")
    expect(page.locator("[data-field=pending]")).to_have_text("0", timeout=30000)
    # The radio link of one bollard drops while it is up: it cannot be lowered again.
    Equipment.objects.filter(code="BOL-02").update(
        status=Equipment.Status.OFFLINE, state={"position": "raised"}
    )

    page.fill("#reason", "Decree lifted")
    page.click("button[type=submit]:has-text('Deactivate')")
    expect(page.locator("h2").first).to_contain_text("Last rollback: Lockdown")
    failures = page.locator("[data-field=failures] li")
    expect(failures).to_have_count(1, timeout=30000)
    expect(failures).to_contain_text("BOL-02")
    expect(page.locator("[data-field=failed]")).to_have_text("1")
    expect(page.locator("[data-field=retry]")).to_be_visible()
    page.wait_for_timeout(2500)  # two refreshes of the progress: the list stays
    expect(failures).to_contain_text("BOL-02")
    screenshot("not-restored")
    assert script_errors == []

"""An operator writes in the main courante, corrects an entry, and exports the log."""

from pathlib import Path

from playwright.sync_api import expect

from ondijon import roles
from supervision.models import Event
from tests.e2e.test_login import log_in


def test_operator_notes_and_corrects_in_the_log(asgi_server, page, make_user, screenshot):
    make_user(roles.OPERATOR, username="olga")
    log_in(page, asgi_server, "olga")
    page.goto(f"{asgi_server}/log/")
    page.fill("#note-form textarea", "Fire brigade on site at Place Wilson")
    page.click("#note-form button[type=submit]")
    first = page.locator("#log-table tbody tr").first
    expect(first).to_contain_text("Fire brigade on site at Place Wilson")
    seq = Event.objects.get(kind="note.added").seq
    page.click(f"#entry-{seq} button.correct")
    expect(page.locator("#correcting")).to_contain_text(str(seq))
    page.fill("#note-form textarea", "Correction: Place de la République")
    page.click("#note-form button[type=submit]")
    expect(page.locator("#log-table tbody tr").first).to_contain_text(f"corrects #{seq}")
    expect(page.locator(f"#entry-{seq}")).to_have_class("kind-note corrected")
    screenshot("corrected")
    with page.expect_download() as download:
        page.click("#export-csv")
    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Correction: Place de la République" in content and "note.correction" in content

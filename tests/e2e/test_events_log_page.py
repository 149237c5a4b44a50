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


def test_operator_leaves_out_kinds_by_their_french_names(asgi_server, browser, make_user):
    from supervision.alerts import services as alerts

    make_user(roles.OPERATOR, username="olga")
    alerts.raise_alert({"title": "Fuite rue Monge", "category": "water", "source": "operator"})
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    log_in(page, asgi_server, "olga")
    page.goto(f"{asgi_server}/log/")
    page.fill("#note-form textarea", "Pompiers sur place, place Wilson")
    page.click("#note-form button[type=submit]")
    table = page.locator("#log-table tbody")
    expect(table).to_contain_text("Pompiers sur place")
    expect(table).to_contain_text("Alerte levée")
    # A newcomer knows no codes: the kinds are ticked by their names, family by family.
    page.get_by_text("Types à exclure").click()
    page.get_by_role("group", name="Note").get_by_label("Note : tous les types").check()
    page.get_by_role("button", name="Filtrer").click()
    expect(table).not_to_contain_text("Pompiers sur place")
    expect(table).to_contain_text("Alerte levée")
    expect(page.locator("#left-out")).to_have_text("Exclus : Note : tous les types.")
    expect(page.locator("#log-exclude summary")).to_have_text("Types à exclure (1)")
    # The whole log, movements included, is one click away and keeps the choice.
    page.click("#movements-toggle")
    expect(page.locator("#log-view")).to_contain_text("déplacements des véhicules")
    expect(table).not_to_contain_text("Pompiers sur place")
    context.close()

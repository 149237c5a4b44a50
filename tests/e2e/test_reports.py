"""The crisis unit's reports in the browser: from the bar to the situation report, from there
to the after-action report of the crisis, and its PDF holds the crisis's timeline."""

import re
from io import BytesIO

from playwright.sync_api import expect
from pypdf import PdfReader

from ondijon import roles
from supervision.alerts import services as alert_services
from supervision.crisis import services as crisis
from supervision.models import CrisisMode, PlaybookAction

from .test_login import log_in


def test_the_supervisor_opens_the_after_action_report_of_a_crisis_and_its_pdf(
    asgi_server, page, make_user
):
    sophie = make_user(roles.SUPERVISOR, username="sophie")
    mode = CrisisMode.objects.create(code="storm", name="Storm warning")
    PlaybookAction.objects.create(
        mode=mode, position=1, type=PlaybookAction.Type.WALL_BANNER, text="STORM — stay inside"
    )
    crisis.activate(mode, sophie, "Météo-France red alert", confirmed=True)
    alert_services.raise_alert(
        {"title": "Tree down: rue Monge", "source": "operator", "category": "roads", "severity": 4}
    )
    log_in(page, asgi_server, "sophie")
    expect(page).not_to_have_url(re.compile("/accounts/login/"))
    page.click("header.topbar nav.desks a[href='/reports/sitrep/']")
    expect(page.locator("#sitrep-severity tr[data-severity='4'] td").last).to_have_text("1")
    expect(page.locator("#sitrep-mode")).to_contain_text("Storm warning")
    # From the crisis in progress to its after-action report.
    page.click("#sitrep-mode .sitrep-crisis a")
    expect(page.locator("#report-activation")).to_contain_text("Météo-France red alert")
    timeline = page.locator("#report-timeline")
    expect(timeline.locator('tr[data-kind="city.mode_changed"]')).to_have_count(1)
    expect(timeline.locator('tr[data-kind="alert.raised"]')).to_contain_text("Tree down: rue Monge")
    # The PDF the page links to, fetched with the supervisor's session.
    href = page.locator("#report-pdf").get_attribute("href")
    response = page.request.get(f"{asgi_server}{href}")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(response.body())).pages)
    assert "Storm warning" in text and "Tree down: rue Monge" in text
    assert "Météo-France red alert" in text

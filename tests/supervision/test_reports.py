"""The crisis unit's reports: the situation of the city now (SITREP) and the after-action report
of a period or of one crisis activation, as printable pages and PDF files; each role against
each of them, every refusal."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from interventions.services import create_intervention
from ondijon import roles
from supervision.alerts import services as alert_services
from supervision.crisis import services as crisis
from supervision.models import CrisisMode, ModeActivation, PlaybookAction

ALL_ROLES = list(roles.ROLE_LABELS)  # every role of the room
SUPERVISORS = {roles.ADMINISTRATOR, roles.SUPERVISOR}
# A title that a reader of markup would take for markup: the report must print it as it is.
MARKUP_TITLE = "Flooding <b>quai</b> & <font color='red'>Nuits</font>"


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages)


@pytest.fixture
def storm_mode(db):
    mode = CrisisMode.objects.create(code="storm", name="Storm warning")
    PlaybookAction.objects.create(
        mode=mode, position=1, type=PlaybookAction.Type.WALL_BANNER, text="STORM — stay inside"
    )
    PlaybookAction.objects.create(mode=mode, position=2, type=PlaybookAction.Type.HOTLINE_24_7)
    return mode


@pytest.fixture
def ended_activation(make_user, storm_mode):
    """A storm: activated, an alert and an intervention during it, then back to normal."""
    supervisor = make_user(roles.SUPERVISOR, "crisis-lead")
    activation = crisis.activate(storm_mode, supervisor, "Météo-France red alert", confirmed=True)
    alert_services.raise_alert(
        {"title": MARKUP_TITLE, "source": "operator", "category": "water", "severity": 5}
    )
    create_intervention(
        {
            "title": "Tree on the tram line",
            "category": "roads",
            "service": "roads",
            "priority": 1,
            "latitude": 47.32,
            "longitude": 5.04,
        }
    )
    crisis.deactivate(activation, supervisor, "Storm over")
    activation.refresh_from_db()
    return activation


def pages(activation: ModeActivation) -> list[tuple[str, list]]:
    return [
        ("sitrep", []),
        ("sitrep-pdf", []),
        ("after-action", []),
        ("after-action-pdf", []),
        ("activation-after-action", [activation.pk]),
        ("activation-after-action-pdf", [activation.pk]),
    ]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_against_the_reports(client, make_user, ended_activation, role):
    client.force_login(make_user(role))
    for page, args in pages(ended_activation):
        response = client.get(reverse(page, args=args))
        assert response.status_code == (200 if role in SUPERVISORS else 403), page


def test_the_reports_ask_for_a_login(client, ended_activation):
    for page, args in pages(ended_activation):
        response = client.get(reverse(page, args=args))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], page


def test_an_unknown_activation_is_not_found(client, make_user, db):
    client.force_login(make_user(roles.SUPERVISOR))
    assert client.get(reverse("activation-after-action", args=[999])).status_code == 404
    assert client.get(reverse("activation-after-action-pdf", args=[999])).status_code == 404


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"start": "yesterday", "end": "2026-12-03T10:00"}, "start", "Enter a valid date/time."),
        ({"start": "2026-12-03T10:00"}, "end", "This field is required."),
        (
            {"start": "2026-12-03T10:00", "end": "2026-12-03T09:00"},
            "end",
            "The end must come after the start.",
        ),
        (
            {"start": "2026-10-01T00:00", "end": "2026-12-03T00:00"},
            "end",
            "An after-action report covers at most 31 days.",
        ),
    ],
)
def test_a_bad_period_is_refused_with_its_field(client, make_user, query, field, message):
    client.force_login(make_user(roles.SUPERVISOR))
    page = client.get(reverse("after-action"), query)
    assert page.status_code == 400
    assert f'data-field="{field}">{message}' in page.content.decode()
    pdf = client.get(reverse("after-action-pdf"), query)
    assert pdf.status_code == 400
    assert pdf.json() == {"errors": {field: [message]}}


def test_the_after_action_report_of_an_activation_holds_its_timeline_and_figures(
    client, make_user, ended_activation
):
    client.force_login(make_user(roles.SUPERVISOR))
    page = client.get(reverse("activation-after-action", args=[ended_activation.pk]))
    html = page.content.decode()
    assert "Storm warning" in html and "Météo-France red alert" in html
    for kind in ("city.mode_changed", "alert.raised", "intervention.created"):
        assert f'data-kind="{kind}"' in html, kind
    assert 'id="report-alarms"><b>1</b>' in html
    assert 'id="report-interventions"><b>1</b>' in html
    # Text from data is text on the page, never markup.
    assert "Flooding &lt;b&gt;quai&lt;/b&gt;" in html

    response = client.get(reverse("activation-after-action-pdf", args=[ended_activation.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Storm warning" in text and "Météo-France red alert" in text
    # The timeline, from the events log: the alert as it was titled, markup and all.
    assert MARKUP_TITLE.replace(" ", "") in text.replace(" ", "").replace("\n", "")
    assert "Tree on the tram line" in text


def test_the_after_action_report_of_a_period_reads_only_that_period(
    client, make_user, ended_activation
):
    client.force_login(make_user(roles.SUPERVISOR))
    later = ended_activation.deactivated_at + timedelta(minutes=1)
    query = {"start": later.isoformat(), "end": (later + timedelta(hours=1)).isoformat()}
    html = client.get(reverse("after-action"), query).content.decode()
    assert 'id="report-alarms"><b>0</b>' in html
    assert 'data-kind="alert.raised"' not in html
    # The last 24 hours by default: the storm is in them, and its own report is linked.
    html = client.get(reverse("after-action")).content.decode()
    assert 'data-kind="alert.raised"' in html
    assert reverse("activation-after-action", args=[ended_activation.pk]) in html
    text = pdf_text(client.get(reverse("after-action-pdf"), query).content)
    assert "Tree on the tram line" not in text


def test_the_situation_report_tells_the_city_now(client, make_user, storm_mode):
    supervisor = make_user(roles.SUPERVISOR)
    crisis.activate(storm_mode, supervisor, "Red alert", confirmed=True)
    alert_services.raise_alert(
        {"title": "Pressure drop: WS-7", "source": "operator", "category": "water", "severity": 4}
    )
    shelved = alert_services.raise_alert(
        {"title": "Door ajar: BA-2", "source": "operator", "category": "access", "severity": 2}
    )
    alert_services.shelve_alert(shelved, supervisor, seconds=3600, reason="Known")
    client.force_login(supervisor)
    html = client.get(reverse("sitrep")).content.decode()
    assert "Storm warning" in html and "Red alert" in html
    assert '<tr data-severity="4"><td>S4</td><td>1</td></tr>' in html
    # The shelved alert is off the desk: counted apart, not among the open ones.
    top = html[html.index('id="sitrep-top"') :].split("</table>")[0]
    assert "Pressure drop: WS-7" in top and "Door ajar: BA-2" not in top
    text = pdf_text(client.get(reverse("sitrep-pdf")).content)
    assert "Storm warning" in text and "Pressure drop: WS-7" in text


def test_the_reports_are_read_only(client, make_user, ended_activation):
    client.force_login(make_user(roles.SUPERVISOR))
    for page, args in pages(ended_activation):
        assert client.post(reverse(page, args=args)).status_code == 405, page


def test_the_playbook_steps_read_in_the_readers_language(client, make_user, ended_activation):
    """A step's status is kept in the log's words; the report names it in French by default."""
    client.force_login(make_user(roles.SUPERVISOR))
    html = client.get(reverse("activation-after-action", args=[ended_activation.pk])).content
    steps = html.decode().split('id="report-steps"')[1].split("</table>")[0]
    assert "<td>fait</td>" in steps and "<td>done</td>" not in steps
    text = pdf_text(
        client.get(reverse("activation-after-action-pdf", args=[ended_activation.pk])).content
    )
    assert "fait" in text

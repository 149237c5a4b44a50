"""The shift: start, handover with what stays open, acknowledgement by the incoming
supervisor, the shift's log; the shift and daily reports; each role against each page."""

import pytest
from django.urls import reverse

from interventions.services import create_intervention
from ondijon import roles
from ondijon.api.errors import Conflict
from supervision.alerts import services as alert_services
from supervision.models import Event, Shift
from supervision.shift import services

ALL_ROLES = list(roles.ROLE_LABELS)  # every role of the room
READERS = {roles.ADMINISTRATOR, roles.SUPERVISOR, roles.OPERATOR, roles.DISPATCHER}
HOLDERS = {roles.ADMINISTRATOR, roles.SUPERVISOR}


@pytest.fixture
def open_items(db):
    alert = alert_services.raise_alert(
        {"title": "Pressure drop: WS-7", "source": "operator", "category": "water", "severity": 4}
    )
    intervention = create_intervention(
        {
            "title": "Leak rue de la Liberté",
            "category": "water",
            "service": "water",
            "priority": 2,
            "latitude": 47.32,
            "longitude": 5.04,
        }
    )
    return alert, intervention


def kinds() -> list[str]:
    return list(Event.objects.filter(subject_type="shift").values_list("kind", flat=True))


def test_the_handover_holds_what_stays_open_and_the_next_supervisor_acknowledges_it(
    make_user, open_items
):
    outgoing, incoming = make_user(roles.SUPERVISOR, "sophie"), make_user(roles.SUPERVISOR, "paul")
    shift = services.start_shift(outgoing, handover_read=False)  # nothing to hand over yet
    alert, intervention = open_items
    services.end_shift(shift, outgoing, "Leak rue de la Liberté: water team on site at 7.")
    shift.refresh_from_db()
    assert shift.handover["alerts"]["count"] == 1
    assert shift.handover["alerts"]["items"][0]["title"] == alert.title
    assert shift.handover["interventions"]["items"][0]["reference"] == intervention.reference
    assert shift.handover["crisis"] == [] and shift.handover["callbacks"]["overdue"] == 0
    ended = Event.objects.get(kind="shift.ended")
    assert ended.payload["open_alerts"] == 1 and ended.payload["note"].startswith("Leak")
    # The incoming supervisor must say the handover was read.
    with pytest.raises(Conflict):
        services.start_shift(incoming, handover_read=False)
    assert Shift.objects.count() == 1
    services.start_shift(incoming, handover_read=True)
    shift.refresh_from_db()
    assert shift.acknowledged_by == incoming and shift.acknowledged_at is not None
    assert kinds() == [
        "shift.started",
        "shift.ended",
        "shift.handover_acknowledged",
        "shift.started",
    ]


def test_one_shift_holds_the_room_and_ends_once_with_a_note(make_user):
    supervisor = make_user(roles.SUPERVISOR)
    shift = services.start_shift(supervisor, handover_read=False)
    with pytest.raises(Conflict):
        services.start_shift(supervisor, handover_read=True)
    with pytest.raises(Conflict):
        services.end_shift(shift, supervisor, "   ")
    services.end_shift(shift, supervisor, "Quiet night.")
    with pytest.raises(Conflict):
        services.end_shift(shift, supervisor, "Again.")
    assert kinds() == ["shift.started", "shift.ended"]


# --- the pages, role by role --------------------------------------------------------------


@pytest.fixture
def ended_shift(make_user, open_items):
    supervisor = make_user(roles.SUPERVISOR, "outgoing")
    shift = services.start_shift(supervisor, handover_read=False)
    return services.end_shift(shift, supervisor, "Leak on site; call-backs done.")


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(
    "page", ["shift", "shift-report", "shift-report-csv", "daily-report", "daily-report-csv"]
)
def test_each_role_against_the_shift_pages(client, make_user, ended_shift, role, page):
    client.force_login(make_user(role))
    args = [ended_shift.pk] if page.startswith("shift-") else []
    response = client.get(reverse(page, args=args))
    assert response.status_code == (200 if role in READERS else 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_starting_a_shift(client, make_user, ended_shift, role):
    client.force_login(make_user(role))
    response = client.post(reverse("shift-start"), {"handover_read": "on"})
    assert response.status_code == (302 if role in HOLDERS else 403)
    assert Shift.objects.filter(holds_room=True).exists() == (role in HOLDERS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_ending_a_shift(client, make_user, role):
    shift = services.start_shift(make_user(roles.SUPERVISOR, "holder"), handover_read=False)
    client.force_login(make_user(role))
    response = client.post(reverse("shift-end", args=[shift.pk]), {"note": "All quiet."})
    assert response.status_code == (302 if role in HOLDERS else 403)
    shift.refresh_from_db()
    assert (shift.ended_at is not None) == (role in HOLDERS)


@pytest.mark.parametrize("page", ["shift", "daily-report"])
def test_the_shift_pages_ask_for_a_login(client, db, page):
    response = client.get(reverse(page))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.usefixtures("english")
def test_an_unread_handover_is_refused_with_a_message_and_nothing_started(
    client, make_user, ended_shift
):
    client.force_login(make_user(roles.SUPERVISOR, "incoming"))
    page = client.post(reverse("shift-start"), {}, follow=True).content.decode()
    assert "Read the handover of the last shift" in page
    assert not Shift.objects.filter(holds_room=True).exists()
    assert "Leak on site; call-backs done." in page  # the handover is on the page to read


@pytest.mark.usefixtures("english")
def test_ending_without_a_note_is_a_field_error(client, make_user):
    supervisor = make_user(roles.SUPERVISOR)
    shift = services.start_shift(supervisor, handover_read=False)
    client.force_login(supervisor)
    response = client.post(reverse("shift-end", args=[shift.pk]), {"note": ""})
    assert response.status_code == 400 and 'data-field="note"' in response.content.decode()
    shift.refresh_from_db()
    assert shift.ended_at is None


def test_an_unknown_shift_is_not_found(client, make_user):
    client.force_login(make_user(roles.SUPERVISOR))
    assert client.get(reverse("shift-report", args=[999])).status_code == 404
    assert client.post(reverse("shift-end", args=[999]), {"note": "x"}).status_code == 404


@pytest.mark.usefixtures("english")
def test_the_shift_page_shows_the_log_of_the_shift_in_progress(client, make_user):
    supervisor = make_user(roles.SUPERVISOR)
    services.start_shift(supervisor, handover_read=False)
    alert_services.raise_alert(
        {"title": "Bollard stuck: B-3", "source": "operator", "category": "roads"}
    )
    client.force_login(supervisor)
    page = client.get(reverse("shift")).content.decode()
    assert 'id="shift-current"' in page and "Bollard stuck: B-3" in page
    assert 'data-kind="shift.started"' in page


@pytest.fixture
def worked_shift(make_user, db):
    supervisor = make_user(roles.SUPERVISOR, "outgoing")
    shift = services.start_shift(supervisor, handover_read=False)
    open_items.__wrapped__(db)  # raised and reported during the shift
    return services.end_shift(shift, supervisor, "Leak on site; call-backs done.")


@pytest.mark.usefixtures("english")
def test_the_reports_hold_the_figures_the_handover_and_the_timeline(
    client, make_user, worked_shift
):
    client.force_login(make_user(roles.SUPERVISOR, "reader"))
    report = client.get(reverse("shift-report", args=[worked_shift.pk])).content.decode()
    assert 'id="report-alarms"><b>1</b>' in report
    assert 'id="report-interventions"><b>1</b>' in report
    assert "Leak on site; call-backs done." in report
    assert 'data-kind="shift.ended"' in report and 'data-kind="alert.raised"' in report
    daily = client.get(reverse("daily-report")).content.decode()
    assert 'id="report-alarms"><b>1</b>' in daily and 'data-kind="shift.started"' in daily
    lines = b"".join(client.get(reverse("daily-report-csv")).streaming_content).decode()
    assert lines.startswith("\ufeff#;Time;Kind;Kind code") and ";shift.ended;" in lines


@pytest.mark.usefixtures("english")
def test_a_bad_day_is_refused_with_its_field(client, make_user):
    client.force_login(make_user(roles.SUPERVISOR))
    page = client.get(reverse("daily-report"), {"day": "someday"})
    assert page.status_code == 400 and 'data-field="day"' in page.content.decode()
    assert client.get(reverse("daily-report-csv"), {"day": "someday"}).status_code == 400

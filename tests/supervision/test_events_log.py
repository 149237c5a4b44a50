"""The main courante: filterable timeline, notes and corrections, CSV export, a chain check
that names the first tampered entry, and the room's knowledge at a past moment."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from interventions import services as interventions
from ondijon import bus, roles
from supervision.alerts.services import add_note, raise_alert
from supervision.log import timeline as log
from supervision.models import Event
from tests.interventions.test_interventions import make_intervention, make_team

# These tests check the wording of messages: they read them in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english")


def logged_in(make_user, role, username=None) -> Client:
    client = Client()
    client.force_login(make_user(role, username=username))
    return client


def test_timeline_filters_by_kind_service_subject_and_text(db):
    make_intervention(title="Flooded underpass", service="water")
    make_team("ECL-01")
    add_note("Tram line 1 stopped at Godrans", actor=None, service="roads")
    assert [e.kind for e in log.timeline({"kind": "intervention."})] == ["intervention.created"]
    assert [e.kind for e in log.timeline({"service": "roads"})] == ["note.added"]
    assert [e.subject_label for e in log.timeline({"subject_type": "team"})] == ["ECL-01"]
    assert log.timeline({"text": "godrans"}).count() == 1


def test_operator_writes_a_note_and_corrects_it_without_editing_it(make_user):
    client = logged_in(make_user, roles.OPERATOR)
    client.post("/log/", {"text": "Market opened at 7:00", "service": ""})
    original = Event.objects.get(kind="note.added")
    client.post("/log/", {"text": "Market opened at 7:30", "correction_of": original.seq})
    correction = Event.objects.get(kind="note.correction")
    assert correction.correction_of == original
    original.refresh_from_db()
    assert original.payload["text"] == "Market opened at 7:00"  # the old entry stays as it was
    page = client.get("/log/").content.decode()
    assert f"corrects #{original.seq}" in page and "Market opened at 7:30" in page


def test_correction_of_a_missing_entry_is_refused(make_user):
    client = logged_in(make_user, roles.OPERATOR)
    response = client.post("/log/", {"text": "Fix", "correction_of": 999})
    assert response.status_code == 200 and "No entry #999" in response.content.decode()
    assert not Event.objects.filter(kind__startswith="note.").exists()


@pytest.mark.parametrize(
    "role, read, write",
    [
        (roles.SUPERVISOR, 200, True),
        (roles.OPERATOR, 200, True),
        (roles.DISPATCHER, 200, True),
        (roles.FIELD_TEAM, 403, False),
        (roles.HOTLINE_AGENT, 403, False),
        (roles.WALL_DISPLAY, 403, False),
    ],
)
def test_log_pages_per_role(make_user, role, read, write):
    client = logged_in(make_user, role)
    for url in ("/log/", "/log/export.csv", "/log/at/"):
        assert client.get(url).status_code == read, url
    client.post("/log/", {"text": "hello"})
    assert Event.objects.filter(kind="note.added").exists() == write


def test_csv_export_follows_the_filters(make_user):
    intervention = make_intervention(title="Gas smell, rue Monge", service="police")
    team = make_team("POL-01", "police")
    interventions.assign_team(intervention, team)
    client = logged_in(make_user, roles.SUPERVISOR)
    response = client.get("/log/export.csv?kind=intervention.")
    assert response["Content-Type"].startswith("text/csv")
    # As French Excel opens it: UTF-8 with its byte order mark, `;` between fields, Paris time.
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    created = Event.objects.get(kind="intervention.created").time
    assert rows[0]["Time"] == timezone.localtime(created).strftime("%d/%m/%Y %H:%M:%S")
    # People read the kind's name, the code stays beside it for filters and partners.
    assert [row["Kind"] for row in rows] == ["Intervention created", "Intervention status changed"]
    assert [row["Kind code"] for row in rows] == [
        "intervention.created",
        "intervention.status_changed",
    ]
    assert rows[0]["About"] == "Intervention" and rows[0]["Service"] == "Municipal police"
    assert rows[1]["What"] == "Reported → Dispatched · team POL-01"
    assert rows[0]["Subject"].endswith("Gas smell, rue Monge")
    assert all(len(row["Chain hash"]) == 64 for row in rows)


def test_verify_events_passes_on_an_intact_log(db):
    for n in range(5):
        bus.emit("test.entry", payload={"n": n})
    out = io.StringIO()
    call_command("verify_events", stdout=out)
    assert "intact: 5 entries" in out.getvalue()


def tamper(sql: str, params: list) -> None:
    """Change the log behind the application's back, as an intruder with SQL access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks must run first: ALTER TABLE refuses pending ones.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE supervision_event DISABLE TRIGGER supervision_event_append_only"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE supervision_event ENABLE TRIGGER supervision_event_append_only"
            )


@pytest.mark.parametrize(
    "sql, broken_offset, reason",
    [
        (
            "UPDATE supervision_event SET payload = '{\"n\": 99}' WHERE seq = %s",
            0,
            "content does not match",
        ),
        ("DELETE FROM supervision_event WHERE seq = %s", 1, "missing before it"),
    ],
)
def test_verify_events_names_the_first_tampered_entry(db, sql, broken_offset, reason):
    events = [bus.emit("test.entry", payload={"n": n}) for n in range(6)]
    target = events[2].seq
    with transaction.atomic():
        tamper(sql, [target])
    with pytest.raises(
        CommandError, match=f"BROKEN at entry #{target + broken_offset}: .*{reason}"
    ):
        call_command("verify_events")


def test_a_consistent_rewrite_of_hashes_is_still_caught_at_the_log_end(db):
    """Rewriting the last entry and recomputing its own hash leaves the sequence row out of step."""
    events = [bus.emit("test.entry", payload={"n": n}) for n in range(3)]
    last = events[-1]
    last.payload = {"n": 42}
    forged = bus.event_hash(last.prev_hash, last)
    tamper(
        "UPDATE supervision_event SET payload = '{\"n\": 42}', hash = %s WHERE seq = %s",
        [forged, last.seq],
    )
    report = log.verify_chain()
    assert not report.intact and "missing" in report.reason


def test_room_state_at_a_past_moment(db, streetlight):
    alert = raise_alert(
        {
            "title": "Lamp out",
            "source": "rule",
            "severity": 3,
            "category": "lighting",
            "equipment": streetlight,
        }
    )
    intervention = make_intervention(title="Replace lamp")
    team = make_team()
    interventions.assign_team(intervention, team)
    at_dispatch = Event.objects.order_by("-seq").first()
    interventions.report_progress(team, "on_site")
    interventions.report_progress(team, "done")
    then = log.room_state_at(at_dispatch.time)
    assert [a["title"] for a in then.alerts] == ["Lamp out"] and then.alerts[0]["id"] == alert.pk
    assert [(i["reference"], i["status"]) for i in then.interventions] == [
        (intervention.reference, "dispatched")
    ]
    assert then.interventions[0]["teams"] == [team.pk]
    now = log.room_state_at(Event.objects.order_by("-seq").first().time)
    assert now.interventions == [] and len(now.alerts) == 1


def test_room_at_page(make_user, db):
    make_intervention(title="Broken bollard")
    client = logged_in(make_user, roles.SUPERVISOR)
    created = timezone.localtime(Event.objects.get().time)

    def page_at(moment) -> str:
        return client.get(
            "/log/at/", {"time": moment.strftime("%Y-%m-%dT%H:%M:%S")}
        ).content.decode()

    assert "0 open interventions" in page_at(created - timedelta(minutes=1))
    after = page_at(created + timedelta(seconds=1))
    assert "Broken bollard" in after and "1 open interventions" in after

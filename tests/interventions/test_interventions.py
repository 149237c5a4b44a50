"""The intervention lifecycle, dispatch, field progress and positions, through the services
and the API, as dispatchers and field crews use them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from interventions import services
from interventions.models import Intervention, Officer, Team
from ondijon import roles
from ondijon.api.errors import Conflict
from supervision.models import Event

# These tests read the wording of refusals, in English (the platform's second language).
pytestmark = pytest.mark.usefixtures("english")

S = Intervention.Status


def make_intervention(**extra) -> Intervention:
    data = {
        "title": "Streetlight down",
        "category": "lighting",
        "service": "lighting",
        "priority": 2,
        "latitude": 47.322,
        "longitude": 5.041,
        **extra,
    }
    return services.create_intervention(data)


def make_team(call_sign="ECL-01", service="lighting", lat=47.33, lon=5.05, **extra) -> Team:
    return services.create_team(
        {
            "call_sign": call_sign,
            "service": service,
            "latitude": lat,
            "longitude": lon,
            "position_at": timezone.now(),
            **extra,
        }
    )


def events(kind):
    return list(Event.objects.filter(kind=kind).order_by("seq"))


@pytest.fixture
def crew(make_user):
    """A field user whose officer belongs to team ECL-01."""
    team = make_team()
    user = make_user(roles.FIELD_TEAM, username="crew")
    Officer.objects.create(user=user, team=team, service="lighting", badge_number="E-1")
    client = APIClient()
    client.force_authenticate(user)
    return team, client


def test_full_lifecycle_keeps_the_time_of_each_step(db):
    intervention = make_intervention()
    team = make_team()
    services.change_status(intervention, S.QUALIFIED)
    services.assign_team(intervention, team)
    for step in ("en_route", "on_site", "done"):
        services.report_progress(team, step, note="lamp replaced" if step == "done" else "")
    intervention.refresh_from_db()
    services.change_status(intervention, S.CLOSED)
    intervention.refresh_from_db()
    stamps = [
        intervention.reported_at,
        intervention.qualified_at,
        intervention.dispatched_at,
        intervention.en_route_at,
        intervention.on_site_at,
        intervention.resolved_at,
        intervention.closed_at,
    ]
    assert intervention.status == S.CLOSED
    assert all(stamps) and stamps == sorted(stamps)
    changes = [
        (e.payload["previous_status"], e.payload["intervention"]["status"])
        for e in events("intervention.status_changed")
    ]
    assert changes == [
        ("reported", "qualified"),
        ("qualified", "dispatched"),
        ("dispatched", "en_route"),
        ("en_route", "on_site"),
        ("on_site", "resolved"),
        ("resolved", "closed"),
    ]
    assert events("intervention.status_changed")[-2].payload["note"] == "lamp replaced"
    team.refresh_from_db()
    assert team.status == Team.Status.AVAILABLE


@pytest.mark.parametrize(
    "path, target",
    [
        ([], S.RESOLVED),
        ([], S.CLOSED),
        ([S.CANCELLED], S.QUALIFIED),
        ([S.QUALIFIED], S.ON_SITE),
    ],
)
def test_transitions_not_in_the_lifecycle_are_refused(db, path, target):
    intervention = make_intervention()
    for step in path:
        services.change_status(intervention, step)
    before = Event.objects.count()
    with pytest.raises(Conflict, match="cannot go to"):
        services.change_status(intervention, target)
    assert Event.objects.count() == before


def test_dispatch_needs_a_team(db):
    with pytest.raises(Conflict, match="Assign a team"):
        services.change_status(make_intervention(), S.DISPATCHED)


def test_cancelling_releases_the_teams(db):
    intervention, team = make_intervention(), make_team()
    services.assign_team(intervention, team)
    services.change_status(intervention, S.CANCELLED)
    team.refresh_from_db()
    assert team.status == Team.Status.AVAILABLE
    assert not intervention.assignments.filter(released_at=None).exists()


def test_a_busy_team_cannot_be_sent_elsewhere(db):
    team = make_team()
    services.assign_team(make_intervention(), team)
    with pytest.raises(Conflict, match="busy"):
        services.assign_team(make_intervention(title="Other"), team)


def test_status_change_events_tell_which_emergency_vehicles_are_en_route(db):
    intervention = make_intervention(service="police")
    team = make_team("POL-01", "police", emergency_vehicle=True)
    services.assign_team(intervention, team)
    services.report_progress(team, "en_route")
    event = events("intervention.status_changed")[-1]
    assert event.payload["previous_status"] == "dispatched"
    assert event.payload["intervention"]["status"] == "en_route"
    assert event.payload["teams"][0]["emergency_vehicle"] is True
    assert events("team.status_changed")[-1].payload["previous_status"] == "available"


def test_overdue_when_target_passed_and_nobody_on_site(db):
    intervention = make_intervention(priority=1, reported_at=timezone.now() - timedelta(minutes=20))
    assert services.is_overdue(intervention)
    assert not services.is_overdue(make_intervention(priority=1))


def test_two_teams_last_one_done_resolves(db):
    intervention = make_intervention()
    first, second = make_team("ECL-01"), make_team("ECL-02")
    services.assign_team(intervention, first)
    services.assign_team(intervention, second)
    services.report_progress(first, "on_site")
    services.report_progress(second, "on_site")  # already on site: recorded, not refused
    services.report_progress(first, "done")
    intervention.refresh_from_db()
    assert intervention.status == S.ON_SITE
    services.report_progress(second, "done")
    intervention.refresh_from_db()
    assert intervention.status == S.RESOLVED


# --- API -------------------------------------------------------------------------------


def test_dispatcher_sees_candidates_and_assigns_in_one_call(api_client_for):
    intervention = make_intervention()
    make_team("ECL-01", lat=47.323)
    make_team("ECL-02", lat=47.36)
    client = api_client_for(roles.DISPATCHER)
    body = client.get(f"/api/v1/interventions/{intervention.pk}/candidates/").json()
    assert [c["team"]["call_sign"] for c in body["candidates"]] == ["ECL-01", "ECL-02"]
    assert body["candidates"][0]["eta_seconds"] < body["candidates"][1]["eta_seconds"]
    response = client.post(
        f"/api/v1/interventions/{intervention.pk}/assign/", {"team": "ECL-01"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dispatched"
    again = client.post(
        f"/api/v1/interventions/{make_intervention().pk}/assign/", {"team": "ECL-01"}, format="json"
    )
    assert again.status_code == 409
    assert "ECL-01" in again.json()["detail"]


def test_api_refuses_a_wrong_transition_with_409(api_client_for):
    intervention = make_intervention()
    response = api_client_for(roles.DISPATCHER).post(
        f"/api/v1/interventions/{intervention.pk}/close/", {}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


@pytest.mark.parametrize(
    "role, expected",
    [
        (roles.DISPATCHER, 200),
        (roles.ADMINISTRATOR, 200),
        (roles.OPERATOR, 403),
        (roles.FIELD_TEAM, 403),
        (roles.HOTLINE_AGENT, 403),
    ],
)
def test_only_dispatchers_dispatch(api_client_for, role, expected):
    intervention, _ = make_intervention(), make_team()
    client = api_client_for(role)
    assert (
        client.post(
            f"/api/v1/interventions/{intervention.pk}/qualify/", {}, format="json"
        ).status_code
        == expected
    )
    assert (
        client.get(f"/api/v1/interventions/{intervention.pk}/candidates/").status_code == expected
    )


def test_field_team_reports_its_own_assignment(crew, make_user):
    team, client = crew
    intervention = make_intervention(address="12 rue de la Liberté")
    services.assign_team(intervention, team)
    mine = client.get("/api/v1/teams/mine/").json()
    assert mine["intervention"]["reference"] == intervention.reference
    assert "12 rue de la Liberté" in mine["directions"] and "min" in mine["directions"]
    url = f"/api/v1/interventions/{intervention.pk}"
    assert client.post(f"{url}/en-route/", {}, format="json").json()["status"] == "en_route"
    assert client.post(f"{url}/on-site/", {}, format="json").json()["status"] == "on_site"
    done = client.post(f"{url}/done/", {"note": "Cable repaired"}, format="json")
    assert done.json()["status"] == "resolved"
    assert client.get("/api/v1/teams/mine/").json()["intervention"] is None


def test_field_team_cannot_touch_another_teams_assignment(crew):
    _, client = crew
    other_team = make_team("ECL-09")
    intervention = make_intervention()
    services.assign_team(intervention, other_team)
    response = client.post(
        f"/api/v1/interventions/{intervention.pk}/on-site/", {"team": "ECL-09"}, format="json"
    )
    # Another team's work does not exist for this crew (it speaks only for its own team).
    assert response.status_code == 404
    assert (
        client.post(
            f"/api/v1/teams/{other_team.pk}/position/",
            {"latitude": 47.3, "longitude": 5.0},
            format="json",
        ).status_code
        == 403
    )
    intervention.refresh_from_db()
    assert intervention.status == S.DISPATCHED


def test_field_team_sends_its_position(crew):
    team, client = crew
    response = client.post(
        f"/api/v1/teams/{team.pk}/position/", {"latitude": 47.31, "longitude": 5.02}, format="json"
    )
    assert response.status_code == 202
    team.refresh_from_db()
    assert (team.latitude, team.longitude) == (47.31, 5.02)
    assert events("team.moved")[-1].payload["team"]["lat"] == 47.31


def test_tracker_batch_moves_teams_and_keeps_history(api_client_for):
    a = make_team("ECL-01")
    make_team("ECL-02")
    now = timezone.now()
    rows = [
        {
            "team": "ECL-01",
            "latitude": 47.30,
            "longitude": 5.00,
            "time": (now + timedelta(seconds=1)).isoformat(),
        },
        {
            "team": "ECL-01",
            "latitude": 47.31,
            "longitude": 5.01,
            "time": (now + timedelta(seconds=2)).isoformat(),
        },
        {"team": "ECL-02", "latitude": 47.32, "longitude": 5.02},
    ]
    client = api_client_for(roles.ADMINISTRATOR)
    response = client.post("/api/v1/teams/positions/", {"positions": rows}, format="json")
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 3, "moved": 2}
    a.refresh_from_db()
    assert (a.latitude, a.longitude) == (47.31, 5.01)
    assert a.positions.count() == 2


def test_tracker_batch_is_all_or_nothing(api_client_for):
    make_team("ECL-01")
    rows = [
        {"team": "ECL-01", "latitude": 47.3, "longitude": 5.0},
        {"team": "NOPE", "latitude": 91, "longitude": 5},
    ]
    response = api_client_for(roles.ADMINISTRATOR).post(
        "/api/v1/teams/positions/", {"positions": rows}, format="json"
    )
    assert response.status_code == 400
    assert "1" in response.json()["positions"]
    assert not Event.objects.filter(kind="team.moved").exists()


def test_tracker_batch_needs_the_tracker_permission(api_client_for):
    for role in (roles.DISPATCHER, roles.FIELD_TEAM):
        response = api_client_for(role).post(
            "/api/v1/teams/positions/", {"positions": []}, format="json"
        )
        assert response.status_code == 403


# --- From an alert -------------------------------------------------------------------


def test_one_click_from_an_alert(api_client_for, streetlight):
    from supervision.alerts.services import raise_alert

    alert = raise_alert(
        {
            "title": "Lamp out",
            "source": "rule",
            "severity": 4,
            "category": "lamp_failure",
            "equipment": streetlight,
            "details": {"proposed_actions": ["Replace the lamp", "Check the cabinet"]},
        }
    )
    client = api_client_for(roles.DISPATCHER)
    response = client.post(f"/api/v1/alerts/{alert.pk}/intervention/")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["service"] == "lighting" and body["priority"] == 2
    assert body["equipment"] == ["SL-TEST-1"]
    assert (body["latitude"], body["longitude"]) == (streetlight.latitude, streetlight.longitude)
    assert "Replace the lamp" in body["description"]
    alert.refresh_from_db()
    assert alert.intervention.reference == body["reference"] and alert.status == "qualified"
    assert client.post(f"/api/v1/alerts/{alert.pk}/intervention/").status_code == 409
    # Hotline agents create interventions, but not an alert's (tests/test_alert_desk.py: roles).
    assert (
        api_client_for(roles.HOTLINE_AGENT)
        .post(f"/api/v1/alerts/{alert.pk}/intervention/")
        .status_code
        == 403
    )


def test_schema_lists_every_step(api_client_for):
    schema = api_client_for(roles.ADMINISTRATOR).get("/api/schema/?format=json").json()["paths"]
    for step in (
        "assign",
        "release",
        "qualify",
        "en-route",
        "on-site",
        "done",
        "resolve",
        "close",
        "cancel",
        "candidates",
    ):
        assert any(path.endswith(f"/{step}/") for path in schema if "interventions" in path), step
    assert "/api/v1/teams/positions/" in schema and "/api/v1/alerts/{id}/intervention/" in schema


def test_field_view_needs_a_team(crew, make_user):
    from django.test import Client

    team, _ = crew
    client = Client()
    client.force_login(team.members.get().user)
    assert client.get("/field/").status_code == 200
    client.force_login(make_user(roles.FIELD_TEAM, username="no-team"))
    assert client.get("/field/").status_code == 403
    client.force_login(make_user(roles.DISPATCHER))
    assert client.get("/field/").status_code == 403

"""Bad positions never break the tracker batch, the teams list or the dispatch ranking."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from interventions import dispatch, services
from interventions.models import Team
from ondijon import roles
from supervision.models import Event
from tests.interventions.test_interventions import make_team

BATCH = "/api/v1/teams/positions/"
HERE = (47.3221, 5.0412)


def soon(minutes: float = 0) -> str:
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"team": ["ECL-01"]}, "team"),
        ({"team": {"call_sign": "ECL-01"}}, "team"),
        ({"team": "ECL-01\x00"}, "team"),
        ({"time": "2026-02-30T10:00:00+01:00"}, "time"),
        ({"time": "2026-W48-3T10:00:00+01:00"}, "time"),
        ({"time": soon(1).replace(".", ",")}, "time"),
        ({"time": soon(1)[:19] + "+15:00"}, "time"),
        ({"time": "0001-01-01T00:00:00+14:00"}, "time"),
        ({"time": "9999-12-31T23:59:59+00:00"}, "time"),
        ({"time": 1700000000}, "time"),
    ],
)
def test_bad_tracker_row_is_refused_with_its_index_and_reason(api_client_for, bad, field):
    make_team("ECL-01")
    good = {"team": "ECL-01", "latitude": 47.3, "longitude": 5.0, "time": soon(1)}
    response = api_client_for(roles.ADMINISTRATOR).post(
        BATCH, {"positions": [good, {**good, **bad}]}, format="json"
    )
    assert response.status_code == 400, response.content
    errors = response.json()["positions"]
    assert list(errors) == ["1"] and field in errors["1"]
    assert not Event.objects.filter(kind="team.moved").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"latitude": 47.3, "longitude": 5.0, "time": "9999-12-31T23:59:59Z"},
        {"latitude": 47.3, "longitude": 5.0, "time": "0001-01-01T00:00:00+14:00"},
        {"latitude": 47.3, "longitude": 5.0, "time": "2026-02-30T10:00:00+01:00"},
        {"latitude": 47.3, "longitude": 5.0, "time": soon(1)[:19] + "-16:00"},
    ],
)
def test_bad_position_time_is_a_field_error(api_client_for, body):
    team = make_team("ECL-01")
    response = api_client_for(roles.ADMINISTRATOR).post(
        f"/api/v1/teams/{team.pk}/position/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert "time" in response.json()


def test_position_of_a_team_that_is_not_a_number_is_404(api_client_for):
    response = api_client_for(roles.ADMINISTRATOR).post(
        "/api/v1/teams/ECL-01/position/", {"latitude": 47.3, "longitude": 5.0}, format="json"
    )
    assert response.status_code == 404


def test_team_dated_9999_breaks_neither_the_list_nor_the_ranking(api_client_for):
    """A position dated 9999, stored before times were checked at the door."""
    frozen = make_team("ECL-FROZEN", lat=HERE[0], lon=HERE[1])
    make_team("ECL-FRESH", lat=47.35)
    Team.objects.filter(pk=frozen.pk).update(position_at=datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    for role in (roles.DISPATCHER, roles.SUPERVISOR):
        response = api_client_for(role).get("/api/v1/teams/")
        assert response.status_code == 200, response.content
    listed = {t["call_sign"]: t["position_at"] for t in response.json()["results"]}
    assert listed["ECL-FROZEN"] == "9999-12-31T23:59:00Z"
    ranking = dispatch.rank_teams(*HERE, "lighting")
    assert [c.team.call_sign for c in ranking.candidates] == ["ECL-FRESH"]
    assert [c.team.call_sign for c in ranking.stale] == ["ECL-FROZEN"]
    # Its next real position moves it again.
    services.report_team_position(frozen, 47.31, 5.02)
    frozen.refresh_from_db()
    assert (frozen.latitude, frozen.longitude) == (47.31, 5.02)
    assert frozen.position_at <= timezone.now()


def test_dates_before_1911_are_printed_in_rfc3339(api_client_for):
    """Paris's local mean time before 1911 is +00:09:21, which RFC 3339 cannot write."""
    team = make_team("ECL-OLD")
    Team.objects.filter(pk=team.pk).update(position_at=datetime(1900, 1, 1, tzinfo=UTC))
    body = api_client_for(roles.DISPATCHER).get(f"/api/v1/teams/{team.pk}/").json()
    assert body["position_at"] == "1900-01-01T00:00:00Z"

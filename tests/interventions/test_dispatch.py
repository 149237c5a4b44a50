"""Nearest available team: by travel time, busy and off-duty teams left out, stale apart."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.test import override_settings
from django.utils import timezone

from interventions import dispatch, services
from interventions.models import Assignment, Team
from ondijon.api.errors import Conflict
from ondijon.geo import distance_m
from tests.interventions.test_interventions import make_intervention, make_team

# These tests check the wording of messages: they read them in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english")

HERE = (47.322, 5.041)


def call_signs(candidates):
    return [c.team.call_sign for c in candidates]


def test_ranks_by_eta_and_leaves_out_busy_off_duty_and_other_services(db):
    make_team("ECL-FAR", lat=47.36)
    make_team("ECL-NEAR", lat=47.325)
    make_team("ECL-MID", lat=47.34)
    make_team("ECL-OFF", lat=47.3221, status=Team.Status.OFF_DUTY)
    make_team("POL-01", service="police", lat=47.3221)
    busy = make_team("ECL-BUSY", lat=47.3222)
    services.assign_team(make_intervention(), busy)
    ranking = dispatch.rank_teams(*HERE, "lighting")
    assert call_signs(ranking.candidates) == ["ECL-NEAR", "ECL-MID", "ECL-FAR"]
    etas = [c.eta_seconds for c in ranking.candidates]
    assert etas == sorted(etas)


def test_stale_positions_are_listed_apart(db):
    make_team("ECL-FRESH", lat=47.35)
    make_team("ECL-OLD", lat=47.3221, position_at=timezone.now() - timedelta(hours=1))
    ranking = dispatch.rank_teams(*HERE, "lighting")
    assert call_signs(ranking.candidates) == ["ECL-FRESH"]
    assert call_signs(ranking.stale) == ["ECL-OLD"] and ranking.stale[0].stale


def test_required_skill_filters_teams(db):
    make_team("ECL-01", lat=47.3225)
    make_team("ECL-02", lat=47.34, skills=["aerial_lift"])
    intervention = make_intervention(required_skills=["aerial_lift"])
    assert call_signs(dispatch.rank_teams_for(intervention).candidates) == ["ECL-02"]


@override_settings(DISPATCH_ROAD_DETOUR_FACTOR=2.0, DISPATCH_MEAN_SPEED_KMH={"lighting": 36.0})
def test_default_estimator_uses_detour_factor_and_service_speed(db):
    # 1 km as the crow flies, x2 detour, at 10 m/s: 200 s.
    eta = dispatch.DetourEstimator().seconds(47.322, 5.041, 47.322 + 1 / 111.195, 5.041, "lighting")
    assert eta == pytest.approx(200, rel=0.01)


class EveryoneTenMinutes:
    def seconds(self, team_lat, team_lon, lat, lon, service):
        return 600.0


@override_settings(DISPATCH_ETA_ESTIMATOR="tests.interventions.test_dispatch.EveryoneTenMinutes")
def test_estimator_is_pluggable(db):
    make_team("ECL-01")
    assert dispatch.rank_teams(*HERE, "lighting").candidates[0].eta_seconds == 600


def test_directions_text_says_where_how_far_and_how_long(db):
    team = make_team(lat=47.322, lon=5.041)
    intervention = make_intervention(latitude=47.331, longitude=5.041, address="Place Darcy")
    text = dispatch.directions_text(team, intervention)
    assert text.startswith("Go to Place Darcy: 1.0 km north of you, about")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_sending_the_same_team_at_once_exactly_one_wins():
    """Both transactions pass the availability check, then race on the insert: the partial
    unique index makes the second wait for the first and fail once it commits."""
    team = make_team()
    first, second = make_intervention(), make_intervention(title="Second")
    both_checked = threading.Barrier(2, timeout=20)
    original_refresh = Team.refresh_from_db
    results: dict[str, object] = {}

    def refresh_then_wait(self, *args, **kwargs):
        original_refresh(self, *args, **kwargs)
        if threading.current_thread().name.startswith("dispatcher"):
            both_checked.wait()  # both see the team available before either inserts

    def dispatcher(intervention):
        try:
            services.assign_team(intervention, Team.objects.get(pk=team.pk))
            results[threading.current_thread().name] = "assigned"
        except Conflict as conflict:
            results[threading.current_thread().name] = conflict
        finally:
            close_old_connections()
            connection.close()

    Team.refresh_from_db = refresh_then_wait
    try:
        threads = [
            threading.Thread(target=dispatcher, args=(item,), name=f"dispatcher-{n}")
            for n, item in enumerate((first, second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        Team.refresh_from_db = original_refresh
    wins = [outcome for outcome in results.values() if outcome == "assigned"]
    conflicts = [outcome for outcome in results.values() if isinstance(outcome, Conflict)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    assert conflicts[0].code == "team_taken"
    assert "just assigned elsewhere" in conflicts[0].message
    assert Assignment.objects.filter(team=team, released_at=None).count() == 1


def test_a_team_just_outside_the_search_box_still_wins_when_it_is_nearer(db, settings):
    """The box is only a shortcut: the box's corner team must not beat a nearer one outside."""
    settings.DISPATCH_SEARCH_BOX_M = 1000
    make_team("ECL-CORNER", lat=47.322 + 0.0085, lon=5.041 + 0.0125)  # ~1.3 km, in the box
    make_team("ECL-NORTH", lat=47.322 + 0.0095)  # ~1.06 km due north, outside the box
    ranking = dispatch.rank_teams(*HERE, "lighting", limit=1)
    assert call_signs(ranking.candidates) == ["ECL-NORTH"]


def test_stale_teams_beyond_the_search_box_are_still_listed(db, settings):
    """The box proves the nearest fresh teams; it must not hide the stale ones beyond it."""
    settings.DISPATCH_SEARCH_BOX_M = 1000
    for n in range(5):
        make_team(f"ECL-0{n}", lat=47.322 + 0.0005 * (n + 1), lon=5.041)  # 55-280 m north
    make_team("ECL-OLD", lat=47.35, position_at=timezone.now() - timedelta(hours=1))  # 3 km
    make_team("ECL-NEVER", lat=47.36, position_at=None)  # placed by hand, never reported
    ranking = dispatch.rank_teams(*HERE, "lighting")
    assert call_signs(ranking.candidates) == ["ECL-00", "ECL-01", "ECL-02", "ECL-03", "ECL-04"]
    assert call_signs(ranking.stale) == ["ECL-OLD", "ECL-NEVER"]
    assert all(c.stale for c in ranking.stale) and ranking.stale[1].team.position_at is None


def test_a_skill_matches_whole_names_without_wildcards_and_ignoring_case(db):
    make_team("ECL-WILD", lat=47.3225, skills=["aerialXlift", "aerial_lift_trainee"])
    make_team("ECL-CAPS", lat=47.33, skills=["first_aid", "AERIAL_LIFT"])
    make_team("ECL-BOTH", lat=47.34, skills=["aerial_lift", "first_aid"])
    ranking = dispatch.rank_teams(*HERE, "lighting", ["aerial_lift", "first_aid"])
    assert call_signs(ranking.candidates) == ["ECL-CAPS", "ECL-BOTH"]
    assert ranking.candidates[1].team.skills == ["aerial_lift", "first_aid"]


def nearest_five(teams, lat, lon):
    return [
        t.call_sign
        for t in sorted(teams, key=lambda t: distance_m(t.latitude, t.longitude, lat, lon))
    ][:5]


def test_ranking_equals_a_brute_force_search_over_the_whole_fleet(db, settings):
    """At random points of a random fleet, boxed or widened, the same teams as checking every
    team by hand: nearest fresh by travel time, nearest stale by distance."""
    settings.DISPATCH_SEARCH_BOX_M = 1500
    rng = random.Random(5)
    now = timezone.now()
    for n in range(150):
        make_team(
            f"ECL-{n:03d}",
            lat=47.322 + rng.uniform(-0.05, 0.05),
            lon=5.041 + rng.uniform(-0.07, 0.07),
            status=Team.Status.OFF_DUTY if n % 11 == 0 else Team.Status.AVAILABLE,
            position_at=now - timedelta(hours=1) if n % 4 == 0 else now,
        )
    teams = list(Team.objects.filter(status=Team.Status.AVAILABLE))
    for _ in range(25):
        lat, lon = 47.322 + rng.uniform(-0.06, 0.06), 5.041 + rng.uniform(-0.08, 0.08)
        ranking = dispatch.rank_teams(lat, lon, "lighting", now=now)

        fresh_since = now - timedelta(seconds=settings.DISPATCH_STALE_POSITION_SECONDS)
        fresh = [t for t in teams if t.position_at >= fresh_since]
        stale = [t for t in teams if t.position_at < fresh_since]
        assert call_signs(ranking.candidates) == nearest_five(fresh, lat, lon)
        assert call_signs(ranking.stale) == nearest_five(stale, lat, lon)
        assert [c.team.pk for c in ranking.candidates] == [
            Team.objects.get(call_sign=c.team.call_sign).pk for c in ranking.candidates
        ]

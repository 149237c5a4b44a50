"""Nearest available team: rank the teams that can go by estimated travel time.

The database narrows the fleet to the nearest teams as the crow flies (an index-friendly
ORDER BY on a planar approximation, exact enough at a metropolis' scale); the configured
estimator then ranks those by travel time. Teams whose last position is too old are listed
apart as stale: the dispatcher may still call them by radio, but their ETA is a guess.
"""

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from interventions import routing
from interventions.models import Assignment, Intervention, Team
from ondijon import inputs
from ondijon.geo import EARTH_RADIUS_M, distance_m


class EtaEstimator(Protocol):
    def seconds(
        self, team_lat: float, team_lon: float, lat: float, lon: float, service: str
    ) -> float: ...


class DetourEstimator:
    """Crow-flies distance x road-detour factor / mean speed of the service (settings)."""

    def seconds(
        self, team_lat: float, team_lon: float, lat: float, lon: float, service: str
    ) -> float:
        road_m = distance_m(team_lat, team_lon, lat, lon) * settings.DISPATCH_ROAD_DETOUR_FACTOR
        speed_kmh = settings.DISPATCH_MEAN_SPEED_KMH.get(
            service, settings.DISPATCH_DEFAULT_SPEED_KMH
        )
        return road_m / (speed_kmh / 3.6)


@cache
def _estimator_for(path: str) -> EtaEstimator:
    return import_string(path)()


def estimator() -> EtaEstimator:
    return _estimator_for(settings.DISPATCH_ETA_ESTIMATOR)


@dataclass(frozen=True)
class Candidate:
    team: Team
    distance_m: float
    eta_seconds: float
    stale: bool
    # The way by road, [lon, lat] from the team to the incident; None when the ETA is the
    # crow-flies fallback (no road graph, or the team is off it).
    route: list[list[float]] | None = None
    route_m: float | None = None

    def as_dict(self) -> dict:
        team = self.team
        return {
            "team": {
                "id": team.pk,
                "call_sign": team.call_sign,
                "service": team.service,
                "vehicle": team.vehicle,
                "skills": team.skills,
                "emergency_vehicle": team.emergency_vehicle,
                "latitude": team.latitude,
                "longitude": team.longitude,
                "position_at": team.position_at,
            },
            "distance_m": round(self.distance_m),
            "eta_seconds": round(self.eta_seconds),
            "eta_minutes": math.ceil(self.eta_seconds / 60),
            "stale": self.stale,
            "by_road": self.route is not None,
            "route_m": round(self.route_m) if self.route_m is not None else None,
            "route": {"type": "LineString", "coordinates": self.route} if self.route else None,
        }


@dataclass(frozen=True)
class Ranking:
    candidates: list[Candidate]  # fresh positions, fastest first
    stale: list[Candidate]  # positions older than the limit, nearest first


# The columns a candidate needs, in the order the ranking statement returns them after its
# `fresh` flag and `planar` distance.
_TEAM_COLUMNS = (
    "id",
    "call_sign",
    "vehicle",
    "emergency_vehicle",
    "skills",
    "latitude",
    "longitude",
    "position_at",
)


@cache
def _ranking_sql(skill_count: int) -> str:
    """One statement for the whole ranking: the nearest fresh and stale teams, each searched
    in a box around the point first and over the whole fleet only when the box cannot prove
    it holds the nearest ones.

    Why one statement of plain SQL: the ORM version took four queries (box and whole fleet,
    fresh and stale) and built a model per row; compiling and instantiating cost ~10 times
    what PostgreSQL spends answering, and every extra round trip is one more chance to wait
    on a busy machine.

    Planar distance is in degrees of latitude (longitudes scaled by cos(latitude)), fine for
    ordering within a region. A team outside the box is farther than the box's half-side
    `half` (|dlat| > half or |dlon|·scale > half), so the box provably holds the `limit`
    nearest when at least `limit` of its teams are within `half`; otherwise the second
    branch searches the whole fleet. The guards are uncorrelated scalar subqueries, which
    PostgreSQL evaluates once (InitPlan) and uses to skip the branch not taken.
    """
    team = Team._meta.db_table
    assignment = Assignment._meta.db_table
    columns = ", ".join(f"t.{name}" for name in _TEAM_COLUMNS)
    dlat = "(t.latitude - %(lat)s)"
    dlon = "((t.longitude - %(lon)s) * %(scale)s)"
    planar = f"({dlat} * {dlat} + {dlon} * {dlon})"
    # Skills are a short JSON list; matching the quoted name in its text (case-insensitive,
    # as `icontains` did) works the same on both databases and filters the few rows the
    # service/status index and the box leave, so it costs nothing.
    skills = "".join(
        f" AND UPPER(CAST(t.skills AS TEXT)) LIKE UPPER(%(skill{n})s) ESCAPE '\\'"
        for n in range(skill_count)
    )
    common = (
        f"t.service = %(service)s AND t.status = %(available)s AND t.latitude IS NOT NULL"
        f" AND NOT EXISTS (SELECT 1 FROM {assignment} a"
        f" WHERE a.team_id = t.id AND a.released_at IS NULL){skills}"
    )
    box = (
        " AND t.latitude BETWEEN %(lat_min)s AND %(lat_max)s"
        " AND t.longitude BETWEEN %(lon_min)s AND %(lon_max)s"
    )
    # A position dated ahead of the clock (stored before times were checked at the door) is
    # no proof of freshness: such a team is listed as stale, not first forever.
    fresh = " AND t.position_at >= %(since)s AND t.position_at <= %(until)s"
    stale = " AND (t.position_at < %(since)s OR t.position_at > %(until)s OR t.position_at IS NULL)"

    def nearest(condition: str, limit: str) -> str:
        return (
            f"SELECT {columns}, {planar} AS planar FROM {team} t"
            f" WHERE {common}{condition} ORDER BY planar LIMIT {limit}"
        )

    def proven(name: str) -> str:
        return f"(SELECT COUNT(*) FROM {name} WHERE planar <= %(half2)s) >= %(limit)s"

    names = ", ".join(f"n.{name}" for name in _TEAM_COLUMNS)
    return (
        f"WITH fresh_box AS ({nearest(fresh + box, '%(prefilter)s')}),"
        f" stale_box AS ({nearest(stale + box, '%(limit)s')})"
        f" SELECT 1 AS fresh, n.planar, {names} FROM fresh_box n WHERE {proven('fresh_box')}"
        f" UNION ALL SELECT 1, n.planar, {names} FROM ({nearest(fresh, '%(prefilter)s')}) n"
        f" WHERE NOT {proven('fresh_box')}"
        f" UNION ALL SELECT 0, n.planar, {names} FROM stale_box n WHERE {proven('stale_box')}"
        f" UNION ALL SELECT 0, n.planar, {names} FROM ({nearest(stale, '%(limit)s')}) n"
        f" WHERE NOT {proven('stale_box')}"
    )


def _like_pattern(skill: str) -> str:
    escaped = skill.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f'%"{escaped}"%'


def _nearest_rows(
    lat: float,
    lon: float,
    service: str,
    skills: list[str],
    fresh_since: datetime,
    limit: int,
    fresh_until: datetime,
) -> tuple[list[tuple], list[tuple]]:
    """(fresh, stale) team rows nearest first: `prefilter` fresh ones, `limit` stale ones."""
    scale = math.cos(math.radians(lat))
    half = math.degrees(settings.DISPATCH_SEARCH_BOX_M / EARTH_RADIUS_M)
    params = {
        "lat": lat,
        "lon": lon,
        "scale": scale,
        "service": service,
        "available": Team.Status.AVAILABLE.value,
        "since": fresh_since,
        "until": fresh_until,
        "lat_min": lat - half,
        "lat_max": lat + half,
        "lon_min": lon - half / scale,
        "lon_max": lon + half / scale,
        "half2": half * half,
        "limit": limit,
        "prefilter": max(settings.DISPATCH_PREFILTER, limit),
        **{f"skill{n}": _like_pattern(skill) for n, skill in enumerate(skills)},
    }
    with connection.cursor() as cursor:
        cursor.execute(_ranking_sql(len(skills)), params)
        rows = cursor.fetchall()
    # Each branch is ordered; UNION ALL keeps branch order in practice, but say so explicitly.
    fresh = sorted((row for row in rows if row[0]), key=lambda row: row[1])
    stale = sorted((row for row in rows if not row[0]), key=lambda row: row[1])
    return fresh, stale


def _team_of(row: tuple, service: str) -> Team:
    """A Team built from a ranking row (not saved; enough for a candidate)."""
    pk, call_sign, vehicle, emergency, skills, latitude, longitude, position_at = row[2:]
    if isinstance(skills, str):  # SQLite, and PostgreSQL through Django's text loader
        skills = json.loads(skills)
    if isinstance(position_at, str):  # SQLite returns text once a UNION hides the type
        position_at = parse_datetime(position_at)
    if position_at is not None and timezone.is_naive(position_at):
        position_at = timezone.make_aware(position_at, UTC)
    return Team(
        id=pk,
        call_sign=call_sign,
        service=service,
        status=Team.Status.AVAILABLE,
        vehicle=vehicle,
        emergency_vehicle=bool(emergency),
        skills=skills,
        latitude=latitude,
        longitude=longitude,
        position_at=position_at,
    )


def rank_teams(
    lat: float,
    lon: float,
    service: str,
    skills: list[str] | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> Ranking:
    """The available teams of `service` (having every skill in `skills`) by travel time."""
    limit = limit or settings.DISPATCH_CANDIDATES
    now = now or timezone.now()
    fresh_since = now - timedelta(seconds=settings.DISPATCH_STALE_POSITION_SECONDS)
    fresh_until = now + inputs.measured_time_tolerance()
    fresh, stale = _nearest_rows(
        lat, lon, service, list(skills or []), fresh_since, limit, fresh_until
    )
    eta = estimator()
    fresh_estimates = _estimates(eta, fresh, lat, lon, service)
    stale_estimates = _estimates(eta, stale, lat, lon, service)
    # Rank the plain rows; build teams only for the few that are returned.
    timed = sorted(zip(fresh_estimates, fresh, strict=True), key=lambda pair: pair[0].seconds)[
        :limit
    ]

    def candidate(row: tuple, estimate, is_stale: bool) -> Candidate:
        team = _team_of(row, service)
        return Candidate(
            team=team,
            distance_m=distance_m(team.latitude, team.longitude, lat, lon),
            eta_seconds=estimate.seconds,
            stale=is_stale,
            route=getattr(estimate, "route", None),
            route_m=getattr(estimate, "metres", None),
        )

    return Ranking(
        candidates=[candidate(row, estimate, False) for estimate, row in timed],
        stale=[
            candidate(row, estimate, True)
            for estimate, row in zip(stale_estimates, stale, strict=True)
        ],
    )


@dataclass(frozen=True)
class _Timed:
    seconds: float


def _estimates(eta: EtaEstimator, rows: list[tuple], lat: float, lon: float, service: str):
    """Every row's travel time at once where the estimator can (one road search for all)."""
    if not rows:
        return []
    many = getattr(eta, "estimates", None)
    if many is not None:
        return many([(row[7], row[8]) for row in rows], lat, lon, service)
    return [_Timed(eta.seconds(row[7], row[8], lat, lon, service)) for row in rows]


def rank_teams_for(
    intervention: Intervention, skills: list[str] | None = None, **kwargs
) -> Ranking:
    skills = intervention.required_skills if skills is None else skills
    return rank_teams(
        intervention.latitude, intervention.longitude, intervention.service, skills, **kwargs
    )


COMPASS = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"]


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlambda = math.radians(lon2 - lon1)
    x = math.sin(dlambda) * math.cos(phi2)
    y = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlambda)
    return (math.degrees(math.atan2(x, y)) + 360) % 360


def directions_text(team: Team, intervention: Intervention) -> str:
    """What a crew reads on its phone: where to go, how far, which way, how long."""
    where = intervention.address or f"{intervention.latitude:.5f}, {intervention.longitude:.5f}"
    if team.latitude is None:
        return _("Go to %(where)s.") % {"where": where}
    metres = distance_m(
        team.latitude, team.longitude, intervention.latitude, intervention.longitude
    )
    if metres < 30:
        return _("You are at %(where)s.") % {"where": where}
    road = road_directions(team, intervention)
    if road is not None:
        length = road["distance_m"]
        return _("Go to %(where)s: %(distance)s by road, about %(value)s min.") % {
            "where": where,
            "distance": f"{length / 1000:.1f} km"
            if length >= 1000
            else f"{round(length, -1):.0f} m",
            "value": math.ceil(road["seconds"] / 60),
        }
    heading = COMPASS[
        round(
            bearing_deg(
                team.latitude, team.longitude, intervention.latitude, intervention.longitude
            )
            / 45
        )
        % 8
    ]
    eta = estimator().seconds(
        team.latitude, team.longitude, intervention.latitude, intervention.longitude, team.service
    )
    distance = f"{metres / 1000:.1f} km" if metres >= 1000 else f"{round(metres, -1):.0f} m"
    return _("Go to %(where)s: %(distance)s %(heading)s of you, about %(value)s min by road.") % {
        "where": where,
        "distance": distance,
        "heading": heading,
        "value": math.ceil(eta / 60),
    }


def road_directions(team: Team, intervention: Intervention) -> dict | None:
    """The crew's route by road and its turn-by-turn steps, when a road graph is loaded."""
    if team.latitude is None or team.longitude is None:
        return None
    return routing.road_directions(
        team.latitude,
        team.longitude,
        intervention.latitude,
        intervention.longitude,
        team.service,
        intervention.address,
    )

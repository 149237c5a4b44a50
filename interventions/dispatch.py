"""Nearest available team: rank the teams that can go by estimated travel time.

The database narrows the fleet to the nearest teams as the crow flies (an index-friendly
ORDER BY on a planar approximation, exact enough at a metropolis' scale); the configured
estimator then ranks those by travel time. Teams whose last position is too old are listed
apart as stale: the dispatcher may still call them by radio, but their ETA is a guess.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db.models import Exists, F, FloatField, OuterRef, Q, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.module_loading import import_string

from ondijon.geo import EARTH_RADIUS_M, distance_m

from .models import Assignment, Intervention, Team


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
        }


@dataclass(frozen=True)
class Ranking:
    candidates: list[Candidate]  # fresh positions, fastest first
    stale: list[Candidate]  # positions older than the limit, nearest first


def available_teams(service: str, skills: list[str] | None = None):
    """Teams of the service that are available and hold no active assignment."""
    busy = Assignment.objects.filter(team=OuterRef("pk"), released_at=None)
    teams = Team.objects.filter(
        service=service, status=Team.Status.AVAILABLE, latitude__isnull=False
    ).exclude(Exists(busy))
    return teams


def _nearest_first(teams, lat: float, lon: float, limit: int, box_m: float | None = None):
    """The `limit` teams nearest as the crow flies, optionally only within a square box."""
    # Planar distance in degrees of latitude: fine for ordering within a region.
    scale = math.cos(math.radians(lat))
    if box_m:
        dlat_box = math.degrees(box_m / EARTH_RADIUS_M)
        dlon_box = dlat_box / scale
        teams = teams.filter(
            latitude__range=(lat - dlat_box, lat + dlat_box),
            longitude__range=(lon - dlon_box, lon + dlon_box),
        )
    dlat = F("latitude") - Value(lat)
    dlon = (F("longitude") - Value(lon)) * Value(scale)
    return list(
        teams.annotate(planar=Cast(dlat * dlat + dlon * dlon, FloatField())).order_by("planar")[
            :limit
        ]
    )


def _nearest_fresh_and_stale(teams, lat: float, lon: float, fresh_since, limit: int):
    """Search a box around the point first (a region-wide fleet sorts only its neighbours);
    widen to the whole fleet unless the box provably holds the `limit` nearest, i.e. the
    `limit`-th is no farther than the box's half-side."""
    fresh_teams = teams.filter(position_at__gte=fresh_since)
    stale_teams = teams.filter(Q(position_at__lt=fresh_since) | Q(position_at=None))
    prefilter = max(settings.DISPATCH_PREFILTER, limit)
    box_m = settings.DISPATCH_SEARCH_BOX_M
    fresh = _nearest_first(fresh_teams, lat, lon, prefilter, box_m)
    if len(fresh) >= limit and (
        distance_m(fresh[limit - 1].latitude, fresh[limit - 1].longitude, lat, lon) <= box_m
    ):
        return fresh, _nearest_first(stale_teams, lat, lon, limit, box_m)
    return (
        _nearest_first(fresh_teams, lat, lon, prefilter),
        _nearest_first(stale_teams, lat, lon, limit),
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
    teams = available_teams(service)
    for skill in skills or []:
        # JSON containment differs per database; a skill list is short, so match its text.
        teams = teams.filter(skills__icontains=f'"{skill}"')
    fresh, stale = _nearest_fresh_and_stale(teams, lat, lon, fresh_since, limit)
    eta = estimator()

    def candidate(team: Team, is_stale: bool) -> Candidate:
        return Candidate(
            team=team,
            distance_m=distance_m(team.latitude, team.longitude, lat, lon),
            eta_seconds=eta.seconds(team.latitude, team.longitude, lat, lon, service),
            stale=is_stale,
        )

    ranked = sorted((candidate(team, False) for team in fresh), key=lambda c: c.eta_seconds)
    return Ranking(candidates=ranked[:limit], stale=[candidate(team, True) for team in stale])


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
        return f"Go to {where}."
    metres = distance_m(
        team.latitude, team.longitude, intervention.latitude, intervention.longitude
    )
    if metres < 30:
        return f"You are at {where}."
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
    return f"Go to {where}: {distance} {heading} of you, about {math.ceil(eta / 60)} min by road."

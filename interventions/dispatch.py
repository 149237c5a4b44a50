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
from django.db.models import Case, Exists, F, FloatField, OuterRef, Value, When, Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone
from django.utils.module_loading import import_string

from ondijon.geo import distance_m

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


def _nearest_per_freshness(teams, lat: float, lon: float, fresh_since: datetime, limit: int):
    """The `limit` nearest fresh teams and the `limit` nearest stale ones, in one query
    (one scan of the fleet, a row number per group)."""
    # Planar distance in degrees of latitude: fine for ordering within a region.
    scale = math.cos(math.radians(lat))
    dlat = F("latitude") - Value(lat)
    dlon = (F("longitude") - Value(lon)) * Value(scale)
    stale = Case(When(position_at__gte=fresh_since, then=Value(False)), default=Value(True))
    planar = Cast(dlat * dlat + dlon * dlon, FloatField())
    return (
        teams.annotate(
            is_stale=stale,
            nearness=Window(RowNumber(), partition_by=[stale], order_by=planar.asc()),
        )
        .filter(nearness__lte=limit)
        .order_by("is_stale", "nearness")
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
    nearest = _nearest_per_freshness(
        teams, lat, lon, fresh_since, max(settings.DISPATCH_PREFILTER, limit)
    )
    eta = estimator()

    def candidate(team: Team) -> Candidate:
        return Candidate(
            team=team,
            distance_m=distance_m(team.latitude, team.longitude, lat, lon),
            eta_seconds=eta.seconds(team.latitude, team.longitude, lat, lon, service),
            stale=team.is_stale,
        )

    candidates = [candidate(team) for team in nearest]
    fresh = sorted((c for c in candidates if not c.stale), key=lambda c: c.eta_seconds)
    stale = [c for c in candidates if c.stale]  # nearest first: their position is a guess
    return Ranking(candidates=fresh[:limit], stale=stale[:limit])


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

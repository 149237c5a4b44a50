"""Interventions and teams: every change the room must see goes through here."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ondijon import bus

from .models import Intervention, Team, TeamPosition


def team_snapshot(team: Team) -> dict:
    return {
        "id": team.pk,
        "call_sign": team.call_sign,
        "service": team.service,
        "status": team.status,
        "lat": team.latitude,
        "lon": team.longitude,
        "position_at": team.position_at.isoformat() if team.position_at else None,
        "emergency_vehicle": team.emergency_vehicle,
    }


def intervention_snapshot(intervention: Intervention) -> dict:
    return {
        "id": intervention.pk,
        "reference": intervention.reference,
        "title": intervention.title,
        "category": intervention.category,
        "service": intervention.service,
        "priority": intervention.priority,
        "status": intervention.status,
        "lat": intervention.latitude,
        "lon": intervention.longitude,
        "address": intervention.address,
        "reported_at": intervention.reported_at.isoformat(),
        "target_at": intervention.target_at.isoformat() if intervention.target_at else None,
        "teams": sorted(
            intervention.assignments.filter(released_at=None).values_list("team_id", flat=True)
        ),
    }


def record_team_event(kind: str, team: Team, actor=None, **payload) -> None:
    bus.emit(
        kind,
        subject_type="team",
        subject_id=team.pk,
        subject_label=team.call_sign,
        service=team.service,
        payload={"team": team_snapshot(team), **payload},
        actor=actor,
    )


def record_intervention_event(kind: str, intervention: Intervention, actor=None, **payload) -> None:
    bus.emit(
        kind,
        subject_type="intervention",
        subject_id=intervention.pk,
        subject_label=f"{intervention.reference} {intervention.title}",
        service=intervention.service,
        payload={"intervention": intervention_snapshot(intervention), **payload},
        actor=actor,
    )


def target_time(priority: int, reported_at: datetime) -> datetime:
    minutes = settings.INTERVENTION_TARGET_MINUTES.get(priority, 120)
    return reported_at + timedelta(minutes=minutes)


@transaction.atomic
def create_intervention(data: dict, actor=None) -> Intervention:
    equipment = data.pop("equipment", [])
    intervention = Intervention(**data)
    intervention.reported_at = intervention.reported_at or timezone.now()
    intervention.target_at = target_time(intervention.priority, intervention.reported_at)
    intervention.created_by = actor if getattr(actor, "is_authenticated", False) else None
    # The reference comes from the primary key, which only the insert gives.
    intervention.reference = f"PENDING-{uuid.uuid4().hex[:12]}"
    intervention.full_clean(exclude=["reference"])
    intervention.save()
    intervention.reference = f"INT-{intervention.reported_at:%Y}-{intervention.pk:06d}"
    intervention.save(update_fields=["reference"])
    if equipment:
        intervention.equipment.set(equipment)
    record_intervention_event("intervention.created", intervention, actor)
    return intervention


@transaction.atomic
def update_intervention(intervention: Intervention, changes: dict, actor=None) -> Intervention:
    equipment = changes.pop("equipment", None)
    for name, value in changes.items():
        setattr(intervention, name, value)
    if "priority" in changes:
        intervention.target_at = target_time(intervention.priority, intervention.reported_at)
    intervention.full_clean()
    intervention.save()
    if equipment is not None:
        intervention.equipment.set(equipment)
    record_intervention_event("intervention.updated", intervention, actor, fields=sorted(changes))
    return intervention


@transaction.atomic
def create_team(data: dict, actor=None) -> Team:
    team = Team(**data)
    team.full_clean()
    team.save()
    record_team_event("team.created", team, actor)
    return team


@transaction.atomic
def update_team(team: Team, changes: dict, actor=None) -> Team:
    previous_status = team.status
    for name, value in changes.items():
        setattr(team, name, value)
    team.full_clean()
    team.save()
    kind = "team.status_changed" if team.status != previous_status else "team.updated"
    record_team_event(kind, team, actor, previous_status=previous_status)
    return team


@transaction.atomic
def report_team_position(
    team: Team, latitude: float, longitude: float, time: datetime | None = None, actor=None
) -> Team:
    """A vehicle tracker or phone reports where the team is. Older reports are history only."""
    time = time or timezone.now()
    TeamPosition.objects.create(team=team, time=time, latitude=latitude, longitude=longitude)
    if team.position_at is None or time >= team.position_at:
        team.latitude, team.longitude, team.position_at = latitude, longitude, time
        team.save(update_fields=["latitude", "longitude", "position_at", "updated_at"])
        record_team_event("team.moved", team, actor)
    return team

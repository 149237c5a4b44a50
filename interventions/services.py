"""Interventions and teams: every change the room must see goes through here."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.models import Assignment, Intervention, Team, TeamPosition
from ondijon import bus, inputs
from ondijon.api.errors import Conflict
from ondijon.deletion import refuse_while_referenced

Status = Intervention.Status

# The lifecycle. Dispatching straight from "reported" qualifies implicitly (one-click dispatch).
TRANSITIONS: dict[str, set[str]] = {
    Status.REPORTED: {Status.QUALIFIED, Status.DISPATCHED, Status.CANCELLED},
    Status.QUALIFIED: {Status.DISPATCHED, Status.CANCELLED},
    Status.DISPATCHED: {Status.EN_ROUTE, Status.ON_SITE, Status.CANCELLED},
    Status.EN_ROUTE: {Status.ON_SITE, Status.CANCELLED},
    Status.ON_SITE: {Status.RESOLVED, Status.CANCELLED},
    Status.RESOLVED: {Status.CLOSED},
    Status.CLOSED: set(),
    Status.CANCELLED: set(),
}
FINISHED = {Status.RESOLVED, Status.CLOSED, Status.CANCELLED}
# Order of the field steps, to tell whether a team's report is behind the intervention.
STEP_ORDER = [
    Status.REPORTED,
    Status.QUALIFIED,
    Status.DISPATCHED,
    Status.EN_ROUTE,
    Status.ON_SITE,
    Status.RESOLVED,
    Status.CLOSED,
]
ASSIGNABLE = {Status.REPORTED, Status.QUALIFIED, Status.DISPATCHED, Status.EN_ROUTE, Status.ON_SITE}


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


def intervention_snapshot(intervention: Intervention, teams: list[int] | None = None) -> dict:
    """The intervention as its events carry it; `teams` (the teams now assigned) is read here
    unless the caller has read them for many interventions at once."""
    if teams is None:
        teams = list(
            intervention.assignments.filter(released_at=None).values_list("team_id", flat=True)
        )
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
        "teams": sorted(teams),
    }


def open_intervention_snapshots() -> dict[str, dict]:
    """Every open intervention as its events carry it, keyed by id: two queries, however
    many are open (the teams of all of them are read at once)."""
    teams: dict[int, list[int]] = defaultdict(list)
    for intervention_id, team_id in (
        Assignment.objects.filter(released_at=None)
        .exclude(intervention__status__in=FINISHED)
        .order_by()
        .values_list("intervention_id", "team_id")
    ):
        teams[intervention_id].append(team_id)
    return {
        str(item.pk): intervention_snapshot(item, teams[item.pk])
        for item in Intervention.objects.exclude(status__in=FINISHED)
    }


def desk_state() -> dict:
    """What the dispatcher's desk starts from: every team and every open intervention, in the
    form their events carry, and the events log number this is current to. The number is read
    first: what changes meanwhile is replayed over it, which events (whole latest state of
    their object) make harmless."""
    seq = bus.last_seq()
    return {
        "seq": seq,
        "team": {str(team.pk): team_snapshot(team) for team in Team.objects.all()},
        "intervention": open_intervention_snapshots(),
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


def is_overdue(intervention: Intervention, now: datetime | None = None) -> bool:
    """Past its target time and nobody on site yet (the target is report-to-arrival)."""
    if intervention.target_at is None or intervention.on_site_at or intervention.status in FINISHED:
        return False
    return (now or timezone.now()) > intervention.target_at


def allowed_transitions(intervention: Intervention) -> list[str]:
    return sorted(TRANSITIONS[intervention.status], key=list(Status).index)


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


ANONYMISED = "(anonymised)"


def anonymise_descriptions(interventions: QuerySet[Intervention]) -> int:
    """Blank what was written about the people behind these interventions (the hotline's
    retention job, for interventions created from a call whose retention is over). The work
    itself — what, where, when, by whom — stays: the room's history needs it. No event: the
    descriptions are in no event, screen or log."""
    return interventions.exclude(description__in=["", ANONYMISED]).update(description=ANONYMISED)


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


# What goes with a deleted team: its position history; its officers stay, in no team.
DELETED_WITH_TEAM = ("interventions.teamposition", "interventions.officer")


@transaction.atomic
def delete_team(team: Team, actor=None) -> None:
    """Remove a team entered by mistake or disbanded. A team on an intervention is released
    first; one that has been sent anywhere stays on record (off duty)."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    assignment = active_assignment(team)
    if assignment is not None:
        raise Conflict(
            _("%(team)s is on %(reference)s: release it from the intervention first.")
            % {"team": team.call_sign, "reference": assignment.intervention.reference},
            code="team_assigned",
        )
    refuse_while_referenced(team, DELETED_WITH_TEAM, _("Set it off duty instead."))
    gone = bus.EventRecord(
        "team.deleted",
        subject_type="team",
        subject_id=team.pk,
        subject_label=team.call_sign,
        service=team.service,
        payload={"team": None, "deleted": team_snapshot(team)},
        actor=actor,
    )
    team.delete()
    bus.emit_many([gone])


@transaction.atomic
def delete_intervention(intervention: Intervention, actor=None) -> None:
    """Remove an intervention entered by mistake (twice, say). Once a team has been sent to
    it, or an alert or a call refers to it, it stays on record: cancel it instead."""
    intervention = _locked(intervention)
    if intervention.assignments.exists():
        raise Conflict(
            _("A team was sent to %(reference)s: it stays on record; cancel it instead.")
            % {"reference": intervention.reference},
            code="dispatched",
        )
    refuse_while_referenced(intervention, (), _("Cancel it instead."))
    gone = bus.EventRecord(
        "intervention.deleted",
        subject_type="intervention",
        subject_id=intervention.pk,
        subject_label=f"{intervention.reference} {intervention.title}",
        service=intervention.service,
        payload={"intervention": None, "deleted": intervention_snapshot(intervention)},
        actor=actor,
    )
    intervention.delete()
    bus.emit_many([gone])


@dataclass(frozen=True)
class PositionReport:
    team_id: int
    latitude: float
    longitude: float
    time: datetime


def report_team_position(
    team: Team, latitude: float, longitude: float, time: datetime | None = None, actor=None
) -> Team:
    """A phone or vehicle tracker reports where the team is. Older reports are history only."""
    report = PositionReport(team.pk, latitude, longitude, time or timezone.now())
    report_positions([report], actor=actor)
    team.refresh_from_db()
    return team


@transaction.atomic
def report_positions(reports: list[PositionReport], actor=None) -> int:
    """Record a batch of positions (a tracker gateway sends many at once) in one transaction:
    history rows, each team's latest position, one `team.moved` event per moved team.
    Returns how many teams moved."""
    if not reports:
        return 0
    TeamPosition.objects.bulk_create(
        TeamPosition(team_id=r.team_id, time=r.time, latitude=r.latitude, longitude=r.longitude)
        for r in reports
    )
    latest: dict[int, PositionReport] = {}
    for report in reports:
        if report.team_id not in latest or report.time >= latest[report.team_id].time:
            latest[report.team_id] = report
    # Locked in id order so two concurrent batches cannot deadlock.
    teams = {
        team.pk: team
        for team in Team.objects.select_for_update().filter(pk__in=latest).order_by("pk")
    }
    moved = []
    # A position dated ahead of the clock (stored before times were checked at the door)
    # would hold the team there forever: any real report replaces it.
    ahead = timezone.now() + inputs.measured_time_tolerance()
    for team_id, report in latest.items():
        team = teams[team_id]
        known = team.position_at
        if known is None or known > ahead or report.time >= known:
            team.latitude, team.longitude = report.latitude, report.longitude
            team.position_at = team.updated_at = report.time
            moved.append(team)
    _store_latest_positions(moved)
    bus.emit_many(
        [
            bus.EventRecord(
                "team.moved",
                subject_type="team",
                subject_id=team.pk,
                subject_label=team.call_sign,
                service=team.service,
                payload={"team": team_snapshot(team)},
                actor=actor,
            )
            for team in moved
        ]
    )
    return len(moved)


def _store_latest_positions(teams: list[Team]) -> None:
    """Write the teams' new positions. Django's bulk_update builds one CASE per column and
    row, far too slow for a tracker's batch; PostgreSQL takes one UPDATE ... FROM VALUES."""
    if not teams:
        return
    if connection.vendor != "postgresql":
        for team in teams:
            Team.objects.filter(pk=team.pk).update(
                latitude=team.latitude,
                longitude=team.longitude,
                position_at=team.position_at,
                updated_at=team.updated_at,
            )
        return
    rows = ", ".join(["(%s::bigint, %s::float8, %s::float8, %s::timestamptz)"] * len(teams))
    params = [
        value
        for team in teams
        for value in (team.pk, team.latitude, team.longitude, team.position_at)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Team._meta.db_table} AS team SET latitude = moved.latitude, "
            "longitude = moved.longitude, position_at = moved.position_at, "
            "updated_at = moved.position_at "
            f"FROM (VALUES {rows}) AS moved (id, latitude, longitude, position_at) "
            "WHERE team.id = moved.id",
            params,
        )


def _locked(intervention: Intervention) -> Intervention:
    return Intervention.objects.select_for_update().get(pk=intervention.pk)


def _check_transition(intervention: Intervention, to_status: str) -> None:
    if to_status not in TRANSITIONS[intervention.status]:
        allowed = ", ".join(allowed_transitions(intervention)) or "none"
        raise Conflict(
            _("%(reference)s is %(status)s: cannot go to %(label)s (allowed: %(allowed)s).")
            % {
                "reference": intervention.reference,
                "status": intervention.get_status_display().lower(),
                "label": Status(to_status).label.lower(),
                "allowed": allowed,
            },
            code="invalid_transition",
        )


def _apply_status(
    intervention: Intervention, to_status: str, actor, now: datetime, **payload
) -> None:
    """Move to `to_status`, stamp the step's time, record `intervention.status_changed`."""
    previous = intervention.status
    if previous in (Status.REPORTED,) and to_status == Status.DISPATCHED:
        intervention.qualified_at = intervention.qualified_at or now
    intervention.status = to_status
    setattr(intervention, f"{to_status}_at", now)
    intervention.save()
    if to_status in FINISHED:
        _release_all(intervention, actor, now)
    teams = [team_snapshot(a.team) for a in intervention.assignments.select_related("team")]
    record_intervention_event(
        "intervention.status_changed",
        intervention,
        actor,
        previous_status=previous,
        teams=teams,
        **payload,
    )


@transaction.atomic
def change_status(
    intervention: Intervention, to_status: str, actor=None, note: str = ""
) -> Intervention:
    """Move an intervention along its lifecycle; anything not allowed is a 409 Conflict."""
    intervention = _locked(intervention)
    _check_transition(intervention, to_status)
    if (
        to_status == Status.DISPATCHED
        and not intervention.assignments.filter(released_at=None).exists()
    ):
        raise Conflict(_("Assign a team to dispatch the intervention."), code="no_team")
    _apply_status(intervention, to_status, actor, timezone.now(), note=note)
    return intervention


def _set_team_status(team: Team, status: str, actor, **payload) -> None:
    if team.status == status:
        return
    previous = team.status
    team.status = status
    team.save(update_fields=["status", "updated_at"])
    record_team_event("team.status_changed", team, actor, previous_status=previous, **payload)


def _release(assignment: Assignment, actor, now: datetime) -> None:
    assignment.released_at = now
    assignment.save(update_fields=["released_at"])
    team = Team.objects.select_for_update().get(pk=assignment.team_id)
    if team.status == Team.Status.BUSY:
        _set_team_status(
            team, Team.Status.AVAILABLE, actor, intervention=assignment.intervention.reference
        )


def _release_all(intervention: Intervention, actor, now: datetime) -> None:
    assignments = list(intervention.assignments.filter(released_at=None).order_by("team_id"))
    # Every team is locked before the first team's event: a team locked after an event would
    # wait, holding the events sequence, for a phone reporting its position (which holds
    # the team and waits for the sequence).
    list(
        Team.objects.select_for_update()
        .filter(pk__in=[a.team_id for a in assignments])
        .order_by("pk")
    )
    for assignment in assignments:
        _release(assignment, actor, now)


@transaction.atomic
def assign_team(intervention: Intervention, team: Team, actor=None) -> Assignment:
    """Send a team. Two dispatchers sending the same team at once: the database's
    one-active-assignment-per-team constraint lets exactly one through; the other gets 409."""
    intervention = _locked(intervention)
    if intervention.status not in ASSIGNABLE:
        raise Conflict(
            _("%(reference)s is %(status)s: no team can be sent.")
            % {
                "reference": intervention.reference,
                "status": intervention.get_status_display().lower(),
            },
            code="invalid_transition",
        )
    team.refresh_from_db()
    if team.status != Team.Status.AVAILABLE:
        raise Conflict(
            f"{team.call_sign} is {team.get_status_display().lower()}.", code="team_unavailable"
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                intervention=intervention,
                team=team,
                assigned_at=now,
                assigned_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise Conflict(
            _("%(call_sign)s was just assigned elsewhere by someone else; choose another team.")
            % {"call_sign": team.call_sign},
            code="team_taken",
        ) from None
    team = Team.objects.select_for_update().get(pk=team.pk)
    _set_team_status(team, Team.Status.BUSY, actor, intervention=intervention.reference)
    if intervention.status in (Status.REPORTED, Status.QUALIFIED):
        _apply_status(intervention, Status.DISPATCHED, actor, now, team=team.call_sign)
    else:
        record_intervention_event(
            "intervention.team_assigned", intervention, actor, team=team_snapshot(team)
        )
    return assignment


@transaction.atomic
def release_team(intervention: Intervention, team: Team, actor=None) -> Intervention:
    """Call a team back (reassignment); the intervention keeps its status."""
    intervention = _locked(intervention)
    assignment = intervention.assignments.filter(team=team, released_at=None).first()
    if assignment is None:
        raise Conflict(
            _("%(call_sign)s is not assigned to %(reference)s.")
            % {"call_sign": team.call_sign, "reference": intervention.reference}
        )
    _release(assignment, actor, timezone.now())
    record_intervention_event(
        "intervention.team_released", intervention, actor, team=team_snapshot(team)
    )
    return intervention


def active_assignment(team: Team) -> Assignment | None:
    return (
        Assignment.objects.select_related("intervention")
        .filter(team=team, released_at=None)
        .first()
    )


FIELD_STEPS = {"en_route": Status.EN_ROUTE, "on_site": Status.ON_SITE, "done": Status.RESOLVED}


@transaction.atomic
def report_progress(team: Team, step: str, actor=None, note: str = "") -> Intervention:
    """A field team reports en route / on site / done on its own current assignment.

    With several teams on one intervention, the first report of a step moves the
    intervention; a later team's report of a step already passed is recorded, not refused.
    "done" releases the team; the intervention is resolved when its last team is done.
    """
    if step not in FIELD_STEPS:
        raise Conflict(_("Unknown step %(step)r.") % {"step": step}, code="unknown_step")
    assignment = active_assignment(team)
    if assignment is None:
        raise Conflict(
            _("%(call_sign)s has no current assignment.") % {"call_sign": team.call_sign},
            code="no_assignment",
        )
    intervention = _locked(assignment.intervention)
    now = timezone.now()
    target = FIELD_STEPS[step]
    if step == "done":
        _release(assignment, actor, now)
        others_active = intervention.assignments.filter(released_at=None).exists()
        if others_active:
            record_intervention_event(
                "intervention.team_done", intervention, actor, team=team_snapshot(team), note=note
            )
            return intervention
        if intervention.status in (Status.DISPATCHED, Status.EN_ROUTE):
            _apply_status(intervention, Status.ON_SITE, actor, now, team=team.call_sign)
    if target in TRANSITIONS[intervention.status]:
        if target == Status.ON_SITE and intervention.status == Status.DISPATCHED:
            intervention.en_route_at = intervention.en_route_at or now
        _apply_status(intervention, target, actor, now, team=team.call_sign, note=note)
    elif STEP_ORDER.index(intervention.status) >= STEP_ORDER.index(target):
        record_intervention_event(
            f"intervention.team_{step}", intervention, actor, team=team_snapshot(team), note=note
        )
    else:
        _check_transition(intervention, target)
    return intervention

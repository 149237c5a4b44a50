"""Planned commands: a selection's action every week on some days at a local time, or once.

Carried out by the periodic job `supervision.tasks.run_command_schedules` (Celery beat in
production, the in-process beat on the embedded default): each run sends a selection the
way the console does (supervision/console/selection.py) and is an event. A schedule never
fights a crisis mode: while one is active its runs are held (`schedule.held`); the first
check after the mode ended carries out the run held (`schedule.ran`, `resumed`), so the
devices take the schedule's state again after the crisis' rollback.
"""

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from equipment import catalogue
from equipment.catalogue import InvalidCommand
from ondijon import bus
from supervision.console import selection as selections
from supervision.console import services
from supervision.crisis import services as crisis
from supervision.models import CommandSchedule

logger = logging.getLogger(__name__)

FIELDS = ("name", "criteria", "action", "params", "reason", "weekdays", "time", "run_at", "active")


def next_occurrence(schedule: CommandSchedule, after: dt.datetime) -> dt.datetime | None:
    """The schedule's first run strictly after `after` (None: a one-off already past)."""
    if schedule.run_at is not None and not schedule.weekdays:
        return schedule.run_at if schedule.run_at > after else None
    if schedule.time is None or not schedule.weekdays:
        return None
    local = timezone.localtime(after)
    zone = local.tzinfo
    for offset in range(8):
        day = local.date() + dt.timedelta(days=offset)
        if day.weekday() not in schedule.weekdays:
            continue
        moment = timezone.make_aware(dt.datetime.combine(day, schedule.time), zone)
        if moment > after:
            return moment
    return None


def check(schedule: CommandSchedule) -> None:
    """Field errors (ValidationError) for a schedule that could not run."""
    errors: dict[str, list] = {}
    try:
        criteria = selections.clean_criteria(schedule.criteria)
        schedule.criteria = criteria
        schedule.params = catalogue.clean_params(criteria["kind"], schedule.action, schedule.params)
    except InvalidCommand as error:
        for name, messages in error.errors.items():
            field = name if name in ("action", "params") else "criteria"
            errors.setdefault(field, []).extend(
                messages if isinstance(messages, list) else [str(messages)]
            )
    if not str(schedule.reason or "").strip():
        errors["reason"] = [_("Say why these commands are sent.")]
    weekdays = schedule.weekdays
    if not isinstance(weekdays, list) or any(
        isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6 for day in weekdays
    ):
        errors["weekdays"] = [_("Days of the week, 0 (Monday) to 6 (Sunday).")]
    elif weekdays:
        schedule.weekdays = sorted(set(weekdays))
        if schedule.time is None:
            errors["time"] = [_("A weekly schedule needs its time of day.")]
        if schedule.run_at is not None:
            errors["run_at"] = [_("Either weekly days and a time, or one date: not both.")]
    elif schedule.run_at is None:
        errors["run_at"] = [_("Give weekly days and a time, or one date and time.")]
    if errors:
        raise ValidationError(errors)


def schedule_snapshot(schedule: CommandSchedule) -> dict[str, Any]:
    return {
        "id": schedule.pk,
        "name": schedule.name,
        "criteria": schedule.criteria,
        "action": schedule.action,
        "params": schedule.params,
        "reason": schedule.reason,
        "weekdays": schedule.weekdays,
        "time": schedule.time.strftime("%H:%M") if schedule.time else None,
        "run_at": schedule.run_at.isoformat() if schedule.run_at else None,
        "active": schedule.active,
        "next_run_at": schedule.next_run_at.isoformat() if schedule.next_run_at else None,
        "held_since": schedule.held_since.isoformat() if schedule.held_since else None,
        "last_run_at": schedule.last_run_at.isoformat() if schedule.last_run_at else None,
    }


def schedule_event(kind: str, schedule: CommandSchedule, actor=None, **payload) -> None:
    bus.emit(
        kind,
        subject_type="schedule",
        subject_id=schedule.pk,
        subject_label=schedule.name,
        payload={"schedule": schedule_snapshot(schedule), **payload},
        actor=actor,
    )


def plan_next(schedule: CommandSchedule, now: dt.datetime) -> None:
    schedule.next_run_at = next_occurrence(schedule, now) if schedule.active else None


@transaction.atomic
def create_schedule(data: dict, actor=None) -> CommandSchedule:
    fields = {name: data[name] for name in FIELDS if name in data}
    user = actor if getattr(actor, "is_authenticated", False) else None
    schedule = CommandSchedule(created_by=user, **fields)
    check(schedule)
    schedule.full_clean()
    plan_next(schedule, timezone.now())
    schedule.save()
    schedule_event("schedule.created", schedule, actor)
    return schedule


@transaction.atomic
def update_schedule(schedule: CommandSchedule, changes: dict, actor=None) -> CommandSchedule:
    schedule = CommandSchedule.objects.select_for_update().get(pk=schedule.pk)
    for name in FIELDS:
        if name in changes:
            setattr(schedule, name, changes[name])
    check(schedule)
    schedule.full_clean()
    plan_next(schedule, timezone.now())
    if not schedule.active:
        schedule.held_since = None
    schedule.save()
    schedule_event("schedule.updated", schedule, actor, fields=sorted(set(changes) & set(FIELDS)))
    return schedule


@transaction.atomic
def delete_schedule(schedule: CommandSchedule, actor=None) -> None:
    schedule = CommandSchedule.objects.select_for_update().get(pk=schedule.pk)
    snapshot = schedule_snapshot(schedule)
    bus.emit(
        "schedule.deleted",
        subject_type="schedule",
        subject_id=schedule.pk,
        subject_label=schedule.name,
        payload={"schedule": None, "deleted": snapshot},
        actor=actor,
    )
    schedule.delete()


def parse_console_fields(body: dict, partial: bool = False) -> dict:
    """A schedule as the console sends it (JSON: `selection`, `time` "HH:MM", `run_at` ISO
    local time, `active` true or false), as `create_schedule` takes it; with `partial` only
    the fields given (an edit). ValidationError by field for a malformed one."""
    errors: dict[str, list] = {}
    data: dict[str, Any] = {}

    def given(key: str) -> bool:
        return not partial or key in body

    if given("name"):
        data["name"] = str(body.get("name") or "").strip()[:150]
        if not data["name"]:
            errors["name"] = [_("Name the schedule.")]
    if given("selection"):
        data["criteria"] = body.get("selection") or {}
    for key in ("action", "reason"):
        if given(key):
            data[key] = str(body.get(key) or "")
    if given("params"):
        data["params"] = body.get("params") or {}
    if given("weekdays"):
        data["weekdays"] = body.get("weekdays") or []
    if given("time"):
        data["time"] = None
        if body.get("time"):
            try:
                data["time"] = dt.time.fromisoformat(str(body["time"]))
            except ValueError:
                errors["time"] = [_("A time of day, HH:MM.")]
    if given("run_at"):
        data["run_at"] = None
        if body.get("run_at"):
            try:
                moment = dt.datetime.fromisoformat(str(body["run_at"]))
                data["run_at"] = (
                    moment if timezone.is_aware(moment) else timezone.make_aware(moment)
                )
            except ValueError:
                errors["run_at"] = [_("A date and time.")]
    if "active" in body:
        if isinstance(body["active"], bool):
            data["active"] = body["active"]
        else:
            errors["active"] = [_("True or false.")]
    if errors:
        raise ValidationError(errors)
    return data


def kind_of(criteria: Any) -> str | None:
    return criteria.get("kind") if isinstance(criteria, dict) else None


def create_from_console(body: dict, confirmed: bool, actor) -> CommandSchedule:
    """A schedule written on the console: its action confirmed, as sending it now would be."""
    data = parse_console_fields(body)
    if errors := services.unconfirmed(kind_of(data["criteria"]), confirmed):
        raise ValidationError(errors)
    return create_schedule(data, actor)


# Changes that alter neither what a schedule sends nor when: no confirmation needed, even for
# a public-safety action (pausing a market's bollard plan makes nothing move).
UNCONFIRMED_EDITS = frozenset({"name", "reason", "active"})


def update_from_console(
    schedule: CommandSchedule, body: dict, confirmed: bool, actor
) -> CommandSchedule:
    """A schedule edited on the console: only the fields given change. A public-safety action
    whose selection, action, parameters or times change, or that is resumed, is confirmed
    again, as sending it now would be."""
    changes = parse_console_fields(body, partial=True)
    rearmed = bool(set(changes) - UNCONFIRMED_EDITS) or changes.get("active") is True
    kind = kind_of(changes.get("criteria", schedule.criteria))
    if rearmed and (errors := services.unconfirmed(kind, confirmed)):
        raise ValidationError(errors)
    return update_schedule(schedule, changes, actor)


# --- Carrying them out ----------------------------------------------------------------------


def run_due_schedules(now: dt.datetime | None = None) -> dict[str, int]:
    """Run each schedule that is due (or was held by a crisis mode now ended); hold them
    while a mode is active. Each schedule in its own transaction."""
    now = now or timezone.now()
    due = CommandSchedule.objects.filter(active=True).filter(
        Q(next_run_at__lte=now) | Q(held_since__isnull=False)
    )
    counts = {"ran": 0, "held": 0, "failed": 0}
    for schedule_id in due.order_by("next_run_at", "pk").values_list("pk", flat=True):
        with transaction.atomic():
            schedule = (
                CommandSchedule.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("created_by")
                .filter(pk=schedule_id, active=True)
                .first()
            )
            if schedule is None:
                continue
            counts[carry_out(schedule, now)] += 1
    return counts


def carry_out(schedule: CommandSchedule, now: dt.datetime) -> str:
    mode = crisis.current_activation()
    due = schedule.next_run_at is not None and schedule.next_run_at <= now
    if mode is not None:
        if not due:
            return "held"  # already held, and nothing new is due
        schedule.held_since = schedule.held_since or schedule.next_run_at
        plan_next(schedule, now)
        schedule.save(update_fields=["held_since", "next_run_at"])
        schedule_event("schedule.held", schedule, mode=mode.mode.code)
        return "held"
    resumed = schedule.held_since is not None
    outcome = "ran"
    try:
        with transaction.atomic():
            sent = selections.send_to_selection(
                schedule.criteria,
                schedule.action,
                schedule.params,
                reason=f"{schedule.name}: {schedule.reason}",
                # Confirmed when the schedule was written; it runs unattended.
                confirmed=True,
                actor=schedule.created_by,
            )
        schedule.last_selection = sent
        payload = {"selection": sent.pk, "devices": len(sent.devices), "resumed": resumed}
    except InvalidCommand as error:  # no device matches any more, a site was removed…
        outcome, payload = "failed", {"errors": error.errors, "resumed": resumed}
    schedule.last_run_at, schedule.held_since = now, None
    plan_next(schedule, now)
    if schedule.next_run_at is None:
        schedule.active = False  # a one-off, done
    schedule.save(
        update_fields=["last_run_at", "held_since", "next_run_at", "active", "last_selection"]
    )
    schedule_event("schedule.ran" if outcome == "ran" else "schedule.failed", schedule, **payload)
    return outcome

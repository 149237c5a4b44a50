"""Crisis modes: one switch that runs a playbook, shows its progress, and rolls it back.

Activation runs the mode's actions in order (commands to selections of equipment, hotline
24/7, call-back campaign, wall banner, public message), each step logged. Deactivation puts
every device the playbook changed back to the state it had before, and reports what could
not be restored. The city's mode is announced as `city.mode_changed`.
"""

import inspect
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from equipment import commands
from equipment.models import Command, Equipment
from ondijon import bus
from ondijon.api_errors import Conflict

from .models import ActivationCommand, CrisisMode, ModeActivation, PlaybookAction

NORMAL_MODE = {"code": "normal", "name": "Normal", "banner": "", "hotline_24_7": False}
Type = PlaybookAction.Type


# --- Playbook definition -------------------------------------------------------------------


def check_action(action: PlaybookAction) -> dict[str, list[str]]:
    """Field errors of a playbook action, so a bad playbook is refused when it is saved."""
    if action.type == Type.COMMAND:
        if not action.equipment_kind:
            return {"equipment_kind": ["A command needs the kind of equipment it goes to."]}
        try:
            commands.clean_params(action.equipment_kind, action.command, action.params)
        except commands.InvalidCommand as error:
            return {
                {"action": "command", "equipment": "equipment_kind"}.get(name, name): [
                    str(message) for message in flatten(messages)
                ]
                for name, messages in error.errors.items()
            }
    if action.type in (Type.WALL_BANNER, Type.PUBLIC_MESSAGE) and not action.text.strip():
        return {"text": ["A banner or message needs its text."]}
    return {}


def flatten(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [f"{name}: {m}" for name, inner in messages.items() for m in flatten(inner)]
    return list(messages)


def select_equipment(action: PlaybookAction) -> QuerySet:
    """The devices a command step goes to: its kind, and its district and tag if given."""
    devices = Equipment.objects.filter(kind=action.equipment_kind).order_by("pk")
    if action.district_id:
        devices = devices.filter(district_id=action.district_id)
    if action.tag:
        if connection.features.supports_json_field_contains:
            devices = devices.filter(tags__contains=[action.tag])
        else:  # SQLite: filter the tag lists here
            ids = [pk for pk, tags in devices.values_list("pk", "tags") if action.tag in tags]
            devices = devices.filter(pk__in=ids)
    return devices


def describe(action: PlaybookAction) -> str:
    if action.type == Type.COMMAND:
        where = " ".join(
            part
            for part in (
                f"in {action.district}" if action.district_id else "",
                f"tagged {action.tag}" if action.tag else "",
            )
            if part
        )
        params = ", ".join(f"{k}={v}" for k, v in action.params.items() if k != "allow")
        return f"{action.command}{f' ({params})' if params else ''} → every {action.equipment_kind} {where}".strip()
    if action.type in (Type.WALL_BANNER, Type.PUBLIC_MESSAGE):
        return f"{action.get_type_display()}: {action.text[:80]}"
    return action.get_type_display()


# --- The city's current mode -----------------------------------------------------------------


def current_activation() -> ModeActivation | None:
    return (
        ModeActivation.objects.select_related("mode")
        .filter(status=ModeActivation.Status.ACTIVE)
        .first()
    )


def mode_snapshot(activation: ModeActivation | None) -> dict:
    """The mode as the wall draws it (payload of `city.mode_changed`)."""
    if activation is None or activation.status != ModeActivation.Status.ACTIVE:
        return dict(NORMAL_MODE)
    return {
        "code": activation.mode.code,
        "name": activation.mode.name,
        "banner": activation.banner,
        "hotline_24_7": activation.hotline_24_7,
    }


def activation_snapshot(activation: ModeActivation) -> dict:
    return {
        "id": activation.pk,
        "mode": activation.mode.code,
        "status": activation.status,
        "activated_at": activation.activated_at.isoformat(),
        "deactivated_at": (
            activation.deactivated_at.isoformat() if activation.deactivated_at else None
        ),
    }


def activation_event(kind: str, activation: ModeActivation, actor=None, **payload) -> None:
    bus.emit(
        kind,
        subject_type="crisis",
        subject_id=activation.pk,
        subject_label=activation.mode.name,
        payload={"activation": activation_snapshot(activation), **payload},
        actor=actor,
        service="crisis",
    )


def announce_mode(activation: ModeActivation | None, actor=None) -> None:
    mode = mode_snapshot(activation)
    bus.emit(
        "city.mode_changed",
        subject_type="city",
        subject_id="mode",
        subject_label=mode["name"],
        payload={"mode": mode},
        actor=actor,
        service="crisis",
    )


# --- Pre-check -------------------------------------------------------------------------------


def precheck(mode: CrisisMode) -> dict:
    """What activating the mode would do: per step, devices selected, offline, to change."""
    steps, offline_total, device_total = [], 0, 0
    for action in mode.actions.select_related("district"):
        step = {"position": action.position, "type": action.type, "summary": describe(action)}
        if action.type == Type.COMMAND:
            devices = list(select_equipment(action).only("code", "kind", "status", "state"))
            params = commands.clean_params(action.equipment_kind, action.command, action.params)
            target = commands.expected_state(action.equipment_kind, action.command, params)
            offline = [d.code for d in devices if d.status == Equipment.Status.OFFLINE]
            changing = [
                d
                for d in devices
                if d.status != Equipment.Status.OFFLINE
                and any(d.state.get(key) != value for key, value in target.items())
            ]
            step.update(
                devices=len(devices),
                offline=len(offline),
                offline_codes=offline[:50],
                will_change=len(changing),
                unchanged=len(devices) - len(offline) - len(changing),
            )
            offline_total += len(offline)
            device_total += len(devices)
        steps.append(step)
    return {
        "mode": {"code": mode.code, "name": mode.name},
        "current_mode": mode_snapshot(current_activation()),
        "steps": steps,
        "devices": device_total,
        "offline": offline_total,
    }


# --- Activation --------------------------------------------------------------------------


def hotline_service(name: str):
    """A hotline function by name, or None when this version of the hotline lacks it.

    The hotline app owns its 24/7 switch and its call-back campaigns; the playbook only
    asks for them.
    """
    from hotline import services as hotline_services

    return getattr(hotline_services, name, None)


def set_hotline_round_the_clock(enabled: bool, actor) -> str:
    function = hotline_service("set_round_the_clock")
    if function is None:
        return "skipped: the hotline has no set_round_the_clock yet"
    function(enabled, actor)
    return "done"


def start_callback_campaign(activation: ModeActivation, actor) -> str:
    function = hotline_service("start_callback_campaign")
    if function is None:
        return "skipped: the hotline has no start_callback_campaign yet"
    call_with_supported(
        function,
        name=f"{activation.mode.name}: {activation.reason}"[:150],
        crisis=campaign_crisis(activation.mode.code),
        actor=actor,
        reason=activation.reason,
    )
    return "done"


def campaign_crisis(mode_code: str) -> str:
    """The hotline's kind of crisis for a mode: the same code where it has one, else other."""
    try:
        from hotline.models import CallbackCampaign
    except ImportError:
        return "other"
    return mode_code if mode_code in CallbackCampaign.Crisis.values else "other"


def call_with_supported(function, **available):
    """Call a hotline function with those of our arguments it declares (it evolves apart)."""
    parameters = inspect.signature(function).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return function(**available)
    return function(**{name: value for name, value in available.items() if name in parameters})


def run_step(activation: ModeActivation, action: PlaybookAction, actor) -> dict:
    step = {"position": action.position, "type": action.type, "summary": describe(action)}
    if action.type == Type.COMMAND:
        devices = list(select_equipment(action))
        sent = commands.request_commands(
            devices,
            action.command,
            action.params,
            reason=f"{activation.mode.name}: {activation.reason}",
            actor=actor,
            origin=f"crisis:{activation.pk}",
        )
        ActivationCommand.objects.bulk_create(
            ActivationCommand(
                activation=activation,
                command=command,
                phase=ActivationCommand.Phase.APPLY,
                step=action.position,
            )
            for command in sent
        )
        failed = sum(c.status == Command.Status.FAILED for c in sent)
        step.update(status="sent", commands=len(sent), failed_at_once=failed)
    elif action.type == Type.HOTLINE_24_7:
        activation.hotline_24_7 = True
        step["status"] = set_hotline_round_the_clock(True, actor)
    elif action.type == Type.CALLBACK_CAMPAIGN:
        step["status"] = start_callback_campaign(activation, actor)
    elif action.type == Type.WALL_BANNER:
        activation.banner = action.text[:300]
        step["status"] = "done"
    elif action.type == Type.PUBLIC_MESSAGE:
        activation.public_message = action.text
        step["status"] = "done"
    return step


@transaction.atomic
def activate(mode: CrisisMode, actor, reason: str, confirmed: bool) -> ModeActivation:
    """Switch the city into `mode` after the supervisor confirmed the pre-check."""
    errors = {}
    if not confirmed:
        errors["confirm"] = ["Review the pre-check, then confirm the activation."]
    if not str(reason or "").strip():
        errors["reason"] = ["Say why the city changes mode."]
    if errors:
        raise ValidationError(errors)
    current = ModeActivation.objects.select_for_update().filter(status=ModeActivation.Status.ACTIVE)
    if current.exists():
        raise Conflict(
            f"The city is already in mode {current.get().mode.name}: deactivate it first.",
            code="mode_active",
        )
    activation = ModeActivation.objects.create(
        mode=mode,
        reason=reason.strip()[:300],
        activated_by=actor if getattr(actor, "is_authenticated", False) else None,
        activated_at=timezone.now(),
    )
    activation_event("crisis.activated", activation, actor, reason=activation.reason)
    for action in mode.actions.select_related("district"):
        step = run_step(activation, action, actor)
        activation.steps.append(step)
        activation_event("crisis.step_done", activation, actor, step=step)
    activation.save(update_fields=["steps", "banner", "public_message", "hotline_24_7"])
    announce_mode(activation, actor)
    return activation


# --- Progress and retries ----------------------------------------------------------------------


def phase_commands(activation: ModeActivation, phase: str) -> QuerySet:
    return Command.objects.filter(
        activation_link__activation=activation, activation_link__phase=phase
    )


def progress(activation: ModeActivation, phase: str = ActivationCommand.Phase.APPLY) -> dict:
    """n of m acknowledged, and the failures by device, for the supervisor's progress view."""
    rows = phase_commands(activation, phase)
    counts = Counter(rows.values_list("status", flat=True))
    failures = [
        {"command": pk, "equipment": code, "status": status, "error": error}
        for pk, code, status, error in rows.filter(
            status__in=[Command.Status.FAILED, Command.Status.TIMED_OUT]
        )
        .order_by("pk")
        .values_list("pk", "equipment__code", "status", "error")[:200]
    ]
    total = sum(counts.values())
    finished = sum(counts[s] for s in (Command.Status.ACKNOWLEDGED, *FAILED))
    return {
        "phase": phase,
        "total": total,
        "acknowledged": counts[Command.Status.ACKNOWLEDGED],
        "failed": sum(counts[s] for s in FAILED),
        "pending": total - finished,
        "failures": failures,
    }


FAILED = (Command.Status.FAILED, Command.Status.TIMED_OUT)


def retry_failures(activation: ModeActivation, actor) -> int:
    """Send the failed and timed-out commands of the current phase again."""
    phase = (
        ActivationCommand.Phase.APPLY
        if activation.status == ModeActivation.Status.ACTIVE
        else ActivationCommand.Phase.RESTORE
    )
    failed = list(phase_commands(activation, phase).filter(status__in=FAILED))
    retried = commands.retry_commands(failed, actor)
    activation_event(
        "crisis.retried", activation, actor, phase=phase, commands=[c.pk for c in retried]
    )
    return sum(c.status == Command.Status.REQUESTED for c in retried)


# --- Deactivation and rollback -----------------------------------------------------------------


def states_before(activation: ModeActivation) -> dict[int, dict]:
    """Per device, the values the playbook's commands found before they changed them."""
    before: dict[int, dict] = {}
    applied = (
        phase_commands(activation, ActivationCommand.Phase.APPLY)
        .exclude(status=Command.Status.FAILED)  # a refused command changed nothing
        .order_by("pk")
        .values_list("equipment_id", "previous_state")
    )
    for equipment_id, previous in applied:
        values = before.setdefault(equipment_id, {})
        for key, value in previous.items():
            values.setdefault(key, value)
    return before


def restoring_orders(activation: ModeActivation) -> list[tuple[Equipment, str, dict]]:
    before = states_before(activation)
    orders = []
    for device in Equipment.objects.filter(pk__in=before).order_by("pk"):
        wanted = before[device.pk]
        if all(device.state.get(key) == value for key, value in wanted.items()):
            continue  # already as it was
        for action, params in commands.restoring_actions(device.kind, wanted):
            orders.append((device, action, commands.clean_params(device.kind, action, params)))
    return orders


@transaction.atomic
def deactivate(activation: ModeActivation, actor, reason: str = "") -> ModeActivation:
    """Back to normal: every changed device restored, hotline hours and messages reset."""
    activation = (
        ModeActivation.objects.select_for_update().select_related("mode").get(pk=activation.pk)
    )
    if activation.status != ModeActivation.Status.ACTIVE:
        raise Conflict("This crisis mode is not active.", code="mode_not_active")
    restore = commands.create_commands(
        restoring_orders(activation),
        reason=f"End of {activation.mode.name}: {reason or 'back to normal'}",
        actor=actor,
        origin=f"crisis:{activation.pk}:restore",
    )
    ActivationCommand.objects.bulk_create(
        ActivationCommand(activation=activation, command=c, phase=ActivationCommand.Phase.RESTORE)
        for c in restore
    )
    hotline = set_hotline_round_the_clock(False, actor) if activation.hotline_24_7 else "unchanged"
    activation.status = ModeActivation.Status.ENDED
    activation.deactivated_at = timezone.now()
    activation.deactivated_by = actor if getattr(actor, "is_authenticated", False) else None
    activation.save(update_fields=["status", "deactivated_at", "deactivated_by"])
    activation_event(
        "crisis.deactivated",
        activation,
        actor,
        reason=reason,
        restore_commands=len(restore),
        not_restorable=[c.equipment.code for c in restore if c.status == Command.Status.FAILED],
        hotline=hotline,
    )
    announce_mode(None, actor)
    return activation


def restore_report(activation: ModeActivation) -> dict:
    """After deactivation: how many devices were put back, and which could not be."""
    report = progress(activation, ActivationCommand.Phase.RESTORE)
    report["not_restored"] = report.pop("failures")
    return report

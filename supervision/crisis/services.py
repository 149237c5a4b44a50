"""Crisis modes: one switch that runs a playbook, shows its progress, and rolls it back.

Switching is one short transaction: it records the activation and its plan (every command to
send, with the values each device had before, which the rollback puts back), puts the wall
banner and the public message in force, announces the mode, and logs it. The plan is then
carried out in the playbook's order by a background job (`send_plan`: a Celery task in
production, the in-process jobs thread on the embedded default): commands in batches of
`CRISIS_SEND_BATCH`, the hotline's 24/7 switch and call-back campaign, each batch or step in
its own short transaction. So the request returns at once, the events log's numbering lock
(held from a transaction's first event to its commit) is never held for the whole playbook,
and a failure mid-way leaves whole batches sent and the rest planned: a retry resumes.

Deactivation is the same: a short transaction ends the mode and plans the restoring
commands; batches send them; the report says what could not be restored.
"""

from collections import Counter
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from equipment import catalogue, commands
from equipment.models import FINISHED_COMMAND_STATUSES, Command, Equipment
from hotline import services as hotline_services
from hotline.models import CallbackCampaign
from ondijon import bus, jobs
from ondijon.api.errors import Conflict
from ondijon.deletion import refuse_while_referenced
from supervision.crisis import cap
from supervision.models import ActivationCommand, CrisisMode, ModeActivation, PlaybookAction

# What a playbook step's status says (kept as these words in `ModeActivation.steps`; the
# crisis page shows them translated: crisis/home.html, crisis.js).
STEP_STATUSES = [
    gettext_noop("pending"),
    gettext_noop("sending"),
    gettext_noop("queued"),
    gettext_noop("sent"),
    gettext_noop("done"),
    gettext_noop("sent in part: some expired"),
    gettext_noop("stopped: the mode ended first"),
]


def normal_mode() -> dict:
    """The city's mode when no crisis mode is active, named in the active language."""
    return {"code": "normal", "name": _("Normal"), "banner": "", "hotline_24_7": False}


Type = PlaybookAction.Type
Phase = ActivationCommand.Phase
# Not carried out: refused, unanswered, or dropped past its deadline.
FAILED = (Command.Status.FAILED, Command.Status.TIMED_OUT, Command.Status.EXPIRED)


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
        return normal_mode()
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
            params = catalogue.clean_params(action.equipment_kind, action.command, action.params)
            target = catalogue.expected_state(action.equipment_kind, action.command, params)
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


# --- Steps other than commands -------------------------------------------------------------


def set_hotline_round_the_clock(enabled: bool, actor) -> str:
    """The hotline owns its 24/7 switch; the playbook only throws it (and back)."""
    hotline_services.set_round_the_clock(enabled, actor)
    return "done"


def start_callback_campaign(activation: ModeActivation, actor) -> str:
    """The hotline calls back everyone on its register of isolated people."""
    hotline_services.start_callback_campaign(
        name=f"{activation.mode.name}: {activation.reason}"[:150],
        crisis=campaign_crisis(activation.mode.code),
        actor=actor,
    )
    return "done"


def campaign_crisis(mode_code: str) -> str:
    """The hotline's kind of crisis for a mode: the same code where it has one, else other."""
    crises = CallbackCampaign.Crisis
    return mode_code if mode_code in crises.values else crises.OTHER


# --- Switching: a short transaction that records the plan ----------------------------------


def plan_step(activation: ModeActivation, action: PlaybookAction) -> tuple[dict, list]:
    """A playbook step as planned at the switch: its entry in `steps`, and its commands.

    The banner and the public message take effect with the switch itself; commands, the
    hotline's 24/7 switch and the call-back campaign are carried out afterwards, in order.
    """
    step = {
        "position": action.position,
        "type": action.type,
        "summary": describe(action),
        "status": "pending",
    }
    planned = []
    if action.type == Type.COMMAND:
        params = catalogue.clean_params(action.equipment_kind, action.command, action.params)
        changed = catalogue.expected_state(action.equipment_kind, action.command, params)
        offline = 0
        for device_id, status, state in select_equipment(action).values_list(
            "pk", "status", "state"
        ):
            offline += status == Equipment.Status.OFFLINE
            planned.append(
                ActivationCommand(
                    activation=activation,
                    phase=Phase.APPLY,
                    step=action.position,
                    equipment_id=device_id,
                    action=action.command,
                    params=params,
                    previous_state={key: state.get(key) for key in changed},
                )
            )
        step.update(commands=len(planned), offline_at_switch=offline, deadline_s=action.deadline_s)
    elif action.type == Type.HOTLINE_24_7:
        activation.hotline_24_7 = True
    elif action.type == Type.WALL_BANNER:
        activation.banner = action.text[:300]
        step["status"] = "done"
    elif action.type == Type.PUBLIC_MESSAGE:
        activation.public_message = action.text
        step["status"] = "done"
    return step, planned


def activate(mode: CrisisMode, actor, reason: str, confirmed: bool) -> ModeActivation:
    """Switch the city into `mode` after the supervisor confirmed the pre-check.

    Returns once the switch is recorded; the plan's commands go out in the background.
    """
    errors = {}
    if not confirmed:
        errors["confirm"] = [_("Review the pre-check, then confirm the activation.")]
    if not str(reason or "").strip():
        errors["reason"] = [_("Say why the city changes mode.")]
    if errors:
        raise ValidationError(errors)
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        current = ModeActivation.objects.select_for_update().filter(
            status=ModeActivation.Status.ACTIVE
        )
        if current.exists():
            raise mode_active(current.get())
        now = timezone.now()
        try:
            with transaction.atomic():
                activation = ModeActivation.objects.create(
                    mode=mode,
                    reason=reason.strip()[:300],
                    activated_by=user,
                    activated_at=now,
                    send_updated_at=now,
                )
        except IntegrityError:  # another supervisor switched at the same instant
            raise mode_active(current.get()) from None
        planned = []
        for action in mode.actions.select_related("district"):
            step, commands_of_step = plan_step(activation, action)
            activation.steps.append(step)
            planned += commands_of_step
        ActivationCommand.objects.bulk_create(planned, batch_size=2000)
        activation.save(update_fields=["steps", "banner", "public_message", "hotline_24_7"])
        alert = cap.publish_alert(activation)
        # Events last: the numbering lock is held from the first event until the commit.
        activation_event(
            "crisis.activated",
            activation,
            actor,
            reason=activation.reason,
            planned_commands=len(planned),
            cap_message=alert.identifier if alert else None,
        )
        for step in activation.steps:
            if step["status"] == "done":
                activation_event("crisis.step_done", activation, actor, step=step)
        announce_mode(activation, actor)
        transaction.on_commit(lambda: start_sending(activation.pk, Phase.APPLY))
    return activation


def mode_active(activation: ModeActivation) -> Conflict:
    return Conflict(
        _("The city is already in mode %(name)s: deactivate it first.")
        % {"name": activation.mode.name},
        code="mode_active",
    )


def start_sending(activation_id: int, phase: str) -> None:
    jobs.run_later("supervision.tasks.send_crisis_plan", activation_id, phase)


# --- Carrying the plan out: batch after batch ------------------------------------------------


def send_plan(activation_id: int, phase: str) -> dict[str, Any]:
    """Send a phase's planned commands (and run the apply phase's other steps) in order.

    Each batch is its own transaction, so a failure rolls back that batch alone: what was
    sent stays sent, the rest stays planned, the error is recorded for the page, and a
    retry (`retry_failures`) resumes. Running it twice is harmless: batches take the
    activation's row lock and only rows still without a command.
    """
    return commands.send_in_batches(
        lambda: carry_out_next(activation_id, phase),
        lambda error: record_send_error(activation_id, phase, error),
        f"Crisis plan {activation_id} ({phase})",
    )


def carry_out_next(activation_id: int, phase: str) -> bool:
    """One batch of commands or one other step; False once there is nothing left to do."""
    activation = (
        ModeActivation.objects.select_for_update(of=("self",))
        .select_related("mode", "activated_by", "deactivated_by")
        .get(pk=activation_id)
    )
    if phase == Phase.RESTORE:
        sent, finished = send_batch(activation, Phase.RESTORE)
        if sent:
            activation.send_updated_at = timezone.now()
            activation.save(update_fields=["send_updated_at"])
        if sent and finished:
            phase_sent_event(activation, Phase.RESTORE)
        return not finished
    if activation.status != ModeActivation.Status.ACTIVE:
        return False  # ended meanwhile: what was not sent stays unsent, and is shown so
    step = next((s for s in activation.steps if s["status"] in ("pending", "sending")), None)
    if step is None:
        return False
    actor = activation.activated_by
    if step["type"] == Type.COMMAND:
        _, finished = send_batch(activation, Phase.APPLY, step)
        # Handed to the background jobs; what was really sent is the commands' own say
        # (`steps_progress`), never this.
        step["status"] = "queued" if finished else "sending"
    elif step["type"] == Type.HOTLINE_24_7:
        step["status"] = set_hotline_round_the_clock(True, actor)
    elif step["type"] == Type.CALLBACK_CAMPAIGN:
        step["status"] = start_callback_campaign(activation, actor)
    else:
        step["status"] = "done"
    activation.send_updated_at = timezone.now()
    activation.save(update_fields=["steps", "send_updated_at"])
    if step["status"] != "sending":
        activation_event("crisis.step_done", activation, actor, step=step)
        # (for a command step: every command is queued; `steps_progress` says when sent)
        if not any(s["status"] in ("pending", "sending") for s in activation.steps):
            phase_sent_event(activation, Phase.APPLY)
    return True


def send_batch(
    activation: ModeActivation, phase: str, step: dict | None = None
) -> tuple[int, bool]:
    """Send the next planned commands of a phase (or of one step): (how many, all sent?).

    A step with a deadline gives its commands that long from the switch: resumed after
    it, they expire rather than go out late.
    """
    size = settings.CRISIS_SEND_BATCH
    unsent = ActivationCommand.objects.filter(
        activation=activation, phase=phase, command__isnull=True
    )
    expires_at = None
    if step is not None:
        unsent = unsent.filter(step=step["position"])
        if step.get("deadline_s"):
            expires_at = activation.activated_at + timedelta(seconds=step["deadline_s"])
    rows = list(unsent.select_related("equipment").order_by("pk")[:size])
    if not rows:
        return 0, True
    if phase == Phase.APPLY:
        actor, origin = activation.activated_by, f"crisis:{activation.pk}"
        reason = f"{activation.mode.name}: {activation.reason}"
    else:
        actor, origin = activation.deactivated_by, f"crisis:{activation.pk}:restore"
        reason = _("End of %(name)s: %(value)s") % {
            "name": activation.mode.name,
            "value": activation.deactivation_reason or _("back to normal"),
        }
    sent = commands.create_commands(
        [(row.equipment, row.action, row.params) for row in rows],
        reason,
        actor,
        origin,
        expires_at=expires_at,
    )
    for row, command in zip(rows, sent, strict=True):
        row.command = command
    ActivationCommand.objects.bulk_update(rows, ["command"])
    return len(rows), len(rows) < size or not unsent.exists()


def phase_sent_event(activation: ModeActivation, phase: str) -> None:
    rows = ActivationCommand.objects.filter(activation=activation, phase=phase)
    activation_event(
        "crisis.commands_sent",
        activation,
        activation.activated_by if phase == Phase.APPLY else activation.deactivated_by,
        phase=phase,
        commands=rows.count(),
    )


def locked_activation(activation_id: int) -> ModeActivation:
    """The activation with its mode, its row locked until the caller's transaction ends."""
    return (
        ModeActivation.objects.select_for_update(of=("self",))
        .select_related("mode")
        .get(pk=activation_id)
    )


def locked_active(activation: ModeActivation) -> ModeActivation:
    """The activation locked (`locked_activation`), refused with a Conflict once it ended."""
    activation = locked_activation(activation.pk)
    if activation.status != ModeActivation.Status.ACTIVE:
        raise Conflict(_("This crisis mode is not active."), code="mode_not_active")
    return activation


def record_send_error(activation_id: int, phase: str, error: Exception) -> None:
    """Say on the activation (and in the log) why sending stopped; nothing else changes."""
    message = f"{type(error).__name__}: {error}"[:500]
    with transaction.atomic():
        activation = locked_activation(activation_id)
        activation.send_error = message
        activation.save(update_fields=["send_error"])
        activation_event("crisis.sending_failed", activation, phase=phase, error=message)


# --- Progress and retries ----------------------------------------------------------------------


def current_phase(activation: ModeActivation) -> str:
    return Phase.APPLY if activation.status == ModeActivation.Status.ACTIVE else Phase.RESTORE


def phase_commands(activation: ModeActivation, phase: str) -> QuerySet:
    return Command.objects.filter(
        activation_link__activation=activation, activation_link__phase=phase
    )


def progress(activation: ModeActivation, phase: str = Phase.APPLY) -> dict:
    """n of m acknowledged (m: every planned command, sent or not yet), failures by device,
    and how sending goes: still sending, stalled, stopped by an error, or cut short."""
    rows = ActivationCommand.objects.filter(activation=activation, phase=phase)
    counts = Counter(rows.values_list("command__status", flat=True))
    failures = [
        {"command": pk, "equipment": code, "status": status, "error": error}
        for pk, code, status, error in rows.filter(command__status__in=FAILED)
        .order_by("pk")
        .values_list("command_id", "equipment__code", "command__status", "command__error")[:200]
    ]
    total = sum(counts.values())
    unsent = counts[None]
    acknowledged = counts[Command.Status.ACKNOWLEDGED]
    failed = sum(counts[s] for s in FAILED)
    waiting = counts[Command.Status.REQUESTED]
    in_phase = phase == current_phase(activation)
    error = activation.send_error if in_phase else ""
    sending = bool(unsent or waiting) and in_phase and not error
    quiet_since = activation.send_updated_at or activation.activated_at
    stalled = sending and timezone.now() - quiet_since > timedelta(
        seconds=settings.CRISIS_STALLED_SECONDS
    )
    return {
        "phase": phase,
        "total": total,
        # Handed to the devices (not merely queued for them).
        "sent": rows.filter(command__sent_at__isnull=False).count(),
        "unsent": unsent,
        "acknowledged": acknowledged,
        "failed": failed,
        "expired": counts[Command.Status.EXPIRED],
        # Queued for the devices but not handed to them yet.
        "waiting": waiting,
        "pending": total - acknowledged - failed,
        "failures": failures,
        "sending": sending,
        "stalled": stalled,
        "error": error,
        # Apply commands never sent because the mode ended first.
        "cut_short": unsent if not in_phase else 0,
    }


def steps_progress(activation: ModeActivation) -> list[dict]:
    """The playbook's steps as the crisis unit reads them: a command step says "sent" only
    once its commands really left (from the commands themselves), with how many did."""
    rows = ActivationCommand.objects.filter(activation=activation, phase=Phase.APPLY)
    per_step: dict[int, Counter] = {}
    for position, status, sent_at in rows.values_list(
        "step", "command__status", "command__sent_at"
    ):
        counts = per_step.setdefault(position, Counter())
        counts["planned"] += 1
        counts["sent"] += sent_at is not None
        counts[status or "unsent"] += 1
    steps = []
    for step in activation.steps:
        step = dict(step)
        if step["type"] == Type.COMMAND:
            counts = per_step.get(step["position"], Counter())
            waiting = counts["unsent"] + counts[Command.Status.REQUESTED]
            step["sent"], step["expired"] = counts["sent"], counts[Command.Status.EXPIRED]
            if step["status"] in ("sending", "queued", "sent"):
                if waiting:
                    step["status"] = "sending"
                elif step["expired"]:
                    step["status"] = "sent in part: some expired"
                else:
                    step["status"] = "sent"
        steps.append(step)
    return steps


def resume_stalled_plans(now=None) -> list[int]:
    """Plans with steps or commands still to send and no progress for CRISIS_RESUME_AFTER_S
    (the worker sending them died) go on by themselves. Running next to a live sender is
    harmless: batches take the activation's row lock and only rows still without a command.
    A plan stopped by an error waits for an operator's Retry."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CRISIS_RESUME_AFTER_S)
    restoring = ActivationCommand.objects.filter(
        activation=OuterRef("pk"), phase=Phase.RESTORE, command__isnull=True
    )
    candidates = ModeActivation.objects.filter(
        Q(status=ModeActivation.Status.ACTIVE) | Q(Exists(restoring)),
        send_error="",
        send_updated_at__lt=cutoff,
    )
    resumed = []
    for activation_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            activation = (
                ModeActivation.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(pk=activation_id, send_updated_at__lt=cutoff)
                .first()
            )
            if activation is None or not work_left(activation):
                continue
            activation.send_updated_at = now
            activation.save(update_fields=["send_updated_at"])
            phase = current_phase(activation)
            activation_event("crisis.resumed", activation, phase=phase)
            transaction.on_commit(lambda pk=activation.pk, phase=phase: start_sending(pk, phase))
            resumed.append(activation.pk)
    return resumed


def work_left(activation: ModeActivation) -> bool:
    phase = current_phase(activation)
    if phase == Phase.APPLY and any(
        step["status"] in ("pending", "sending") for step in activation.steps
    ):
        return True
    return ActivationCommand.objects.filter(
        activation=activation, phase=phase, command__isnull=True
    ).exists()


def retry_failures(activation: ModeActivation, actor) -> int:
    """Send the current phase's failed, timed-out and expired commands again, hand over
    again those still waiting to go out, and resume sending what a stopped (or stalled) run
    left planned. Returns how many commands that is."""
    with transaction.atomic():
        activation = locked_activation(activation.pk)
        phase = current_phase(activation)
        failed = list(
            phase_commands(activation, phase).filter(status__in=(*FAILED, Command.Status.REQUESTED))
        )
        retried = commands.retry_commands(failed, actor)
        unsent = ActivationCommand.objects.filter(
            activation=activation, phase=phase, command__isnull=True
        ).count()
        if unsent:
            activation.send_error = ""
            activation.send_updated_at = timezone.now()
            activation.save(update_fields=["send_error", "send_updated_at"])
            transaction.on_commit(lambda: start_sending(activation.pk, phase))
        again = [c.pk for c in retried if c.status == Command.Status.REQUESTED]
        activation_event(
            "crisis.retried", activation, actor, phase=phase, commands=again, resumed=unsent
        )
    return len(again) + unsent


# --- The public message, amended while the mode lasts -----------------------------------------


def amend_public_message(activation: ModeActivation, text: str, actor) -> ModeActivation:
    """The crisis unit rewrites what citizens are told: the status page shows it at once and
    a CAP Update replaces the alert sent before (an Alert if the mode had no message)."""
    text = str(text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the message citizens will read.")]})
    with transaction.atomic():
        activation = locked_active(activation)
        activation.public_message = text
        activation.save(update_fields=["public_message"])
        message = cap.publish_update(activation)
        activation_event(
            "crisis.public_message_changed",
            activation,
            actor,
            public_message=text,
            cap_message=message.identifier,
        )
    return activation


# --- Deactivation and rollback -----------------------------------------------------------------


def states_before(activation: ModeActivation) -> dict[int, dict]:
    """Per device, the values it had before the playbook's sent commands changed them."""
    return commands.states_before(
        ActivationCommand.objects.filter(
            activation=activation, phase=Phase.APPLY, command__isnull=False
        )
        # A refused command changed nothing, nor did one dropped before it was sent.
        .exclude(command__status__in=(Command.Status.FAILED, Command.Status.EXPIRED))
        .order_by("pk")
        .values_list("equipment_id", "previous_state")
    )


def restoring_orders(activation: ModeActivation) -> list[tuple[int, str, dict]]:
    """(device id, action, cleaned parameters) that put back what the playbook changed."""
    # A device whose command is still on its way will change after this look: restore it.
    in_flight = set(
        ActivationCommand.objects.filter(activation=activation, phase=Phase.APPLY)
        .exclude(command__isnull=True)
        .exclude(command__status__in=FINISHED_COMMAND_STATUSES)
        .values_list("equipment_id", flat=True)
    )
    return commands.restoring_orders(states_before(activation), in_flight)


def deactivate(activation: ModeActivation, actor, reason: str = "") -> ModeActivation:
    """Back to normal: the mode ends now, hotline hours and messages are reset, and the
    restoring commands (planned here) go out in batches afterwards."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        activation = locked_active(activation)
        orders = restoring_orders(activation)
        ActivationCommand.objects.bulk_create(
            [
                ActivationCommand(
                    activation=activation,
                    phase=Phase.RESTORE,
                    equipment_id=device_id,
                    action=action,
                    params=params,
                )
                for device_id, action, params in orders
            ],
            batch_size=2000,
        )
        for step in activation.steps:
            if step["status"] in ("pending", "sending"):
                step["status"] = "stopped: the mode ended first"
        activation.status = ModeActivation.Status.ENDED
        activation.deactivated_at = activation.send_updated_at = timezone.now()
        # The rollback is the deadline of the mode's commands not yet gone out: a worker that
        # reaches them later drops them as expired rather than lock a building after the end.
        phase_commands(activation, Phase.APPLY).filter(status=Command.Status.REQUESTED).update(
            expires_at=activation.deactivated_at
        )
        activation.deactivated_by = user
        activation.deactivation_reason = str(reason or "").strip()[:300]
        activation.send_error = ""
        activation.save(
            update_fields=[
                "steps",
                "status",
                "deactivated_at",
                "deactivated_by",
                "deactivation_reason",
                "send_error",
                "send_updated_at",
            ]
        )
        offline = list(
            Equipment.objects.filter(
                crisis_commands__activation=activation,
                crisis_commands__phase=Phase.RESTORE,
                status=Equipment.Status.OFFLINE,
            )
            .distinct()
            .order_by("code")
            .values_list("code", flat=True)[:200]
        )
        # The hotline's switch (its row locked) before the events: the numbering lock is the
        # last a transaction takes (ondijon/bus.py), held from the first event to the commit.
        if activation.hotline_24_7:
            set_hotline_round_the_clock(False, actor)
        cancel = cap.publish_cancel(activation)
        activation_event(
            "crisis.deactivated",
            activation,
            actor,
            reason=activation.deactivation_reason,
            restore_commands=len(orders),
            offline=offline,
            cap_message=cancel.identifier if cancel else None,
        )
        announce_mode(None, actor)
        transaction.on_commit(lambda: start_sending(activation.pk, Phase.RESTORE))
    return activation


def restore_report(activation: ModeActivation) -> dict:
    """After deactivation: how many devices were put back, and which could not be (in
    `failures`, as for applying: the page and its script read both phases alike)."""
    return progress(activation, Phase.RESTORE)


# --- Modes and their playbooks, defined by administrators ------------------------------------

PLAYBOOK_FIELDS = (
    "position",
    "type",
    "equipment_kind",
    "tag",
    "command",
    "params",
    "text",
    "deadline_s",
)


def playbook_step(action: PlaybookAction) -> dict:
    return {
        "id": action.pk,
        **{name: getattr(action, name) for name in PLAYBOOK_FIELDS},
        "district": action.district_id,
        "summary": describe(action),
    }


def crisis_mode_snapshot(mode: CrisisMode) -> dict:
    return {
        "id": mode.pk,
        "code": mode.code,
        "name": mode.name,
        "description": mode.description,
        "position": mode.position,
        "cap": [mode.cap_category, mode.cap_urgency, mode.cap_severity, mode.cap_certainty],
        "actions": [playbook_step(action) for action in mode.actions.order_by("position", "pk")],
    }


def crisis_mode_record(kind: str, mode: CrisisMode, snapshot: dict | None, actor, **payload):
    return bus.EventRecord(
        kind=kind,
        subject_type="crisis_mode",
        subject_id=mode.pk,
        subject_label=mode.name,
        payload={"crisis_mode": snapshot, **payload},
        actor=actor,
        service="crisis",
    )


def save_playbook(mode: CrisisMode, steps: list[dict]) -> None:
    """Make the mode's playbook these steps: rows with an `id` change that step, rows without
    one are new steps, and steps not listed are removed."""
    existing = {action.pk: action for action in mode.actions.all()}
    for row in steps:
        fields = dict(row)
        step_id = fields.pop("id", None)
        action = existing.pop(step_id) if step_id in existing else PlaybookAction(mode=mode)
        for name, value in fields.items():
            setattr(action, name, value)
        action.full_clean()
        action.save()
    PlaybookAction.objects.filter(pk__in=existing).delete()


@transaction.atomic
def create_mode(data: dict, actor=None) -> CrisisMode:
    """A new crisis mode, with its playbook (`actions`: rows as `save_playbook` takes them)."""
    fields = dict(data)
    steps = fields.pop("actions", [])
    mode = CrisisMode(**fields)
    mode.full_clean()
    mode.save()
    save_playbook(mode, steps)
    bus.emit_many(
        [crisis_mode_record("crisis_mode.created", mode, crisis_mode_snapshot(mode), actor)]
    )
    return mode


@transaction.atomic
def update_mode(mode: CrisisMode, changes: dict, actor=None) -> CrisisMode:
    """A mode renamed or its playbook changed: the next activation carries out the new one."""
    mode = CrisisMode.objects.select_for_update().get(pk=mode.pk)
    fields = dict(changes)
    steps = fields.pop("actions", None)
    for name, value in fields.items():
        setattr(mode, name, value)
    mode.full_clean()
    mode.save()
    if steps is not None:
        save_playbook(mode, steps)
    snapshot = crisis_mode_snapshot(mode)
    bus.emit_many(
        [crisis_mode_record("crisis_mode.updated", mode, snapshot, actor, fields=sorted(changes))]
    )
    return mode


@transaction.atomic
def delete_mode(mode: CrisisMode, actor=None) -> None:
    """Only a mode never activated: one that was stays on record with its activations."""
    mode = CrisisMode.objects.select_for_update().get(pk=mode.pk)
    refuse_while_referenced(
        mode, ("supervision.playbookaction",), _("It stays on record with its activations.")
    )
    snapshot = crisis_mode_snapshot(mode)
    record = crisis_mode_record("crisis_mode.deleted", mode, None, actor, deleted=snapshot)
    mode.delete()
    bus.emit_many([record])

"""Commands to equipment: requested by a person (or a playbook) with a reason, sent through a
device adapter, then acknowledged, failed or timed out. Every step is an event.

What each kind of device accepts is the catalogue's (`equipment.catalogue`).
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from equipment.catalogue import InvalidCommand, clean_params, expected_state, restoring_actions
from equipment.models import FINISHED_COMMAND_STATUSES, Command, Equipment
from equipment.services import equipment_snapshot
from ondijon import bus, jobs
from ondijon.api.errors import Conflict
from ondijon.inputs import json_problem

logger = logging.getLogger(__name__)

# --- Life of a command --------------------------------------------------------------------


def save_in_groups(objects: Iterable, fields: Sequence[str]) -> None:
    """Save `fields` of many rows with one UPDATE per distinct set of values.

    Commands of one batch mostly share their new values (status, time, a playbook's target
    state), so this is a handful of statements where `bulk_update` builds a CASE per row.
    """
    objects = list(objects)
    if not objects:
        return
    manager = type(objects[0])._default_manager
    groups: dict[str, tuple[dict, list]] = {}
    for obj in objects:
        values = {name: getattr(obj, name) for name in fields}
        key = bus.canonical_json(bus.normalise_payload(values))
        groups.setdefault(key, (values, []))[1].append(obj.pk)
    for values, ids in groups.values():
        for start in range(0, len(ids), 5000):
            manager.filter(pk__in=ids[start : start + 5000]).update(**values)


def command_snapshot(command: Command) -> dict:
    """The command as the wall and the API show it."""
    equipment = command.equipment
    return {
        "id": command.pk,
        "equipment": equipment.pk,
        "equipment_code": equipment.code,
        "equipment_kind": equipment.kind,
        "action": command.action,
        "params": command.params,
        "reason": command.reason,
        "origin": command.origin,
        "status": command.status,
        "attempts": command.attempts,
        "error": command.error,
        "requested_at": command.requested_at.isoformat(),
        "finished_at": command.finished_at.isoformat() if command.finished_at else None,
    }


def command_event(kind: str, command: Command, actor=None, **payload: Any) -> bus.EventRecord:
    return bus.EventRecord(
        kind=kind,
        subject_type="command",
        subject_id=command.pk,
        subject_label=f"{command.action} {command.equipment.code}",
        payload={"command": command_snapshot(command), **payload},
        actor=actor,
    )


def ack_timeout() -> timedelta:
    return timedelta(seconds=settings.COMMAND_ACK_TIMEOUT_S)


def command_deadline(kind: str, action: str) -> timedelta:
    """How long a command of this kind may wait to be delivered before it is worthless."""
    seconds = settings.COMMAND_DEADLINES_S.get(f"{kind}.{action}", settings.COMMAND_DEADLINE_S)
    return timedelta(seconds=seconds)


def expired_message(command: Command) -> str:
    deadline = f"{timezone.localtime(command.expires_at):%d/%m %H:%M:%S}"
    return _("Not delivered by its deadline (%(deadline)s): dropped rather than sent late.") % {
        "deadline": deadline
    }


def past_deadline(command: Command, now: datetime) -> bool:
    return bool(command.expires_at and command.expires_at <= now)


def expire_late(commands: Sequence[Command], now: datetime) -> list[Command]:
    """Expire (saved and logged) those of the locked `commands` past their deadline; return
    the others, still to be sent."""
    late, on_time = [], []
    for command in commands:
        (late if past_deadline(command, now) else on_time).append(command)
    for command in late:
        command.status, command.finished_at = Command.Status.EXPIRED, now
        command.error = expired_message(command)
    save_in_groups(late, ["status", "error", "finished_at"])
    bus.emit_many([command_event("command.expired", command) for command in late])
    return on_time


def offline_message(equipment: Equipment) -> str:
    seen = (
        _("last seen %(time)s")
        % {"time": f"{timezone.localtime(equipment.last_seen_at):%d/%m %H:%M}"}
        if equipment.last_seen_at
        else _("never seen")
    )
    return _("%(code)s is offline (%(seen)s); the command was not sent.") % {
        "code": equipment.code,
        "seen": seen,
    }


def request_command(
    equipment: Equipment,
    action: str,
    params: dict | None = None,
    *,
    reason: str,
    actor=None,
    origin: str = "",
) -> Command:
    """One command to one device. An offline device fails it at once (status failed)."""
    return request_commands([equipment], action, params, reason=reason, actor=actor, origin=origin)[
        0
    ]


def request_commands(
    devices: Sequence[Equipment],
    action: str,
    params: dict | None = None,
    *,
    reason: str,
    actor=None,
    origin: str = "",
) -> list[Command]:
    """The same command to many devices of one kind, recorded in one transaction.

    Offline devices get a failed command with the reason; the others are sent after commit.
    """
    if not str(reason or "").strip():
        raise InvalidCommand({"reason": [_("Say why this command is sent.")]})
    kinds = {device.kind for device in devices}
    if len(kinds) > 1:
        raise InvalidCommand({"equipment": [_("All devices of one command must be of one kind.")]})
    if not devices:
        return []
    cleaned = clean_params(kinds.pop(), action, params)
    return create_commands([(device, action, cleaned) for device in devices], reason, actor, origin)


@transaction.atomic
def create_commands(
    orders: Iterable[tuple[Equipment, str, dict]],
    reason: str,
    actor=None,
    origin: str = "",
    expires_at: datetime | None = None,
) -> list[Command]:
    """Record already-validated orders (device, action, cleaned params) and send them.

    Each must be delivered by `expires_at` (a playbook step's deadline), or by its kind's own
    deadline from now; one already past it is recorded as expired and never sent.
    """
    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    commands = []
    for device, action, params in orders:
        changed_keys = expected_state(device.kind, action, params)
        command = Command(
            equipment=device,
            action=action,
            params=params,
            reason=reason.strip()[:300],
            requested_by=user,
            origin=origin,
            previous_state={key: device.state.get(key) for key in changed_keys},
            requested_at=now,
            queued_at=now,
            expires_at=expires_at or now + command_deadline(device.kind, action),
        )
        if device.status == Equipment.Status.OFFLINE:
            command.status = Command.Status.FAILED
            command.error = offline_message(device)
            command.finished_at = now
        elif command.expires_at <= now:
            command.status = Command.Status.EXPIRED
            command.error = expired_message(command)
            command.finished_at = now
        commands.append(command)
    Command.objects.bulk_create(commands)
    first_event = {
        Command.Status.FAILED: "command.failed",
        Command.Status.EXPIRED: "command.expired",
        Command.Status.REQUESTED: "command.requested",
    }
    bus.emit_many(
        [command_event(first_event[command.status], command, actor) for command in commands]
    )
    to_send = [c.pk for c in commands if c.status == Command.Status.REQUESTED]
    transaction.on_commit(lambda: enqueue_sending(to_send))
    return commands


def enqueue_sending(command_ids: Sequence[int]) -> None:
    """Hand the commands to the background jobs in batches: a crisis sends thousands at once."""
    size = settings.COMMAND_SEND_BATCH
    for start in range(0, len(command_ids), size):
        jobs.run_later("equipment.tasks.send_commands", list(command_ids[start : start + size]))


def mark_sent(command_ids: Sequence[int]) -> list[Command]:
    """Take the commands still waiting to go out, count the attempt, and log it.

    Only requested ones: a command already sent (by another worker, or by this task before
    its worker died and the broker handed the task out again) is not sent twice; one past
    its deadline is dropped as expired. The rows stay locked until the attempt is recorded,
    so two workers given the same batch never both send it.
    """
    now = timezone.now()
    with transaction.atomic():
        waiting = list(
            Command.objects.select_for_update(of=("self",))
            .select_related("equipment")
            .filter(pk__in=command_ids, status=Command.Status.REQUESTED)
            .order_by("pk")
        )
        commands = expire_late(waiting, now)
        for command in commands:
            command.status = Command.Status.SENT
            command.attempts += 1
            command.sent_at = now
            command.deadline_at = now + ack_timeout()
        save_in_groups(commands, ["status", "attempts", "sent_at", "deadline_at"])
        if commands:
            # One event per batch handed to the adapter: a crisis sends thousands at once,
            # and each command's request and answer are logged on their own anyway. Each
            # entry holds what the wall shows of a command in flight (supervision/wall/state.py).
            bus.emit(
                "commands.sent",
                subject_type="commands",
                subject_id=commands[0].pk,
                subject_label=_("%(value)s commands sent") % {"value": len(commands)},
                payload={
                    "commands": [
                        {
                            "id": c.pk,
                            "equipment_code": c.equipment.code,
                            "attempt": c.attempts,
                            "action": c.action,
                            "requested_at": c.requested_at.isoformat(),
                        }
                        for c in commands
                    ]
                },
            )
    return commands


def return_to_queue(commands: Sequence[Command]) -> None:
    """The adapter could not hand these over: they wait to be sent again (the task retries)."""
    Command.objects.filter(pk__in=[c.pk for c in commands], status=Command.Status.SENT).update(
        status=Command.Status.REQUESTED, deadline_at=None, queued_at=timezone.now()
    )


def requeue_stranded_commands(now: datetime | None = None, limit: int = 5000) -> dict[str, int]:
    """Commands still requested long after they were handed to the background jobs (a worker
    died with them, or never took them) are handed over again; past their deadline, expired.

    Harmless next to a worker sending them right now: `mark_sent` takes only requested rows,
    under lock, so a command goes out once.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.COMMAND_REQUEUE_AFTER_S)
    with transaction.atomic():
        stranded = list(
            Command.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("equipment")
            .filter(status=Command.Status.REQUESTED)
            .filter(
                models.Q(queued_at__lt=cutoff)
                | models.Q(queued_at__isnull=True)
                | models.Q(expires_at__lte=now)
            )
            .order_by("pk")[:limit]
        )
        again = expire_late(stranded, now)
        requeue(again, now)
    return {"requeued": len(again), "expired": len(stranded) - len(again)}


def requeue(commands: Sequence[Command], now: datetime) -> None:
    """Hand requested commands to the background jobs again (inside the caller's transaction)."""
    for command in commands:
        command.queued_at = now
    save_in_groups(commands, ["queued_at"])
    ids = [c.pk for c in commands]
    if ids:
        transaction.on_commit(lambda: enqueue_sending(ids))


@dataclass
class Acknowledgement:
    """What a device answered to a command."""

    command_id: int
    ok: bool
    error: str = ""
    state: dict = field(default_factory=dict)  # the device's own report of its state, if any


def storable_state(ack: Acknowledgement) -> dict:
    """The state the device reports, or nothing if the database could not store it (NUL
    characters, numbers that are not finite): the answer still counts, with the state the
    command was expected to leave, and the other answers of the batch are applied."""
    problem = json_problem(ack.state)
    if problem is None:
        return ack.state
    logger.warning("State reported for command %s refused: %s", ack.command_id, problem)
    return {}


@transaction.atomic
def record_acknowledgements(acks: Sequence[Acknowledgement]) -> list[Command]:
    """Apply a batch of device answers: command status, device state, events.

    A late acknowledgement (after a time-out, or after a resend expired) still counts: the
    device did act, and a rollback must know it.
    """
    by_id = {ack.command_id: ack for ack in acks}
    commands = list(
        Command.objects.select_for_update(of=("self",))
        .select_related("equipment")
        .filter(
            pk__in=by_id,
            status__in=[
                Command.Status.REQUESTED,
                Command.Status.SENT,
                Command.Status.TIMED_OUT,
                Command.Status.EXPIRED,
            ],
        )
        .order_by("pk")
    )
    # The devices' rows are locked (in key order: concurrent batches cannot deadlock) and read
    # afresh, so two answers about one device never overwrite each other's state.
    locked_devices = {
        device.pk: device
        for device in Equipment.objects.select_for_update()
        .filter(pk__in={c.equipment_id for c in commands if by_id[c.pk].ok})
        .order_by("pk")
    }
    now = timezone.now()
    events, devices = [], {}
    for command in commands:
        ack = by_id[command.pk]
        command.finished_at = now
        if ack.ok:
            command.status, command.error = Command.Status.ACKNOWLEDGED, ""
            device = devices.setdefault(command.equipment_id, locked_devices[command.equipment_id])
            command.equipment = device
            device.state = {
                **device.state,
                **expected_state(device.kind, command.action, command.params),
                **storable_state(ack),
            }
            device.updated_at = now
            events.append(command_event("command.acknowledged", command))
        else:
            command.status = Command.Status.FAILED
            error = ack.error.replace("\x00", "")
            command.error = (error or _("The device refused the command."))[:300]
            events.append(command_event("command.failed", command))
    save_in_groups(commands, ["status", "error", "finished_at"])
    save_in_groups(list(devices.values()), ["state", "updated_at"])
    events += [
        bus.EventRecord(
            kind="equipment.updated",
            subject_type="equipment",
            subject_id=device.pk,
            subject_label=device.code,
            payload={"equipment": equipment_snapshot(device), "fields": ["state"]},
        )
        for device in devices.values()
    ]
    bus.emit_many(events)
    return commands


@transaction.atomic
def fail_commands(command_ids: Sequence[int], error: str) -> list[Command]:
    """The adapter could not deliver the commands, even after its retries."""
    commands = list(
        Command.objects.select_for_update(of=("self",))
        .select_related("equipment")
        .filter(pk__in=command_ids)
        .exclude(status__in=FINISHED_COMMAND_STATUSES)
    )
    now = timezone.now()
    for command in commands:
        command.status, command.error, command.finished_at = Command.Status.FAILED, error[:300], now
    save_in_groups(commands, ["status", "error", "finished_at"])
    bus.emit_many([command_event("command.failed", c) for c in commands])
    return commands


def expire_overdue_commands(now: datetime | None = None) -> dict[str, int]:
    """Resend commands whose acknowledgement is overdue, or give up after the last attempt
    (or once the command's deadline has passed: it is not sent again late)."""
    now = now or timezone.now()
    with transaction.atomic():
        overdue = list(
            Command.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("equipment")
            .filter(status=Command.Status.SENT, deadline_at__lt=now)
        )
        # Attempts add up across an operator's retries; each retry gives a fresh set.
        late = {c.pk for c in overdue if past_deadline(c, now)}
        resend = [
            c for c in overdue if c.attempts % settings.COMMAND_MAX_ATTEMPTS and c.pk not in late
        ]
        give_up = [c for c in overdue if c not in resend]
        for command in give_up:
            command.status = Command.Status.TIMED_OUT
            command.finished_at = now
            command.error = _("No acknowledgement after %(attempts)s attempts.") % {
                "attempts": command.attempts
            }
            if command.pk in late:
                command.error += _(" Its deadline has passed: not sent again.")
        # Waiting to go out again: only a requested command is sent (see `mark_sent`).
        for command in resend:
            command.status, command.deadline_at = Command.Status.REQUESTED, None
        save_in_groups(give_up, ["status", "finished_at", "error"])
        save_in_groups(resend, ["status", "deadline_at"])
        bus.emit_many(
            [command_event("command.timed_out", c) for c in give_up]
            + [command_event("command.retried", c, attempt=c.attempts + 1) for c in resend]
        )
        requeue(resend, now)
    return {"resent": len(resend), "timed_out": len(give_up)}


RETRIABLE_STATUSES = (Command.Status.FAILED, Command.Status.TIMED_OUT, Command.Status.EXPIRED)


def retry_commands(commands: Iterable[Command], actor=None) -> list[Command]:
    """An operator's retry of failed, timed-out or expired commands: a fresh set of attempts
    and a fresh deadline. Commands still waiting to go out are handed over again."""
    with transaction.atomic():
        ids = [c.pk for c in commands]
        locked = list(
            Command.objects.select_for_update(of=("self",))
            .select_related("equipment")
            .filter(pk__in=ids, status__in=RETRIABLE_STATUSES)
        )
        waiting = list(
            Command.objects.select_for_update(of=("self",), skip_locked=True).filter(
                pk__in=ids, status=Command.Status.REQUESTED
            )
        )
        now = timezone.now()
        retried, events = [], []
        for command in locked:
            if command.equipment.status == Equipment.Status.OFFLINE:
                command.error, command.finished_at = offline_message(command.equipment), now
                events.append(command_event("command.failed", command, actor))
                continue
            command.status, command.error = Command.Status.REQUESTED, ""
            # Round the attempts up to a full set, so the retry has a fresh set of its own.
            maximum = settings.COMMAND_MAX_ATTEMPTS
            command.attempts = -(-command.attempts // maximum) * maximum
            command.finished_at = command.deadline_at = None
            command.expires_at = now + command_deadline(command.equipment.kind, command.action)
            retried.append(command)
            events.append(command_event("command.retried", command, actor))
        save_in_groups(
            locked, ["status", "error", "attempts", "finished_at", "deadline_at", "expires_at"]
        )
        bus.emit_many(events)
        requeue([*retried, *waiting], now)
    return locked + waiting


def retry_command(command: Command, actor=None) -> Command:
    if command.status not in RETRIABLE_STATUSES:
        raise Conflict(
            _("Command is %(status)s: nothing to retry.")
            % {"status": command.get_status_display().lower()}
        )
    retry_commands([command], actor)
    command.refresh_from_db()
    return command


# --- Many commands, batch after batch (a crisis playbook, a console selection) ---------------


def send_in_batches(
    next_batch: Callable[[], bool], stopped: Callable[[Exception], None], name: str
) -> dict[str, Any]:
    """Carry out a plan of commands batch after batch, each batch its own transaction: the
    events log's numbering lock is never held for the whole plan, and a failure rolls back
    that batch alone (what was sent stays sent, the rest stays planned for a retry).

    `next_batch` sends one batch and says whether more remain; `stopped` records why sending
    stopped, for the page. Returns how many rounds went on, and the error if one stopped it.
    """
    rounds = 0
    while True:
        try:
            with transaction.atomic():
                more = next_batch()
        except Exception as error:
            logger.exception("%s stopped", name)
            stopped(error)
            return {"rounds": rounds, "error": str(error)}
        if not more:
            return {"rounds": rounds}
        rounds += 1


# --- Putting devices back as they were (a crisis mode's end, a selection's rollback) -----------


def states_before(applied: Iterable[tuple[int, dict]]) -> dict[int, dict]:
    """Per device, the values it had before the first of the `applied` commands changed them:
    (device id, the command's `previous_state`) in the order the commands were sent."""
    before: dict[int, dict] = {}
    for equipment_id, previous in applied:
        values = before.setdefault(equipment_id, {})
        for key, value in previous.items():
            values.setdefault(key, value)
    return before


def restoring_orders(before: dict[int, dict], in_flight: set[int]) -> list[tuple[int, str, dict]]:
    """(device id, action, cleaned parameters) that put the devices back to `before`; a device
    already as it was is left alone, unless a command to it is still on its way (`in_flight`:
    it will change after this look)."""
    orders = []
    devices = Equipment.objects.filter(pk__in=before).order_by("pk")
    for device_id, kind, state in devices.values_list("pk", "kind", "state"):
        wanted = before[device_id]
        if device_id not in in_flight and all(
            state.get(key) == value for key, value in wanted.items()
        ):
            continue  # already as it was
        for action, params in restoring_actions(kind, wanted):
            orders.append((device_id, action, clean_params(kind, action, params)))
    return orders

"""The shift: its start, its handover to the next team, and the incoming team's acknowledgement.

One shift holds the room at a time. Ending it writes the handover: the outgoing supervisor's
note and what stays open (alerts, interventions, an active crisis mode, call-backs due), read
from the room at that moment. The next shift starts only once its supervisor has read that
handover: starting acknowledges it. Each step writes its event with the change (one door).
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.models import CallbackRequest
from interventions.models import Intervention
from ondijon import bus
from ondijon.api.errors import Conflict
from supervision.models import OPEN_ALERT_STATUSES, Alert, ModeActivation, Shift

FINISHED_INTERVENTION = (
    Intervention.Status.RESOLVED,
    Intervention.Status.CLOSED,
    Intervention.Status.CANCELLED,
)
HANDOVER_ITEMS = 50  # listed by name; beyond, counted
CALLBACKS_AHEAD = timedelta(hours=2)  # call-backs due early in the next shift are named too


def current_shift() -> Shift | None:
    return Shift.objects.filter(holds_room=True).first()


def pending_handover() -> Shift | None:
    """The last ended shift, while its handover waits for the incoming supervisor."""
    last = Shift.objects.exclude(ended_at=None).order_by("-ended_at").first()
    return last if last is not None and last.acknowledged_at is None else None


def handover_snapshot(now: datetime) -> dict:
    """What stays open, as the incoming team must know it (no personal data: call-backs are
    counted, their callers stay on the hotline's pages)."""
    alerts = Alert.objects.filter(status__in=OPEN_ALERT_STATUSES, parent=None).order_by(
        "-severity", "-raised_at"
    )
    interventions = Intervention.objects.exclude(status__in=FINISHED_INTERVENTION).order_by(
        "priority", "reported_at"
    )
    callbacks = CallbackRequest.objects.filter(done_at=None)
    return {
        "taken_at": now.isoformat(),
        "alerts": {
            "count": alerts.count(),
            "shelved": alerts.exclude(shelved_until=None).count(),
            "items": [
                {
                    "id": a.pk,
                    "title": a.title,
                    "severity": a.severity,
                    "status": a.status,
                    "shelved": a.shelved_until is not None,
                }
                for a in alerts[:HANDOVER_ITEMS]
            ],
        },
        "interventions": {
            "count": interventions.count(),
            "items": [
                {
                    "id": i.pk,
                    "reference": i.reference,
                    "title": i.title,
                    "status": i.status,
                    "priority": i.priority,
                }
                for i in interventions[:HANDOVER_ITEMS]
            ],
        },
        "crisis": [
            {"id": a.pk, "mode": a.mode.name, "since": a.activated_at.isoformat()}
            for a in ModeActivation.objects.filter(status=ModeActivation.Status.ACTIVE)
            .select_related("mode")
            .order_by("activated_at")
        ],
        "callbacks": {
            "overdue": callbacks.filter(due_at__lt=now).count(),
            "due_soon": callbacks.filter(due_at__gte=now, due_at__lt=now + CALLBACKS_AHEAD).count(),
        },
    }


def shift_record(kind: str, shift: Shift, actor, **payload) -> bus.EventRecord:
    return bus.EventRecord(
        kind=kind,
        subject_type="shift",
        subject_id=shift.pk,
        subject_label=_("Shift of %(start)s")
        % {"start": timezone.localtime(shift.started_at).strftime("%d/%m/%Y %H:%M")},
        payload={"started_at": shift.started_at.isoformat(), **payload},
        actor=actor,
    )


@transaction.atomic
def start_shift(actor, handover_read: bool) -> Shift:
    """The incoming supervisor takes the room, acknowledging the last handover."""
    # The last shift's row, locked: two supervisors starting at once start one shift.
    last = Shift.objects.select_for_update().order_by("-started_at").first()
    if last is not None and last.ended_at is None:
        raise Conflict(_("A shift already holds the room: end it first."), code="shift_open")
    now = timezone.now()
    records = []
    if last is not None and last.acknowledged_at is None:
        if not handover_read:
            raise Conflict(
                _("Read the handover of the last shift and say so before starting."),
                code="handover_unread",
            )
        last.acknowledged_at, last.acknowledged_by = now, actor
        last.save(update_fields=["acknowledged_at", "acknowledged_by"])
        records.append(shift_record("shift.handover_acknowledged", last, actor))
    shift = Shift.objects.create(started_at=now, started_by=actor)
    records.append(shift_record("shift.started", shift, actor))
    bus.emit_many(records)
    return shift


@transaction.atomic
def end_shift(shift: Shift, actor, note: str) -> Shift:
    """The outgoing supervisor hands over: the note, and what stays open now."""
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    if shift.ended_at is not None:
        raise Conflict(_("This shift has already ended."), code="shift_ended")
    if not note.strip():
        raise Conflict(_("Write the handover note for the next team."), code="handover_note")
    now = timezone.now()
    shift.ended_at, shift.ended_by, shift.holds_room = now, actor, None
    shift.handover_note = note.strip()
    shift.handover = handover_snapshot(now)
    shift.save()
    handover = shift.handover
    (ended,) = bus.emit_many(
        [
            shift_record(
                "shift.ended",
                shift,
                actor,
                note=shift.handover_note,
                open_alerts=handover["alerts"]["count"],
                open_interventions=handover["interventions"]["count"],
                crisis_modes=[c["mode"] for c in handover["crisis"]],
                callbacks_overdue=handover["callbacks"]["overdue"],
            )
        ]
    )
    # The shift ends when its handover is logged: its own period holds that entry.
    shift.ended_at = ended.time
    shift.save(update_fields=["ended_at"])
    return shift

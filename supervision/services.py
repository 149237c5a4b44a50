"""Alerts and the events log's hand-written entries."""

from django.db import transaction
from django.utils import timezone

from ondijon import bus
from ondijon.api_errors import Conflict

from .models import Alert, Event


def alert_snapshot(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "title": alert.title,
        "severity": alert.severity,
        "category": alert.category,
        "status": alert.status,
        "source": alert.source,
        "equipment": alert.equipment_id,
        "intervention": alert.intervention_id,
        "lat": alert.latitude,
        "lon": alert.longitude,
        "raised_at": alert.raised_at.isoformat(),
        "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None,
    }


def record_alert_event(kind: str, alert: Alert, actor=None, **payload) -> None:
    bus.emit(
        kind,
        subject_type="alert",
        subject_id=alert.pk,
        subject_label=alert.title,
        payload={"alert": alert_snapshot(alert), **payload},
        actor=actor,
    )


@transaction.atomic
def raise_alert(data: dict, actor=None) -> Alert:
    alert = Alert(**data)
    now = timezone.now()
    alert.raised_at = alert.updated_at = now
    equipment = alert.equipment
    if equipment and alert.latitude is None:
        alert.latitude, alert.longitude = equipment.latitude, equipment.longitude
    alert.full_clean()
    alert.save()
    record_alert_event("alert.raised", alert, actor)
    return alert


@transaction.atomic
def acknowledge_alert(alert: Alert, actor) -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.RAISED:
        raise Conflict(f"Alert is {alert.get_status_display().lower()}, not raised.")
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_at = alert.updated_at = timezone.now()
    alert.acknowledged_by = actor
    alert.save()
    record_alert_event("alert.acknowledged", alert, actor)
    return alert


@transaction.atomic
def update_alert(alert: Alert, changes: dict, actor=None) -> Alert:
    for name, value in changes.items():
        setattr(alert, name, value)
    alert.updated_at = timezone.now()
    alert.full_clean()
    alert.save()
    record_alert_event("alert.updated", alert, actor, fields=sorted(changes))
    return alert


def add_note(text: str, actor, correction_of: Event | None = None, service: str = "") -> Event:
    """An operator's hand-written entry; a correction references the entry it corrects."""
    return bus.emit(
        "note.correction" if correction_of else "note.added",
        subject_type="note",
        subject_label=text[:200],
        payload={"text": text},
        actor=actor,
        service=service,
        correction_of_id=correction_of.pk if correction_of else None,
    )

"""Equipment changes that the room must see: every one goes through here."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from equipment.models import Equipment, Reading
from ondijon import bus

EQUIPMENT_FIELDS_ON_WIRE = ("code", "kind", "status", "latitude", "longitude", "state")


def equipment_snapshot(equipment: Equipment) -> dict:
    """The equipment as a wall screen draws it."""
    return {
        "id": equipment.pk,
        "code": equipment.code,
        "kind": equipment.kind,
        "status": equipment.status,
        "district": equipment.district_id,
        "lat": equipment.latitude,
        "lon": equipment.longitude,
        "state": equipment.state,
        "last_seen_at": equipment.last_seen_at.isoformat() if equipment.last_seen_at else None,
    }


def equipment_from_values(values: dict) -> Equipment:
    """An unsaved Equipment carrying values read with `.values()`, for `equipment_snapshot`."""
    return Equipment(**values)


def equipment_record(kind: str, equipment: Equipment, actor=None, **payload) -> bus.EventRecord:
    return bus.EventRecord(
        kind=kind,
        subject_type="equipment",
        subject_id=equipment.pk,
        subject_label=equipment.code,
        payload={"equipment": equipment_snapshot(equipment), **payload},
        actor=actor,
    )


SNAPSHOT_FIELDS = (
    "id",
    "code",
    "kind",
    "status",
    "status_changed_at",
    "district_id",
    "site_id",
    "latitude",
    "longitude",
    "state",
    "state_time",
    "last_seen_at",
)


def mark_silent_devices_offline(
    kind: str, silent_before: datetime, now: datetime, limit: int
) -> tuple[list[dict], list[bus.EventRecord]]:
    """Devices that have talked before but not since `silent_before` become offline."""
    devices = Equipment.objects.select_for_update().filter(last_seen_at__lt=silent_before)
    if kind:
        devices = devices.filter(kind=kind)
    devices = devices.exclude(
        status__in=[Equipment.Status.OFFLINE, Equipment.Status.MAINTENANCE]
    ).order_by("id")
    rows = list(devices.values(*SNAPSHOT_FIELDS)[:limit])
    if not rows:
        return [], []
    Equipment.objects.filter(id__in=[row["id"] for row in rows]).update(
        status=Equipment.Status.OFFLINE, status_changed_at=now, updated_at=now
    )
    records = []
    for row in rows:
        previous_status = row["status"]
        row.update(status=Equipment.Status.OFFLINE, status_changed_at=now)
        records.append(
            equipment_record(
                "equipment.status_changed",
                equipment_from_values(row),
                previous_status=previous_status,
                reason="silent",
            )
        )
    return rows, records


def record_equipment_event(kind: str, equipment: Equipment, actor=None, **payload: Any):
    return bus.emit(
        kind,
        subject_type="equipment",
        subject_id=equipment.pk,
        subject_label=equipment.code,
        payload={"equipment": equipment_snapshot(equipment), **payload},
        actor=actor,
    )


@transaction.atomic
def create_equipment(data: dict, actor=None) -> Equipment:
    equipment = Equipment(**data)
    equipment.full_clean()
    equipment.status_changed_at = timezone.now()
    equipment.save()
    record_equipment_event("equipment.created", equipment, actor)
    return equipment


@transaction.atomic
def update_equipment(equipment: Equipment, changes: dict, actor=None) -> Equipment:
    """Apply an operator's or administrator's edit and log what changed."""
    previous_status = equipment.status
    for name, value in changes.items():
        setattr(equipment, name, value)
    equipment.full_clean()
    if equipment.status != previous_status:
        equipment.status_changed_at = timezone.now()
    equipment.save()
    if equipment.status != previous_status:
        record_equipment_event(
            "equipment.status_changed", equipment, actor, previous_status=previous_status
        )
    else:
        record_equipment_event("equipment.updated", equipment, actor, fields=sorted(changes))
    return equipment


def purge_old_readings(now: datetime | None = None, chunk: int = 50_000) -> int:
    """Delete history older than TELEMETRY_RETENTION_DAYS, in chunks to keep locks short."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TELEMETRY_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(Reading.objects.filter(time__lt=cutoff).values_list("id", flat=True)[:chunk])
        if not ids:
            return deleted
        deleted += Reading.objects.filter(id__in=ids)._raw_delete(Reading.objects.db)


def reading_history(equipment: Equipment, hours: float = 24, limit: int = 5000) -> dict:
    """Numeric (and boolean, as 0/1) metrics of the recent readings, oldest first, for charts."""
    since = timezone.now() - timedelta(hours=hours)
    rows = list(
        Reading.objects.filter(equipment=equipment, time__gte=since)
        .order_by("-time")
        .values_list("time", "metrics")[:limit]
    )
    series: dict[str, list] = {}
    for time, metrics in reversed(rows):
        for name, value in metrics.items():
            if isinstance(value, bool):
                value = int(value)
            if isinstance(value, int | float):
                series.setdefault(name, []).append([time.isoformat(), value])
    return {
        "equipment": equipment.code,
        "since": since.isoformat(),
        "readings": len(rows),
        "series": series,
    }

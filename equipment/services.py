"""Equipment changes that the room must see: every one goes through here."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from ondijon import bus

from .models import Equipment

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

"""Equipment changes that the room must see: every one goes through here."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from equipment.models import District, Equipment, Reading, Site
from ondijon import bus
from ondijon.deletion import refuse_while_referenced

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


# What goes with a deleted device: its history and the rules' memory of it. Anything else that
# refers to it (commands, alerts, interventions, crisis plans, priority...) keeps it on record.
DELETED_WITH_EQUIPMENT = ("equipment.reading", "equipment.devicetoken", "supervision.rulecondition")


@transaction.atomic
def delete_equipment(equipment: Equipment, actor=None) -> None:
    """Remove a device entered by mistake or taken away; one with a record stays, in maintenance."""
    equipment = Equipment.objects.select_for_update().get(pk=equipment.pk)
    refuse_while_referenced(equipment, DELETED_WITH_EQUIPMENT, _("Put it in maintenance instead."))
    record = equipment_record("equipment.deleted", equipment, actor)
    record.payload = {"equipment": None, "deleted": record.payload["equipment"]}
    equipment.delete()
    bus.emit_many([record])


# --- Sites ------------------------------------------------------------------------------


def site_snapshot(site: Site) -> dict:
    return {
        "id": site.pk,
        "code": site.code,
        "name": site.name,
        "kind": site.kind,
        "district": site.district_id,
        "lat": site.latitude,
        "lon": site.longitude,
        "address": site.address,
        "capacity": site.capacity,
    }


def site_record(kind: str, site: Site, snapshot: dict | None, actor, **payload) -> bus.EventRecord:
    return bus.EventRecord(
        kind=kind,
        subject_type="site",
        subject_id=site.pk,
        subject_label=site.name,
        payload={"site": snapshot, **payload},
        actor=actor,
    )


def site_change_records(
    before: dict | None, after: Site | None, actor=None
) -> list[bus.EventRecord]:
    """The events of what else a site change shows (a market on the wall): the handlers of
    `SITE_CHANGE_HANDLERS`, called in the change's transaction, so that `equipment` does not
    import `supervision`. `before` is the site's snapshot before the change (None: created),
    `after` the site once changed (None: deleted)."""
    return [
        record
        for path in settings.SITE_CHANGE_HANDLERS
        for record in import_string(path)(before, after, actor)
    ]


@transaction.atomic
def create_site(data: dict, actor=None) -> Site:
    site = Site(**data)
    site.full_clean()
    site.save()
    bus.emit_many(
        [
            site_record("site.created", site, site_snapshot(site), actor),
            *site_change_records(None, site, actor),
        ]
    )
    return site


@transaction.atomic
def update_site(site: Site, changes: dict, actor=None) -> Site:
    """A site renamed, moved, given another capacity: logged, and markets follow on the wall."""
    site = Site.objects.select_for_update().get(pk=site.pk)
    before = site_snapshot(site)
    for name, value in changes.items():
        setattr(site, name, value)
    site.full_clean()
    site.save()
    bus.emit_many(
        [
            site_record("site.updated", site, site_snapshot(site), actor, fields=sorted(changes)),
            *site_change_records(before, site, actor),
        ]
    )
    return site


# A market's occupancy and the rules' memory of a site go with it; its equipment stays.
DELETED_WITH_SITE = ("supervision.marketoccupancy", "supervision.rulecondition")


@transaction.atomic
def delete_site(site: Site, actor=None) -> None:
    site = Site.objects.select_for_update().get(pk=site.pk)
    refuse_while_referenced(
        site, DELETED_WITH_SITE, _("Move its equipment to another site, or delete it, first.")
    )
    before = site_snapshot(site)
    record = site_record("site.deleted", site, None, actor, deleted=before)
    site.delete()
    bus.emit_many([record, *site_change_records(before, None, actor)])


# --- Districts --------------------------------------------------------------------------


def district_snapshot(district: District) -> dict:
    """A district as a wall draws it: its outline and its name."""
    return {
        "id": district.pk,
        "code": district.code,
        "name": district.name,
        "boundary": district.boundary,
    }


def district_record(
    kind: str, district: District, snapshot: dict | None, actor, **payload
) -> bus.EventRecord:
    return bus.EventRecord(
        kind=kind,
        subject_type="district",
        subject_id=district.pk,
        subject_label=district.name,
        payload={"district": snapshot, **payload},
        actor=actor,
    )


@transaction.atomic
def create_district(data: dict, actor=None) -> District:
    district = District(**data)
    district.full_clean()
    district.save()
    bus.emit_many(
        [district_record("district.created", district, district_snapshot(district), actor)]
    )
    return district


@transaction.atomic
def update_district(district: District, changes: dict, actor=None) -> District:
    district = District.objects.select_for_update().get(pk=district.pk)
    for name, value in changes.items():
        setattr(district, name, value)
    district.full_clean()
    district.save()
    snapshot = district_snapshot(district)
    bus.emit_many(
        [district_record("district.updated", district, snapshot, actor, fields=sorted(changes))]
    )
    return district


@transaction.atomic
def delete_district(district: District, actor=None) -> None:
    """Only a district nothing is in: its sites, equipment, interventions, calls stay in one."""
    district = District.objects.select_for_update().get(pk=district.pk)
    refuse_while_referenced(district, (), _("Move what is in it to another district first."))
    record = district_record(
        "district.deleted", district, None, actor, deleted=district_snapshot(district)
    )
    district.delete()
    bus.emit_many([record])


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

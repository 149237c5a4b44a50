"""The one ingest path for telemetry: the HTTPS batch endpoint and the MQTT bridge call `ingest`.

A batch is checked reading by reading (bad ones are reported with their index and reason,
good ones go on), then written in one transaction: history rows in one statement, idempotent
by (device, message id), before any device is locked; then the devices read and locked in id
order, and their state and status moved in one set-based update, never back in time by a
late reading; then the batch handlers (the alert rules, configured in
`TELEMETRY_BATCH_HANDLERS`, so that `equipment` does not import `supervision`) evaluate the
changes in memory; finally one `bus.emit_many` call numbers every event of the batch.
"""

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from equipment import lookups  # noqa: F401  (registers `any_of`)
from equipment.models import DeviceToken, Equipment, Reading
from equipment.services import SNAPSHOT_FIELDS, equipment_from_values, equipment_record
from ondijon import bus, inputs

MAX_CODE_LENGTH = 40
MAX_MESSAGE_ID_LENGTH = 100
MAX_METRICS = 50
MAX_METRIC_NAME_LENGTH = 40
MAX_STRING_LENGTH = 200
MAX_MAGNITUDE = inputs.MAX_MAGNITUDE
REPORTED_STATUSES = {
    Equipment.Status.OK,
    Equipment.Status.DEGRADED,
    Equipment.Status.FAULT,
}


class BatchTooLarge(ValueError):
    """More readings than one batch may carry (HTTP 413)."""


@dataclass
class Rejection:
    index: int
    reason: str

    def as_dict(self) -> dict:
        return {"index": self.index, "reason": self.reason}


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    events: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [rejection.as_dict() for rejection in self.rejected],
        }


@dataclass
class ParsedReading:
    index: int
    device: str
    time: datetime
    metrics: dict
    message_id: str | None
    time_text: str = ""  # as Python read it, so that PostgreSQL stores the same instant


@dataclass
class DeviceUpdate:
    """What one batch did to one device, as the rules need it."""

    equipment: dict  # id, code, kind, status, state... after the batch
    previous_status: str
    previous_state: dict
    # New readings applied to the state, oldest first: [(time, metrics), ...]
    readings: list[tuple[datetime, dict]]

    @property
    def status_changed(self) -> bool:
        return self.equipment["status"] != self.previous_status


BatchHandler = Callable[[list[DeviceUpdate], datetime], list[bus.EventRecord]]


def batch_handlers() -> list[BatchHandler]:
    return [import_string(path) for path in settings.TELEMETRY_BATCH_HANDLERS]


# --- checking readings ------------------------------------------------------------------


def parse_reading(index: int, raw: Any, now: datetime) -> ParsedReading | Rejection:
    """One reading of the wire format, or the reason it is refused.

    Only what PostgreSQL stores and every reader reads back goes on (ondijon/inputs.py):
    RFC 3339 times inside the platform's window, no NUL character in any text.
    """
    if not isinstance(raw, dict):
        return Rejection(index, _("A reading must be an object."))
    device = raw.get("device")
    if not isinstance(device, str) or not 0 < len(device) <= MAX_CODE_LENGTH or "\x00" in device:
        return Rejection(index, _("device: an equipment code is required."))
    time_text = raw.get("time")
    if not isinstance(time_text, str):
        return Rejection(index, _("time: an ISO 8601 timestamp with offset is required."))
    try:
        time = inputs.parse_timestamp(time_text)
    except inputs.BadValue as error:
        return Rejection(index, f"time: {error}")
    try:
        inputs.check_window(time, inputs.measured_time_tolerance())
    except inputs.BadValue as error:
        return Rejection(index, f"time: {error}")
    metrics = raw.get("metrics")
    reason = metrics_problem(metrics)
    if reason:
        return Rejection(index, reason)
    message_id = raw.get("id")
    if message_id is not None and (
        not isinstance(message_id, str)
        or not 0 < len(message_id) <= MAX_MESSAGE_ID_LENGTH
        or "\x00" in message_id
    ):
        return Rejection(
            index,
            _("id: a string of at most %(MAX_MESSAGE_ID_LENGTH)s characters, without NUL.")
            % {"MAX_MESSAGE_ID_LENGTH": MAX_MESSAGE_ID_LENGTH},
        )
    return ParsedReading(index, device, time, metrics, message_id, time.isoformat())


def metrics_problem(metrics: Any) -> str | None:
    if not isinstance(metrics, dict) or not metrics:
        return _("metrics: a non-empty object is required.")
    if len(metrics) > MAX_METRICS:
        return _("metrics: at most %(MAX_METRICS)s per reading.") % {"MAX_METRICS": MAX_METRICS}
    for name, value in metrics.items():
        if not 0 < len(name) <= MAX_METRIC_NAME_LENGTH or "\x00" in name:
            return _(
                "metrics: names have 1 to %(MAX_METRIC_NAME_LENGTH)s characters, without NUL."
            ) % {"MAX_METRIC_NAME_LENGTH": MAX_METRIC_NAME_LENGTH}
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            if not -MAX_MAGNITUDE < value < MAX_MAGNITUDE:  # also NaN, which compares false
                return _("metrics.%(name)s: not a finite number of sensible size.") % {"name": name}
        elif isinstance(value, str):
            if len(value) > MAX_STRING_LENGTH:
                return _("metrics.%(name)s: text longer than %(MAX_STRING_LENGTH)s characters.") % {
                    "name": name,
                    "MAX_STRING_LENGTH": MAX_STRING_LENGTH,
                }
            if "\x00" in value:
                return _("metrics.%(name)s: NUL characters are not allowed.") % {"name": name}
        else:
            return _("metrics.%(name)s: must be a number, a boolean or a string.") % {"name": name}
    return None


def find_devices(codes: set[str], token: DeviceToken | None) -> dict[str, int]:
    """The ids of the devices among `codes` this token may report for (None: a trusted
    bridge), by code. Not locked: the batch's history rows are written before any device
    row is held (see `ingest`)."""
    devices = Equipment.objects.filter(code__any_of=codes)
    if token is not None and not token.all_equipment:
        devices = devices.filter(device_tokens=token)
    return dict(devices.values_list("code", "id"))


def lock_devices(ids: set[int]) -> dict[int, dict]:
    """The devices `ids` as they are now, locked until the batch commits, by id.

    Locked in id order, so concurrent batches touching the same devices cannot deadlock;
    FOR NO KEY UPDATE (what an UPDATE of the state takes anyway), so that the key-share
    locks of another batch's history rows pointing at a device never wait for it.
    """
    if connection.vendor == "postgresql":
        return lock_devices_postgresql(ids)
    devices = Equipment.objects.select_for_update(no_key=True).filter(id__any_of=ids)
    return {row["id"]: row for row in devices.order_by("id").values(*SNAPSHOT_FIELDS)}


DATETIME_FIELDS = ("status_changed_at", "state_time", "last_seen_at")


def lock_devices_postgresql(ids: set[int]) -> dict[int, dict]:
    # The hottest query of the batch, written out: the rows come back as one JSON document,
    # which Python decodes in C, instead of a thousand rows converted value by value.
    with bound_cursor() as cursor:
        cursor.execute(
            f"""
            WITH locked AS (
                SELECT {", ".join(SNAPSHOT_FIELDS)} FROM {Equipment._meta.db_table}
                WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE
            )
            SELECT coalesce(json_agg(locked ORDER BY id), '[]')::text FROM locked
            """,
            [sorted(ids)],
        )
        rows = json.loads(cursor.fetchone()[0])
    for row in rows:
        for name in DATETIME_FIELDS:
            if row[name] is not None:
                row[name] = datetime.fromisoformat(row[name])
    return {row["id"]: row for row in rows}


# --- the batch --------------------------------------------------------------------------


def ingest(raw_readings: Sequence[Any], token: DeviceToken | None = None) -> IngestResult:
    """Check, store and apply a batch of readings; see the module docstring."""
    if len(raw_readings) > settings.TELEMETRY_MAX_READINGS:
        raise BatchTooLarge(
            _("At most %(TELEMETRY_MAX_READINGS)s readings per batch, got %(value)s.")
            % {
                "TELEMETRY_MAX_READINGS": settings.TELEMETRY_MAX_READINGS,
                "value": len(raw_readings),
            }
        )
    now = timezone.now()
    result = IngestResult()
    parsed: list[ParsedReading] = []
    for index, raw in enumerate(raw_readings):
        reading = parse_reading(index, raw, now)
        if isinstance(reading, Rejection):
            result.rejected.append(reading)
        else:
            parsed.append(reading)
    if parsed:
        with transaction.atomic():
            # History first, holding no device: a batch holds its devices only from the
            # moment it reads their state to its commit, so that batches sharing devices
            # (a city-wide gateway's are spread over the whole city) queue for that short
            # window only, not for each other's whole batch.
            devices = find_devices({reading.device for reading in parsed}, token)
            rows = known_rows(parsed, devices, result)
            stored = store_readings(rows, now) if rows else []
            result.duplicates += len(rows) - len(stored)
            result.accepted = len(stored)
            if stored:
                locked = lock_devices({device_id for device_id, _ in stored})
                result.events = apply_readings(stored, locked, now)
        touch_token(token, now)
    result.rejected.sort(key=lambda rejection: rejection.index)
    return result


def known_rows(
    parsed: list[ParsedReading], devices: dict[str, int], result: IngestResult
) -> list[tuple[int, ParsedReading]]:
    """Readings of known devices, once per message id; the others go to `result`."""
    rows: list[tuple[int, ParsedReading]] = []
    seen_ids: set[tuple[int, str]] = set()
    for reading in parsed:
        device_id = devices.get(reading.device)
        if device_id is None:
            result.rejected.append(
                Rejection(reading.index, _("device: unknown, or not reported by this token."))
            )
            continue
        if reading.message_id is not None:
            key = (device_id, reading.message_id)
            if key in seen_ids:
                result.duplicates += 1
                continue
            seen_ids.add(key)
        rows.append((device_id, reading))
    return rows


def store_readings(
    rows: list[tuple[int, ParsedReading]], now: datetime
) -> list[tuple[int, ParsedReading]]:
    """Insert history rows; returns those that were new (a retried message id is skipped)."""
    if connection.vendor == "postgresql":
        return store_readings_postgresql(rows, now)
    with_ids = {(device_id, r.message_id) for device_id, r in rows if r.message_id is not None}
    existing = set()
    if with_ids:
        existing = set(
            Reading.objects.filter(
                equipment_id__in={device_id for device_id, _ in with_ids},
                message_id__in={message_id for _, message_id in with_ids},
            ).values_list("equipment_id", "message_id")
        )
    new = [(d, r) for d, r in rows if (d, r.message_id) not in existing]
    Reading.objects.bulk_create(
        [
            Reading(
                equipment_id=device_id,
                time=r.time,
                received_at=now,
                metrics=r.metrics,
                message_id=r.message_id,
            )
            for device_id, r in new
        ],
        batch_size=500,
    )
    return new


@contextlib.contextmanager
def bound_cursor() -> Iterator[psycopg.Cursor]:
    """A psycopg cursor with server-side parameters: a large JSON document is sent as it
    is, not escaped into the SQL text as Django's client-side cursor does.

    Its errors come out as Django's (a session cut by a failover is an OperationalError the
    callers retry or answer 503 to), and mark the session for closing, as Django's own
    cursor does."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def store_readings_postgresql(
    rows: list[tuple[int, ParsedReading]], now: datetime
) -> list[tuple[int, ParsedReading]]:
    # One statement for the whole batch: the rows travel as one JSON document, and
    # ON CONFLICT makes a retried message id a no-op even between concurrent batches.
    document = json.dumps(
        [
            {"e": device_id, "t": r.time_text, "m": r.metrics, "i": r.message_id}
            for device_id, r in rows
        ],
        separators=(",", ":"),
    )
    table = Reading._meta.db_table
    with bound_cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (equipment_id, time, received_at, metrics, message_id)
            SELECT r.e, r.t, %s, r.m, r.i
            FROM jsonb_to_recordset(%s::jsonb) AS r(e bigint, t timestamptz, m jsonb, i text)
            ON CONFLICT (equipment_id, message_id) DO NOTHING
            RETURNING equipment_id, message_id
            """,
            [now, document],
        )
        inserted_ids = {(device_id, mid) for device_id, mid in cursor.fetchall() if mid}
    return [
        (device_id, r)
        for device_id, r in rows
        if r.message_id is None or (device_id, r.message_id) in inserted_ids
    ]


def next_status(current: str, metrics: dict) -> str:
    """A device reports its own status; one that talks again is no longer offline."""
    if current == Equipment.Status.MAINTENANCE:
        return current  # set by people, not by the device
    reported = metrics.get("status")
    if reported in REPORTED_STATUSES:
        return reported
    if current == Equipment.Status.OFFLINE:
        return Equipment.Status.OK
    return current


def apply_readings(
    stored: list[tuple[int, ParsedReading]], devices: dict[int, dict], now: datetime
) -> list:
    """Move each device's state forward (from its state as locked: a reading older than the
    state, whoever wrote it, is history only), let the rules look, and emit the batch's
    events."""
    by_device: dict[int, list[ParsedReading]] = {}
    for device_id, reading in stored:
        by_device.setdefault(device_id, []).append(reading)
    current = [device for device in devices.values() if device["id"] in by_device]
    updates: list[DeviceUpdate] = []
    changed: list[dict] = []
    for device in current:
        readings = sorted(by_device[device["id"]], key=lambda r: r.time)
        previous_status, previous_state = device["status"], device["state"]
        since = device["state_time"]
        fresh = [r for r in readings if since is None or r.time >= since]
        device["last_seen_at"] = now
        if fresh:
            state = dict(previous_state)
            status = previous_status
            for reading in fresh:
                state.update(reading.metrics)
                status = next_status(status, reading.metrics)
            state.pop("status", None)  # the reported status is the device's status field
            device["state"], device["state_time"] = state, fresh[-1].time
            if status != previous_status:
                device["status"], device["status_changed_at"] = status, now
            updates.append(
                DeviceUpdate(
                    device, previous_status, previous_state, [(r.time, r.metrics) for r in fresh]
                )
            )
        changed.append(device)
    save_device_states(changed, now)
    records = [device_event(update) for update in updates if visible_change(update)]
    for handler in batch_handlers():
        records.extend(handler(updates, now))
    return bus.emit_many(records)


def save_device_states(devices: list[dict], now: datetime) -> None:
    if connection.vendor == "postgresql":
        document = json.dumps(
            [
                {
                    "id": d["id"],
                    "state": d["state"],
                    "state_time": d["state_time"].isoformat() if d["state_time"] else None,
                    "status": d["status"],
                    "status_changed_at": (
                        d["status_changed_at"].isoformat() if d["status_changed_at"] else None
                    ),
                }
                for d in devices
            ],
            separators=(",", ":"),
        )
        with bound_cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {Equipment._meta.db_table} AS e
                SET state = u.state, state_time = u.state_time, status = u.status,
                    status_changed_at = u.status_changed_at, last_seen_at = %s, updated_at = %s
                FROM jsonb_to_recordset(%s::jsonb) AS u(
                    id bigint, state jsonb, state_time timestamptz, status text,
                    status_changed_at timestamptz)
                WHERE e.id = u.id
                """,
                [now, now, document],
            )
        return
    objects = []
    for d in devices:
        objects.append(
            Equipment(
                id=d["id"],
                state=d["state"],
                state_time=d["state_time"],
                status=d["status"],
                status_changed_at=d["status_changed_at"],
                last_seen_at=now,
                updated_at=now,
            )
        )
    Equipment.objects.bulk_update(
        objects,
        ["state", "state_time", "status", "status_changed_at", "last_seen_at", "updated_at"],
        batch_size=200,
    )


def visible_change(update: DeviceUpdate) -> bool:
    """Whether the room sees a difference: the status, a discrete value, or a wall metric.

    Continuous measurements (voltage, pressure...) change on every reading; the room sees
    them through the rules' alerts and the history chart, not as an event per reading.
    """
    if update.status_changed:
        return True
    wall_metrics = settings.TELEMETRY_WALL_METRICS
    before, after = update.previous_state, update.equipment["state"]
    for name, value in after.items():
        if before.get(name, None) == value and name in before:
            continue
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if not is_number or name in wall_metrics:
            return True
    return False


def device_event(update: DeviceUpdate) -> bus.EventRecord:
    equipment = equipment_from_values(update.equipment)
    if update.status_changed:
        return equipment_record(
            "equipment.status_changed", equipment, previous_status=update.previous_status
        )
    return equipment_record("equipment.updated", equipment, fields=["state"])


def touch_token(token: DeviceToken | None, now: datetime) -> None:
    # At most once a minute per token: not one write per batch.
    if token is None or (token.last_used_at and now - token.last_used_at < timedelta(minutes=1)):
        return
    DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now

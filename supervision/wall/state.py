"""The wall screens' view of the city: snapshot, how events change it, and frame coalescing.

A screen starts from `build_snapshot()` (the city's state as of a sequence number), then applies
frames. A frame is the coalesced result of every event in a range of sequence numbers: the
latest snapshot of each object that changed, the hotline calls and finished commands counted
per day, the newest city mode and the database's last failover. `apply_frame()` is the one
rule by which a frame changes a state; its browser twin `static/supervision/wall-state.js`
(`applyFrame`) applies exactly the same rule, both run the JSON cases of
tests/supervision/wall_frames.json, and the tests prove that an old snapshot plus the frames
of the events that followed equals a fresh snapshot.
"""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from equipment.models import Command, District, Equipment
from equipment.services import district_snapshot
from interventions.models import Intervention, Team
from interventions.services import open_intervention_snapshots, team_snapshot
from ondijon.bus import event_message
from supervision.alerts.flood import FLOOD_ENDED, FLOOD_STARTED
from supervision.alerts.services import alert_snapshot
from supervision.markets import wall_markets
from supervision.models import Alert, Event, EventSequence
from supervision.platform.replication import FAILOVER
from supervision.traffic import wall_priorities

# Object kinds a wall draws; an event about one carries its snapshot in payload[subject_type],
# or None there when the object is gone (deleted, or no longer what the wall shows).
# Markets (occupancy), priority (junctions held for an emergency vehicle or a late bus) and
# commands to equipment (those in flight) come from the command service; districts are the
# map's outlines.
OBJECT_TYPES = (
    "equipment",
    "team",
    "intervention",
    "alert",
    "market",
    "priority",
    "command",
    "district",
)
CALL_LOGGED = "hotline.call_logged"
MODE_CHANGED = "city.mode_changed"
# Commands go out in batches, each batch one event listing its commands (equipment/commands.py).
COMMANDS_SENT = "commands.sent"
COMMAND_ACKNOWLEDGED = "command.acknowledged"
# Not carried out: refused, unanswered, or dropped past its deadline (never sent late).
COMMAND_FAILURES = ("command.failed", "command.timed_out", "command.expired")
IN_FLIGHT = (Command.Status.REQUESTED, Command.Status.SENT)
# A lockdown fails commands by the dozen: the wall names only the latest few.
RECENT_FAILURES = 8


def flood_of(kind: str | None, time: str | None) -> dict:
    """Whether the room is in an alarm flood, and since when (the latest flood event)."""
    active = kind == FLOOD_STARTED
    return {"active": active, "since": time if active else None}


def failover_of(event: dict | None) -> dict | None:
    """The database's last failover as the wall's banner tells it (wire form of its event):
    when, which node took over from which, planned or not, how long it took; None when the
    log has none. The wall shows it for WALL_FAILOVER_BANNER_SECONDS after `time`."""
    if event is None:
        return None
    payload = event["payload"]
    return {
        "time": event["time"],
        "primary": payload["primary"],
        "previous": payload.get("previous"),
        "planned": bool(payload.get("planned")),
        "duration_s": payload.get("duration_s"),
    }


def normal_mode() -> dict:
    """The city's mode when no crisis mode is active, named in the active language."""
    return {"code": "normal", "name": _("Normal"), "banner": "", "hotline_24_7": False}


CLOSED_INTERVENTION = {
    Intervention.Status.RESOLVED,
    Intervention.Status.CLOSED,
    Intervention.Status.CANCELLED,
}
FINISHED_ALERT = {Alert.Status.RESOLVED, Alert.Status.CLOSED}

# --- What a screen keeps of each object -------------------------------------------------


def equipment_row(snapshot: dict) -> list:
    """Equipment as the wall keeps it: compact, because the demo city has 34,000 of them."""
    return [
        snapshot["code"],
        snapshot["kind"],
        snapshot["status"],
        snapshot["district"],
        microdegrees(snapshot["lat"]) / MICRODEGREES,
        microdegrees(snapshot["lon"]) / MICRODEGREES,
    ]


def command_row(snapshot: dict) -> list:
    """A command in flight as the wall keeps it: compact, because a lockdown sends thousands."""
    return [
        snapshot["action"],
        snapshot["equipment_code"],
        snapshot["status"],
        snapshot["attempts"],
        snapshot["requested_at"],
    ]


def command_failure(event: dict) -> dict:
    """A failed or timed-out command as the wall names it (wire form of its event)."""
    command = event["payload"]["command"]
    return {
        "seq": event["seq"],
        "id": command["id"],
        "action": command["action"],
        "equipment_code": command["equipment_code"],
        "status": command["status"],
        "error": command["error"],
        "time": event["time"],
    }


def latest_failures(failures: Iterable[dict]) -> list[dict]:
    """The RECENT_FAILURES latest, newest first, each command once (its latest failure)."""
    latest: dict[int, dict] = {}
    for failure in failures:
        if failure["id"] not in latest or failure["seq"] > latest[failure["id"]]["seq"]:
            latest[failure["id"]] = failure
    return sorted(latest.values(), key=lambda f: f["seq"], reverse=True)[:RECENT_FAILURES]


def wall_object(subject_type: str, snapshot: dict) -> Any:
    """The form a screen keeps, or None when the object leaves the wall (closed, resolved)."""
    if subject_type == "equipment":
        return equipment_row(snapshot)
    if subject_type == "command":
        # Acknowledged, failed or timed out: finished, out of the in-flight set.
        return command_row(snapshot) if snapshot["status"] in IN_FLIGHT else None
    if subject_type == "intervention" and snapshot["status"] in CLOSED_INTERVENTION:
        return None
    if subject_type == "alert" and snapshot["status"] in FINISHED_ALERT:
        return None
    if subject_type == "priority" and snapshot["released_at"]:
        return None  # the junction is given back: it leaves the map
    return snapshot


def local_day(moment: datetime) -> str:
    return timezone.localdate(moment).isoformat()


# --- Snapshot ---------------------------------------------------------------------------


def build_snapshot() -> dict:
    """The city as a wall draws it, consistent with the sequence number it reports.

    On PostgreSQL the reads run in one REPEATABLE READ transaction, so objects, counters and
    `seq` come from the same instant; the row lock writers hold on EventSequence guarantees
    every event up to `seq` is part of that instant.
    """
    with _one_instant():
        snapshot = _read_snapshot()
        snapshot["equipment"] = equipment_rows(equipment_columns())
        return snapshot


def wire_snapshot() -> bytes:
    """`build_snapshot()` as a screen downloads it, JSON: the equipment in columns
    (`equipment_columns`, key `equipment_columns`) instead of one row per device, and the
    alerts past the panel's first WALL_FULL_ALERTS in columns (`alert_columns`)."""
    with _one_instant():
        snapshot = _read_snapshot()
        snapshot["alert"], alert_rest = wall_alerts(snapshot["alert"])
        snapshot["alert_columns"] = alert_columns(alert_rest)
        rest = json.dumps(snapshot, cls=DjangoJSONEncoder, separators=(",", ":"))
        columns = equipment_columns_json()
    return f'{{"equipment_columns":{columns},{rest[1:]}'.encode()


# --- Alerts past the panel's first rows: a district's power cut opens thousands -------------
#
# The wall draws of most alerts only what its panels count: severity (counts by severity, the
# most severe pulsing), position (markers, one per small area past a few hundred), category,
# device, parent and shelving (one per cause, the flood view's groups). The alert panel lists
# the first rows by priority: those go whole, the others as columns of just those figures. 50,000
# open alerts as whole objects are ~20 MB of JSON (1.6 MB gzip); as columns, a few hundred kB.
# A position equal to the alert's device's goes as null: the browser takes the device's.
WALL_FULL_ALERTS = 200


def by_priority(alerts: Iterable[dict]) -> list[dict]:
    """Most severe first, then the newest (the panel's order, wall-state.js alertQueue)."""
    newest_first = sorted(alerts, key=lambda alert: alert["raised_at"], reverse=True)
    return sorted(newest_first, key=lambda alert: -alert["severity"])


def wall_alerts(alerts: dict[str, dict]) -> tuple[dict[str, dict], list[dict]]:
    """The alerts a screen gets whole (the first WALL_FULL_ALERTS the panel lists: one per
    cause, not shelved, by priority), and the others."""
    listed = by_priority(a for a in alerts.values() if not a["parent"] and not a["shelved_until"])
    whole = {str(alert["id"]) for alert in listed[:WALL_FULL_ALERTS]}
    return (
        {key: alert for key, alert in alerts.items() if key in whole},
        [alert for key, alert in alerts.items() if key not in whole],
    )


def alert_columns(alerts: list[dict]) -> dict:
    """Alerts as the wall counts them, in columns: ids as steps, categories as indexes into
    their names, positions in microdegrees from the south-west corner (null: the device's)."""
    alerts = sorted(alerts, key=lambda alert: alert["id"])
    devices = {a["equipment"] for a in alerts if a["equipment"] is not None}
    # A storm's alerts name thousands of devices: reading every position costs less than
    # asking for thousands of ids.
    positions = (
        {
            pk: (lat, lon)
            for pk, lat, lon in Equipment.objects.values_list("pk", "latitude", "longitude")
        }
        if devices
        else {}
    )
    own = [
        None
        if alert["lat"] is None
        or alert["lon"] is None
        or positions.get(alert["equipment"]) == (alert["lat"], alert["lon"])
        else (microdegrees(alert["lat"]), microdegrees(alert["lon"]))
        for alert in alerts
    ]
    placed = [position for position in own if position]
    south, west = (min(p[0] for p in placed), min(p[1] for p in placed)) if placed else (0, 0)
    categories = sorted({alert["category"] for alert in alerts})
    index = {name: i for i, name in enumerate(categories)}
    ids = [alert["id"] for alert in alerts]
    return {
        "id": [b - a for a, b in zip((0, *ids), ids, strict=False)],
        "severity": [alert["severity"] for alert in alerts],
        "categories": categories,
        "category": [index[alert["category"]] for alert in alerts],
        "equipment": [alert["equipment"] for alert in alerts],
        "parent": [alert["parent"] for alert in alerts],
        "shelved": [1 if alert["shelved_until"] else 0 for alert in alerts],
        "corner": [south, west],
        "lat": [None if p is None else p[0] - south for p in own],
        "lon": [None if p is None else p[1] - west for p in own],
    }


@contextmanager
def _one_instant() -> Iterator[None]:
    # Inside a caller's (or a test's) transaction the isolation level is already fixed.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


# --- Equipment in columns: a metropolis has 150,000 devices ------------------------------
#
# One JSON object (or row) per device costs 10 MB for 150,000 of them, and as long to build
# and to read. On the wire the wall's equipment goes as parallel arrays: ids as differences
# from the previous one (1, 1, 1…: nothing after gzip), kinds and statuses as indexes into
# their names, positions as whole microdegrees from the south-west corner.
MICRODEGREES = 1_000_000


def microdegrees(value: float) -> int:
    """A coordinate in whole microdegrees (10 cm): a frame's row carries it divided by a
    million, and the browser's (corner + n) / 1e6 gives back exactly that number."""
    return round(value * MICRODEGREES)


# Kinds and statuses are the catalogue's (Equipment.Kind, Equipment.Status: the service
# functions accept no other); a value outside it would go as null, and the wall not draw it.
def _tables() -> tuple[list[str], list[str]]:
    return list(Equipment.Kind.values), list(Equipment.Status.values)


def equipment_columns() -> dict:
    """Every device as the wall keeps it, in columns (`equipment_rows` turns them back)."""
    if connection.vendor == "postgresql":
        return json.loads(equipment_columns_json())
    return _columns_of_rows(
        Equipment.objects.order_by("pk").values_list(
            "pk", "code", "kind", "status", "district_id", "latitude", "longitude"
        )
    )


def _columns_of_rows(rows: Iterable[tuple]) -> dict:
    kinds, statuses = _tables()
    columns = list(zip(*rows, strict=True)) or [()] * 7
    ids, codes, kind_of, status_of, districts, lats, lons = columns
    kind_index = {name: i for i, name in enumerate(kinds)}
    status_index = {name: i for i, name in enumerate(statuses)}
    lat_units = [microdegrees(lat) for lat in lats]
    lon_units = [microdegrees(lon) for lon in lons]
    south, west = (min(lat_units), min(lon_units)) if ids else (0, 0)
    return {
        "id": [b - a for a, b in zip((0, *ids), ids, strict=False)],
        **(
            {"code": list(codes)}
            if any("\n" in code for code in codes)
            else {"codes": "\n".join(codes)}
        ),
        "kinds": kinds,
        "kind": [kind_index.get(k) for k in kind_of],
        "statuses": statuses,
        "status": [status_index.get(s) for s in status_of],
        "district": list(districts),
        "corner": [south, west],
        "lat": [n - south for n in lat_units],
        "lon": [n - west for n in lon_units],
    }


# The same columns written by PostgreSQL as JSON text: reading 150,000 rows into Python and
# dumping them takes ~0.7 s on this machine, the database writes the numbers in ~0.15 s.
# round(float8) rounds half to even like Python's round(), on the same product: the numbers
# are those of `microdegrees`. Each column is aggregated in the subquery's id order (no
# ORDER BY per aggregate: that would sort once per column). The codes go as one string, one
# code a line (a JSON string per code costs the database a third more), unless a code holds
# a line break: then as a list. An empty city joins one row of nulls: the aggregates skip it.
COLUMNS_SQL = """
WITH corner AS (
    SELECT coalesce(round(min(latitude) * 1000000)::bigint, 0) AS south,
           coalesce(round(min(longitude) * 1000000)::bigint, 0) AS west FROM {table}
)
SELECT min(corner.south), min(corner.west), bool_or(strpos(code, E'\\n') > 0),
    coalesce(string_agg((id - previous)::text, ','), ''),
    to_json(coalesce(string_agg(code, E'\\n'), ''))::text,
    coalesce(string_agg({kind}, ',') FILTER (WHERE e.id IS NOT NULL), ''),
    coalesce(string_agg({status}, ',') FILTER (WHERE e.id IS NOT NULL), ''),
    coalesce(string_agg(coalesce(district_id::text, 'null'), ',') FILTER (WHERE e.id IS NOT NULL), ''),
    coalesce(string_agg((lat - corner.south)::text, ','), ''),
    coalesce(string_agg((lon - corner.west)::text, ','), '')
FROM corner LEFT JOIN (
    SELECT id, lag(id, 1, 0::bigint) OVER (ORDER BY id) AS previous, code, kind, status,
           district_id,
           round(latitude * 1000000)::bigint AS lat, round(longitude * 1000000)::bigint AS lon
    FROM {table} ORDER BY id
) e ON true
"""
CODES_SQL = "SELECT coalesce(json_agg(code ORDER BY id), '[]')::text FROM {table}"


def _index_sql(column: str, names: list[str]) -> tuple[str, list[str]]:
    """`column` as its index in `names` (text), 'null' for a name not there."""
    cases = " ".join(f"WHEN %s THEN '{i}'" for i in range(len(names)))
    return f"CASE {column} {cases} ELSE 'null' END", list(names)


def equipment_columns_json() -> str:
    """`equipment_columns()` as JSON text, its numbers written by the database on PostgreSQL."""
    if connection.vendor != "postgresql":
        return json.dumps(equipment_columns(), separators=(",", ":"))
    kinds, statuses = _tables()
    table = connection.ops.quote_name(Equipment._meta.db_table)
    kind_sql, kind_params = _index_sql("kind", kinds)
    status_sql, status_params = _index_sql("status", statuses)
    with connection.cursor() as cursor:
        # The aggregates must see the subquery's order: one process reads it in order.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(
            COLUMNS_SQL.format(table=table, kind=kind_sql, status=status_sql),
            [*kind_params, *status_params],
        )
        south, west, broken, ids, codes, kind, status, district, lat, lon = cursor.fetchone()
        cursor.execute("RESET max_parallel_workers_per_gather")
        if broken:
            cursor.execute(CODES_SQL.format(table=table))
            code_part = f'"code":{cursor.fetchone()[0]}'
        else:
            code_part = f'"codes":{codes}'
    return "".join(
        (
            f'{{"id":[{ids}],{code_part},"kinds":{json.dumps(kinds)},"kind":[{kind}],',
            f'"statuses":{json.dumps(statuses)},"status":[{status}],"district":[{district}],',
            f'"corner":[{south},{west}],"lat":[{lat}],"lon":[{lon}]}}',
        )
    )


def equipment_codes(columns: dict) -> list[str]:
    """The codes of the columns, in their order: one string, a code a line, or a list."""
    if "codes" not in columns:
        return columns["code"]
    return columns["codes"].split("\n") if columns["id"] else []


def equipment_rows(columns: dict) -> dict[str, list]:
    """The wall's equipment by id, each as `equipment_row` makes it, from its columns (the
    browser does the same in wall-state.js `equipmentRows`)."""
    rows = {}
    pk = 0
    south, west = columns["corner"]
    kinds, statuses = columns["kinds"], columns["statuses"]
    for step, code, kind, status, district, lat, lon in zip(
        columns["id"],
        equipment_codes(columns),
        columns["kind"],
        columns["status"],
        columns["district"],
        columns["lat"],
        columns["lon"],
        strict=True,
    ):
        pk += step
        rows[str(pk)] = [
            code,
            None if kind is None else kinds[kind],
            None if status is None else statuses[status],
            district,
            (south + lat) / MICRODEGREES,
            (west + lon) / MICRODEGREES,
        ]
    return rows


def _read_snapshot() -> dict:
    """Everything but the equipment (the callers add it in the form they send)."""
    sequence = EventSequence.objects.filter(pk=1).values_list("last_seq", flat=True).first()
    seq = sequence or 0
    teams = {str(team.pk): team_snapshot(team) for team in Team.objects.all()}
    interventions = open_intervention_snapshots()
    alerts = {
        str(alert.pk): alert_snapshot(alert)
        for alert in Alert.objects.exclude(status__in=FINISHED_ALERT)
    }
    today = timezone.localdate()
    midnight = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    calls = Event.objects.filter(kind=CALL_LOGGED, time__gte=midnight, seq__lte=seq).count()
    commands = {
        str(pk): [action, code, status, attempts, requested_at.isoformat()]
        for pk, action, code, status, attempts, requested_at in Command.objects.filter(
            status__in=IN_FLIGHT
        )
        .order_by()
        .values_list("pk", "action", "equipment__code", "status", "attempts", "requested_at")
    }
    mode_event = (
        Event.objects.filter(kind=MODE_CHANGED, seq__lte=seq).order_by("-seq").only("payload")
    ).first()
    flood_event = (
        Event.objects.filter(kind__in=(FLOOD_STARTED, FLOOD_ENDED), seq__lte=seq)
        .order_by("-seq")
        .values_list("kind", "time")
        .first()
    )
    failover_event = Event.objects.filter(kind=FAILOVER, seq__lte=seq).order_by("-seq").first()
    return {
        "seq": seq,
        "team": teams,
        "intervention": interventions,
        "alert": alerts,
        "market": wall_markets(),
        "priority": wall_priorities(),
        "command": commands,
        "district": {str(d.pk): district_snapshot(d) for d in District.objects.order_by("pk")},
        "calls": {"day": today.isoformat(), "count": calls},
        "commands": _finished_commands(today.isoformat(), midnight, seq),
        "mode": _mode_of(mode_event.payload) if mode_event else normal_mode(),
        "flood": flood_of(flood_event[0], flood_event[1].isoformat())
        if flood_event
        else flood_of(None, None),
        "failover": failover_of(event_message(failover_event) if failover_event else None),
    }


def _finished_commands(day: str, midnight: datetime, seq: int) -> dict:
    """Today's acknowledged and failed commands, counted from the log as the frames count them
    (an event each: a command failed, retried and acknowledged counts once in both)."""
    finished = Event.objects.filter(time__gte=midnight, seq__lte=seq)
    counts = dict(
        finished.filter(kind__in=(COMMAND_ACKNOWLEDGED, *COMMAND_FAILURES))
        .values_list("kind")
        .annotate(n=Count("seq"))
        .order_by()
    )
    # Newest first until RECENT_FAILURES distinct commands: a command failing again and again
    # (retried by hand) would otherwise take every place.
    failures: dict[int, dict] = {}
    for event in finished.filter(kind__in=COMMAND_FAILURES).order_by("-seq").iterator(50):
        failure = command_failure(event_message(event))
        failures.setdefault(failure["id"], failure)
        if len(failures) == RECENT_FAILURES:
            break
    return {
        "day": day,
        "acknowledged": counts.get(COMMAND_ACKNOWLEDGED, 0),
        "failed": sum(counts.get(kind, 0) for kind in COMMAND_FAILURES),
        "failures": latest_failures(failures.values()),
    }


def _mode_of(payload: dict) -> dict:
    return {**normal_mode(), **payload.get("mode", {})}


# --- Frames -----------------------------------------------------------------------------


@dataclass
class Frame:
    """Everything that changed in the sequence numbers (after, seq]: latest state per object."""

    after: int
    seq: int
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    # Per day: commands acknowledged, failed (or timed out), and the failures by command.
    commands: dict[str, dict] = field(default_factory=dict)
    mode: dict | None = None
    flood: dict | None = None
    failover: dict | None = None

    def add(self, event: dict) -> None:
        """Fold one event (wire form, next in sequence) into the frame."""
        self.seq = event["seq"]
        subject_type = event["subject_type"]
        payload = event["payload"]
        snapshot = payload.get(subject_type)
        if subject_type in OBJECT_TYPES and (
            isinstance(snapshot, dict) or (subject_type in payload and snapshot is None)
        ):
            changed = self.objects.setdefault(subject_type, {})
            changed[str(event["subject_id"])] = (
                None if snapshot is None else wall_object(subject_type, snapshot)
            )
        kind = event["kind"]
        if kind == CALL_LOGGED:
            day = local_day(datetime.fromisoformat(event["time"]))
            self.calls[day] = self.calls.get(day, 0) + 1
        elif kind == MODE_CHANGED:
            self.mode = _mode_of(event["payload"])
        elif kind in (FLOOD_STARTED, FLOOD_ENDED):
            self.flood = flood_of(kind, event["time"])
        elif kind == FAILOVER:
            self.failover = failover_of(event)
        elif kind == COMMANDS_SENT:
            self._add_sent(event["payload"].get("commands", []))
        elif kind == COMMAND_ACKNOWLEDGED or kind in COMMAND_FAILURES:
            day = local_day(datetime.fromisoformat(event["time"]))
            counts = self.commands.setdefault(day, {"acknowledged": 0, "failed": 0, "failures": {}})
            if kind == COMMAND_ACKNOWLEDGED:
                counts["acknowledged"] += 1
            else:
                counts["failed"] += 1
                failure = command_failure(event)
                counts["failures"][failure["id"]] = failure  # the latest per command

    def _add_sent(self, sent: list[dict]) -> None:
        """A batch handed to the devices: each command is now sent, on its next attempt."""
        changed = self.objects.setdefault("command", {})
        for command in sent:
            if "action" not in command:
                continue  # logged before the wall showed commands: its row stays "requested"
            changed[str(command["id"])] = [
                command["action"],
                command["equipment_code"],
                Command.Status.SENT.value,
                command["attempt"],
                command["requested_at"],
            ]

    def is_empty(self) -> bool:
        """Nothing a page would change: only the numbers move."""
        return not (
            self.objects
            or self.calls
            or self.commands
            or self.mode is not None
            or self.flood is not None
            or self.failover is not None
        )

    def message(self) -> dict:
        message = {"type": "frame", "after": self.after, "seq": self.seq, "objects": self.objects}
        if self.calls:
            message["calls"] = self.calls
        if self.commands:
            message["commands"] = {
                day: {**counts, "failures": latest_failures(counts["failures"].values())}
                for day, counts in self.commands.items()
            }
        if self.mode is not None:
            message["mode"] = self.mode
        if self.flood is not None:
            message["flood"] = self.flood
        if self.failover is not None:
            message["failover"] = self.failover
        return message


def frame_of(after: int, events: Iterable[dict]) -> dict:
    frame = Frame(after=after, seq=after)
    for event in events:
        frame.add(event)
    return frame.message()


def apply_frame(state: dict, frame: dict) -> dict:
    """The wall's state after a frame (same rule as wall-state.js's applyFrame)."""
    if frame["after"] != state["seq"]:
        raise ValueError(f"frame starts after {frame['after']}, state is at {state['seq']}")
    for subject_type, changed in frame["objects"].items():
        objects = state[subject_type]
        for key, value in changed.items():
            if value is None:
                objects.pop(key, None)
            else:
                objects[key] = value
    for day, count in sorted(frame.get("calls", {}).items()):
        if day == state["calls"]["day"]:
            state["calls"]["count"] += count
        elif day > state["calls"]["day"]:
            state["calls"] = {"day": day, "count": count}
    for day, counts in sorted(frame.get("commands", {}).items()):
        finished = state["commands"]
        if day > finished["day"]:
            finished = state["commands"] = {
                "day": day,
                "acknowledged": 0,
                "failed": 0,
                "failures": [],
            }
        if day == finished["day"]:
            finished["acknowledged"] += counts["acknowledged"]
            finished["failed"] += counts["failed"]
            finished["failures"] = latest_failures([*finished["failures"], *counts["failures"]])
    if frame.get("mode") is not None:
        state["mode"] = frame["mode"]
    if frame.get("flood") is not None:
        state["flood"] = frame["flood"]
    if frame.get("failover") is not None:
        state["failover"] = frame["failover"]
    state["seq"] = frame["seq"]
    return state


# --- Replay -----------------------------------------------------------------------------


def events_after(after: int, limit: int | None = None) -> list[dict] | None:
    """Committed events after a number, in order; None when more than `limit` (reload instead).

    A screen further behind than WALL_REPLAY_LIMIT reloads a snapshot: cheaper than a replay.
    """
    limit = settings.WALL_REPLAY_LIMIT if limit is None else limit
    events = list(Event.objects.filter(seq__gt=after).order_by("seq")[: limit + 1])
    if len(events) > limit:
        return None
    return [event_message(event) for event in events]


def last_seq() -> int:
    return EventSequence.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0


def replay_frame(after: int) -> dict:
    """What a screen at `after` needs: one coalesced frame, or an order to reload."""
    events = events_after(after)
    if events is None or after > last_seq():
        # Too far behind, or ahead of the log (a database restored from backup): start over.
        return {"type": "reload"}
    return frame_of(after, events)

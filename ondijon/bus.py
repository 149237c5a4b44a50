"""The event bus: how every app tells the room what happened.

`emit()` writes an Event row (the events log lives in `supervision`) in the caller's
transaction and publishes it to the channel layer once that transaction commits. Apps call
it instead of importing `supervision`, so dependencies keep pointing one way.

Ordering: numbers are taken under a row lock on the single EventSequence row, held until
commit, so event-writing transactions commit in sequence order and a screen that has seen
N has necessarily been able to see every number below N.

Lock order: the events sequence is the last lock a transaction takes. Every writer of the
room (a PATCH, a telemetry batch, the acknowledgement listener, a crisis batch...) waits for
it while holding the rows it changed; one that took the sequence and then waited for a row
lock would close a cycle with any of them (PostgreSQL then fails one of the two). So:
- lock and write the rows first, emit last (`emit_many` once, with every record);
- a transaction that must emit more than once takes every row lock it needs before the
  first emit (in key order, as everywhere else), and writes only those rows afterwards;
- the foreign-key checks of rows inserted before the emit are not left to the commit:
  PostgreSQL's deferred checks would lock the referenced rows (a command's device...) after
  the sequence; `emit_many` runs them before taking it (`check_pending_references`).

Who hears what: each live page joins the channel-layer groups of the subjects it shows
(supervision/desks.py), and `groups_of()` is the one rule saying which groups an event
concerns. A committed batch goes to each of its groups once, with the group's events only,
the number of the group's previous event (`after`: a page that has it knows nothing of the
group is missing) and every subject group's latest number (`heads`: a page learns that a
group it follows had nothing new). A page thus receives a subset of the numbers and still
knows, number by number, that it holds all of its subjects' events.
"""

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64

# --- Channel-layer groups, one per subject a page can show ---------------------------------
EQUIPMENT = "equipment"
TEAMS = "team"
INTERVENTIONS = "intervention"
ALERTS = "alert"
COMMANDS = "command"
CITY_MODE = "city_mode"
MARKETS = "market"
PRIORITY = "priority"
CALLS = "call"
DISTRICTS = "district"
# Every subject group's latest number rides on each published message; a team's own group
# (`team_group`) is followed alone by its crew's phone and needs no such help.
SUBJECT_GROUPS = (
    EQUIPMENT,
    DISTRICTS,
    TEAMS,
    INTERVENTIONS,
    ALERTS,
    COMMANDS,
    CITY_MODE,
    MARKETS,
    PRIORITY,
    CALLS,
)
# What a page shows of an event is decided by its kind for these (city mode, the hotline's
# call counter, a batch of commands handed to devices), by its subject type otherwise.
GROUP_OF_KIND = {
    "city.mode_changed": CITY_MODE,
    # An alarm flood starts or ends: the pages that show alerts switch to or from the flood view.
    "alarm.flood_started": ALERTS,
    "alarm.flood_ended": ALERTS,
    # A database failover: every wall's header shows it (a banner), as it shows the city mode.
    "platform.database_failover": CITY_MODE,
    "hotline.call_logged": CALLS,
    "commands.sent": COMMANDS,
}
GROUP_OF_SUBJECT = {
    "equipment": EQUIPMENT,
    "team": TEAMS,
    "intervention": INTERVENTIONS,
    "alert": ALERTS,
    "command": COMMANDS,
    "commands": COMMANDS,
    "market": MARKETS,
    "priority": PRIORITY,
    "call": CALLS,
    "district": DISTRICTS,
}
CHANNEL_GROUP_PREFIX = "events."
TEAM_GROUP_PREFIX = "team."


@dataclass
class EventRecord:
    """What happened, before it gets its number."""

    kind: str
    subject_type: str = ""
    subject_id: Any = ""
    subject_label: str = ""
    payload: dict = field(default_factory=dict)
    actor: Any = None  # a user, or None for the system or a device
    actor_label: str = ""
    service: str = ""
    correction_of_id: int | None = None


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def normalise_payload(payload: dict) -> dict:
    """The payload as it will read back from the database (dates as ISO strings...)."""
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


# What an entry's hash covers, by the version written with it. Version 1 (the first entries of
# the log) left out who acted (`actor_id`); version 2 covers it and the version itself. Old
# entries keep their version and their hash: rewriting them would be the very tampering the
# chain exists to show (and the checkpoints outside the database anchor them as they are).
HASH_VERSION = 2


def event_hash(prev_hash: str, event) -> str:
    """Hash of an event chained to its predecessor; recomputable from the stored row."""
    fields = [
        event.seq,
        event.time.isoformat(),
        event.kind,
        event.actor_label,
        event.service,
        event.subject_type,
        event.subject_id,
        event.subject_label,
        event.payload,
        event.correction_of_id,
    ]
    version = getattr(event, "hash_version", 1)
    if version >= 2:
        fields = [version, event.actor_id, *fields]
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode()).hexdigest()


def event_message(event) -> dict:
    """The wire form of an event, as screens and the API's event stream receive it."""
    return {
        "seq": event.seq,
        "time": event.time.isoformat(),
        "kind": event.kind,
        "actor": event.actor_label,
        "service": event.service,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "subject_label": event.subject_label,
        "payload": event.payload,
    }


def team_group(team_id: Any) -> str:
    """A field crew's group: its team's events and those of the interventions it is or was
    sent to."""
    return f"{TEAM_GROUP_PREFIX}{team_id}"


def channel_group(group: str) -> str:
    """The channel layer's name of a group (`groups_of` gives the short names)."""
    return CHANNEL_GROUP_PREFIX + group


def teams_named(event: Mapping) -> list[str]:
    """The teams an event is about: a team's own, or the teams an intervention's event names
    (its snapshot lists the active ones; the events of one team's part name that team, those
    of a status change every team ever sent)."""
    subject_type = event.get("subject_type")
    if subject_type == "team":
        return [str(event["subject_id"])]
    if subject_type != "intervention":
        return []
    payload = event.get("payload") or {}
    snapshot = payload.get("intervention")
    named = list(snapshot.get("teams", [])) if isinstance(snapshot, dict) else []
    for team in [payload.get("team"), *payload.get("teams", [])]:
        if isinstance(team, dict) and "id" in team:
            named.append(team["id"])
    return list(dict.fromkeys(str(team_id) for team_id in named))


def groups_of(event: Mapping) -> list[str]:
    """The channel-layer groups an event (wire form) concerns: every page that shows its
    subject follows one of them. The same rule narrows a page's replay from the log, so what
    a page replays is exactly what it would have received live. An event no page shows (a
    note, a referral, a campaign) concerns no group and is not published."""
    groups = [
        GROUP_OF_KIND.get(event.get("kind", "")),
        GROUP_OF_SUBJECT.get(event.get("subject_type", "")),
    ]
    groups += [team_group(team_id) for team_id in teams_named(event)]
    return list(dict.fromkeys(group for group in groups if group))


def deliveries(
    messages: Sequence[dict], before: Mapping[str, int]
) -> tuple[list[tuple[str, dict]], dict[str, int]]:
    """What publishing one committed batch sends, and the groups' latest numbers after it.

    `before` holds each group's latest number before the batch. Each group the batch concerns
    gets one message: its events in order, `after` (the group's number before the batch) and
    `seq` (the batch's last number, up to which the group has nothing else), and `heads`
    (every subject group's latest number at `seq`).
    """
    by_group: dict[str, list[dict]] = {}
    for message in messages:
        for group in groups_of(message):
            by_group.setdefault(group, []).append(message)
    heads = {**before, **{group: events[-1]["seq"] for group, events in by_group.items()}}
    seq = messages[-1]["seq"]
    subject_heads = {group: heads[group] for group in SUBJECT_GROUPS if heads.get(group)}
    sends = [
        (
            channel_group(group),
            {
                "type": "events.published",
                "group": group,
                "after": before.get(group, 0),
                "seq": seq,
                "heads": subject_heads,
                "events": events,
            },
        )
        for group, events in by_group.items()
    ]
    return sends, heads


def emit(kind: str, **fields: Any):
    """Record one event in the current transaction; see EventRecord for the fields."""
    return emit_many([EventRecord(kind=kind, **fields)])[0]


def check_pending_references() -> None:
    """Run the transaction's deferred foreign-key checks now, before the sequence's lock.

    Django's foreign keys are checked at commit on PostgreSQL, and a check locks the row it
    refers to (FOR KEY SHARE): commands inserted for a device would lock it after the events
    sequence, while the acknowledgement listener holds the device and waits for the sequence.
    Checked here, those locks come first; later inserts are checked at commit as before.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")


def emit_many(records: Sequence[EventRecord]) -> list:
    """Record events in the current transaction, numbered in order, published after commit."""
    if not records:
        return []
    event_model = apps.get_model("supervision", "Event")
    sequence_model = apps.get_model("supervision", "EventSequence")
    with transaction.atomic():
        check_pending_references()
        counter, _ = sequence_model.objects.select_for_update().get_or_create(pk=1)
        now = timezone.now()
        prev_hash = counter.last_hash
        events = []
        for offset, record in enumerate(records, start=1):
            actor = record.actor if getattr(record.actor, "is_authenticated", False) else None
            event = event_model(
                seq=counter.last_seq + offset,
                time=now,
                kind=record.kind,
                actor=actor,
                actor_label=record.actor_label or (actor.get_username() if actor else "system"),
                service=record.service,
                subject_type=record.subject_type,
                subject_id=str(record.subject_id),
                subject_label=record.subject_label[:200],
                payload=normalise_payload(record.payload),
                correction_of_id=record.correction_of_id,
                hash_version=HASH_VERSION,
                prev_hash=prev_hash,
            )
            event.hash = prev_hash = event_hash(prev_hash, event)
            events.append(event)
        event_model.objects.bulk_create(events)
        messages = [event_message(event) for event in events]
        sends, counter.group_heads = deliveries(messages, counter.group_heads)
        counter.last_seq += len(events)
        counter.last_hash = prev_hash
        counter.save(update_fields=["last_seq", "last_hash", "group_heads"])
        transaction.on_commit(lambda: publish(sends))
    return events


def last_seq() -> int:
    """The number of the last committed event: a page that reads it *before* reading the
    objects it shows, then replays what followed, misses nothing (events carry the whole
    latest state of their object, so replaying one the page already reflects is harmless)."""
    sequence_model = apps.get_model("supervision", "EventSequence")
    return sequence_model.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0


def sequence_heads() -> tuple[int, dict[str, int]]:
    """The last committed number and, as of it, each group's latest number (absent: none)."""
    sequence_model = apps.get_model("supervision", "EventSequence")
    row = sequence_model.objects.filter(pk=1).values_list("last_seq", "group_heads").first()
    return row if row else (0, {})


def running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# Groups are independent, so a batch's messages go out a few at a time (a tracker's batch moves
# hundreds of teams, each with its crew's group); more would exhaust Redis's connection pool.
SENDS_AT_ONCE = 8


async def send_to_groups(sends: list[tuple[str, dict]]) -> None:
    # A group's next batch is sent only once this one is (the caller waits): order is kept.
    layer = get_channel_layer()
    for start in range(0, len(sends), SENDS_AT_ONCE):
        chunk = sends[start : start + SENDS_AT_ONCE]
        await asyncio.gather(*(layer.group_send(group, message) for group, message in chunk))


async def send_to_groups_in_time(sends: list[tuple[str, dict]]) -> None:
    """A frozen or unreachable Redis must not hold the request that committed the events:
    past PUBLISH_TIMEOUT_SECONDS the send is given up (TimeoutError) and the screens read
    the events from the log instead, by their heartbeat's catch-up."""
    await asyncio.wait_for(send_to_groups(sends), timeout=settings.PUBLISH_TIMEOUT_SECONDS)


def send_to_screens(sends: list[tuple[str, dict]]) -> None:
    async_to_sync(send_to_groups_in_time)(sends)


def publish(sends: Iterable[tuple[str, dict]]) -> None:
    """Send a committed batch to its groups (`deliveries`); a failure here is repaired by
    replay: the pages see a number missing and read it from the log."""
    sends = list(sends)
    if not sends:
        return
    try:
        if running_loop():
            # async_to_sync refuses to block a thread that runs an event loop (sync code
            # called straight from async code, or from a test driving a browser): send from
            # a thread of its own and wait, so the caller still returns after the send.
            with ThreadPoolExecutor(max_workers=1) as sender:
                sender.submit(send_to_screens, sends).result()
        else:
            send_to_screens(sends)
    except TimeoutError:
        logger.warning(
            "Publishing the events up to %s took over %s s: given up, the screens replay them",
            sends[0][1]["seq"],
            settings.PUBLISH_TIMEOUT_SECONDS,
        )
    except Exception:  # the events are committed; screens catch up by sequence number
        logger.exception("Could not publish the events up to %s", sends[0][1]["seq"])

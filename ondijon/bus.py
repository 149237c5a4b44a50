"""The event bus: how every app tells the room what happened.

`emit()` writes an Event row (the events log lives in `supervision`) in the caller's
transaction and publishes it to the channel layer once that transaction commits. Apps call
it instead of importing `supervision`, so dependencies keep pointing one way.

Ordering: numbers are taken under a row lock on the single EventSequence row, held until
commit, so event-writing transactions commit in sequence order and a screen that has seen
N has necessarily been able to see every number below N.
"""

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

EVENTS_GROUP = "events"
GENESIS_HASH = "0" * 64


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


def event_hash(prev_hash: str, event) -> str:
    """Hash of an event chained to its predecessor; recomputable from the stored row."""
    content = canonical_json(
        [
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
    )
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


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


def emit(kind: str, **fields: Any):
    """Record one event in the current transaction; see EventRecord for the fields."""
    return emit_many([EventRecord(kind=kind, **fields)])[0]


def emit_many(records: Sequence[EventRecord]) -> list:
    """Record events in the current transaction, numbered in order, published after commit."""
    if not records:
        return []
    event_model = apps.get_model("supervision", "Event")
    sequence_model = apps.get_model("supervision", "EventSequence")
    with transaction.atomic():
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
                prev_hash=prev_hash,
            )
            event.hash = prev_hash = event_hash(prev_hash, event)
            events.append(event)
        event_model.objects.bulk_create(events)
        counter.last_seq += len(events)
        counter.last_hash = prev_hash
        counter.save(update_fields=["last_seq", "last_hash"])
        messages = [event_message(event) for event in events]
        transaction.on_commit(lambda: publish(messages))
    return events


def last_seq() -> int:
    """The number of the last committed event: a page that reads it *before* reading the
    objects it shows, then replays what followed, misses nothing (events carry the whole
    latest state of their object, so replaying one the page already reflects is harmless)."""
    sequence_model = apps.get_model("supervision", "EventSequence")
    return sequence_model.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0


def running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def send_to_screens(messages: list[dict]) -> None:
    async_to_sync(get_channel_layer().group_send)(
        EVENTS_GROUP, {"type": "events.published", "events": messages}
    )


def publish(messages: Iterable[dict]) -> None:
    """Send committed events to every screen; a failure here is repaired by replay."""
    messages = list(messages)
    try:
        if running_loop():
            # async_to_sync refuses to block a thread that runs an event loop (sync code
            # called straight from async code, or from a test driving a browser): send from
            # a thread of its own and wait, so the caller still returns after the send.
            with ThreadPoolExecutor(max_workers=1) as sender:
                sender.submit(send_to_screens, messages).result()
        else:
            send_to_screens(messages)
    except Exception:  # the events are committed; screens catch up by sequence number
        logger.exception("Could not publish events %s..%s", messages[0]["seq"], messages[-1]["seq"])

"""The events log: numbered in commit order, chained, append-only, published after commit."""

import asyncio
import itertools

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from ondijon import bus
from supervision.models import AppendOnlyError, Event

# The events below are about a piece of equipment, so a screen showing equipment receives them.
SUBJECT = {"subject_type": "equipment", "subject_id": 1}


async def subscribe() -> str:
    """A channel in the equipment group, as a wall consumer showing equipment has."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(bus.channel_group(bus.EQUIPMENT), channel)
    return channel


async def received(channel: str) -> list[dict]:
    """Every event delivered to the channel so far (waits briefly for stragglers)."""
    layer = get_channel_layer()
    events = []
    while True:
        try:
            message = await asyncio.wait_for(layer.receive(channel), timeout=0.3)
        except TimeoutError:
            return events
        events.extend(message["events"])


def test_sequence_numbers_increase_by_one(db):
    first = bus.emit("test.one")
    second, third = bus.emit_many([bus.EventRecord("test.two"), bus.EventRecord("test.three")])
    assert [first.seq, second.seq, third.seq] == [first.seq, first.seq + 1, first.seq + 2]


def test_hash_chain_links_each_event_to_the_previous(db):
    events = [bus.emit("test.chain", payload={"n": n}) for n in range(3)]
    stored = list(Event.objects.order_by("seq"))
    assert [e.hash for e in stored] == [e.hash for e in events]
    for previous, current in itertools.pairwise(stored):
        assert current.prev_hash == previous.hash
        assert bus.event_hash(current.prev_hash, current) == current.hash


def test_changing_a_stored_payload_breaks_its_hash(db):
    event = bus.emit("test.tamper", payload={"amount": 1})
    event.payload = {"amount": 2}
    assert bus.event_hash(event.prev_hash, event) != event.hash


def test_events_cannot_be_edited_or_deleted_through_the_orm(db):
    event = bus.emit("test.immutable")
    event.kind = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(kind="x")
    with pytest.raises(AppendOnlyError):
        Event.objects.all().delete()


@pytest.mark.postgres
def test_postgres_refuses_raw_updates_of_events(db):
    from django.db import DatabaseError, connection

    event = bus.emit("test.raw")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE supervision_event SET kind = 'x' WHERE id = %s", [event.pk])


@pytest.mark.django_db(transaction=True)
async def test_published_only_after_commit():
    channel = await subscribe()

    def change_the_city():
        with transaction.atomic():
            event = bus.emit("test.after_commit", payload={"x": 1}, **SUBJECT)
            # Code in this thread reaches the test's event loop, as a view does daphne's.
            assert async_to_sync(received)(channel) == []
        return event

    event = await sync_to_async(change_the_city)()
    published = await received(channel)
    assert [(e["seq"], e["kind"], e["payload"]) for e in published] == [
        (event.seq, "test.after_commit", {"x": 1})
    ]


async def test_published_from_sync_code_running_under_an_event_loop():
    """A service called straight from async code (or from a test that drives a browser)
    still reaches the screens: async_to_sync cannot run there, so publishing must not use it
    in that thread."""
    channel = await subscribe()
    message = {"seq": 1, "kind": "test.under_loop", "payload": {}, **SUBJECT}
    bus.publish(bus.deliveries([message], {})[0])  # deliberately not through sync_to_async
    assert [e["kind"] for e in await received(channel)] == ["test.under_loop"]


@pytest.mark.django_db(transaction=True)
async def test_rolled_back_events_are_neither_stored_nor_published():
    channel = await subscribe()

    def failing_change():
        with pytest.raises(RuntimeError), transaction.atomic():
            bus.emit("test.rolled_back", **SUBJECT)
            raise RuntimeError("the change failed")
        assert not Event.objects.filter(kind="test.rolled_back").exists()
        # The number was not consumed: the next event follows the last stored one.
        last = Event.objects.order_by("-seq").first()
        return bus.emit("test.next", **SUBJECT), last

    following, last = await sync_to_async(failing_change)()
    assert following.seq == (last.seq + 1 if last else 1)
    assert [e["kind"] for e in await received(channel)] == ["test.next"]


def test_payload_dates_are_stored_as_read_back(db):
    from datetime import UTC, datetime

    event = bus.emit("test.dates", payload={"at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)})
    stored = Event.objects.get(pk=event.pk)
    assert stored.payload == {"at": "2026-01-02T03:04:05Z"}
    assert bus.event_hash(stored.prev_hash, stored) == stored.hash

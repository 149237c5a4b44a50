"""Publishing through Redis: every committed event of many small transactions reaches a
screen's channel, in full."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from ondijon import bus

EVENTS = 200


async def drain(layer, channel, expected: int, timeout: float = 10) -> list[dict]:
    messages = []
    received = 0
    deadline = asyncio.get_running_loop().time() + timeout
    while received < expected:
        remaining = deadline - asyncio.get_running_loop().time()
        message = await asyncio.wait_for(layer.receive(channel), timeout=max(0.1, remaining))
        messages.append(message)
        received += len(message["events"])
    return messages


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_small_transactions_are_published_in_batches_and_in_full():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = bus.channel_group(bus.EQUIPMENT)
    await layer.group_add(group, channel)

    def one_transaction_per_event():
        return [
            bus.emit("test.small", payload={"n": n}, subject_type="equipment", subject_id=n).seq
            for n in range(EVENTS)
        ]

    try:
        seqs = await sync_to_async(one_transaction_per_event)()
        messages = await drain(layer, channel, EVENTS)
    finally:
        await layer.group_discard(group, channel)
    published = [event["seq"] for message in messages for event in message["events"]]
    assert sorted(published) == seqs

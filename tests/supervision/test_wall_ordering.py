"""Sequence numbers become visible in order: a reader that has seen N has seen every number
below N, whatever the interleaving of concurrent writers (the classic trap of numbers taken
before commit). Proven with real concurrent transactions on PostgreSQL."""

import random
import threading
import time

import pytest
from django.db import connection, transaction

from ondijon import bus
from supervision.models import Event
from supervision.wall import state as wall

WRITERS = 6
EVENTS_PER_WRITER = 25


def writer(number: int, stop_at: float) -> None:
    rng = random.Random(number)
    try:
        for n in range(EVENTS_PER_WRITER):
            if time.monotonic() > stop_at:
                return
            with transaction.atomic():
                bus.emit("test.concurrent", payload={"writer": number, "n": n})
                # Hold the transaction open for a while after taking the number, so that
                # without the row lock a later number could commit first.
                time.sleep(rng.uniform(0, 0.01))
    finally:
        connection.close()


@pytest.mark.postgres
def test_concurrent_writers_never_let_a_reader_see_a_number_before_a_lower_one(
    transactional_db,
):
    stop_at = time.monotonic() + 60
    threads = [threading.Thread(target=writer, args=(n, stop_at)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    seen = 0
    observations = 0
    while any(thread.is_alive() for thread in threads) or seen < wall.last_seq():
        # What a replaying screen does: everything after the last number it has.
        visible = list(Event.objects.filter(seq__gt=seen).values_list("seq", flat=True))
        assert visible == list(range(seen + 1, seen + 1 + len(visible))), (
            f"after {seen} the reader saw {visible[:10]}: a number was skipped"
        )
        seen += len(visible)
        observations += 1
    for thread in threads:
        thread.join()
    assert seen == WRITERS * EVENTS_PER_WRITER
    assert observations > 10  # the reader really interleaved with the writers

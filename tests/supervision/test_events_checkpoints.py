"""An events log you can prove: the chain covers who acted, its head is written outside the
database every few minutes, and a log that a database superuser altered and re-chained no
longer matches those checkpoints."""

import json
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from ondijon import bus, roles
from supervision.log import checkpoints
from supervision.log import timeline as log
from supervision.models import Event, EventSequence
from tests.supervision.test_events_log import tamper


def entries(count: int, **fields) -> list[Event]:
    return [bus.emit("test.entry", payload={"n": n}, **fields) for n in range(count)]


def rechain_from(seq: int) -> None:
    """What a database superuser can do after editing entry `seq`: recompute every hash from
    it on, and the sequence row's, so that the chain holds again."""
    rows = Event.objects.order_by("seq").values(*log.HASHED_FIELDS, "prev_hash", "hash")
    prev_hash = bus.GENESIS_HASH
    for row in rows:
        if row["seq"] >= seq:
            row["hash"] = bus.event_hash(prev_hash, SimpleNamespace(**row))
            tamper(
                "UPDATE supervision_event SET prev_hash = %s, hash = %s WHERE seq = %s",
                [prev_hash, row["hash"], row["seq"]],
            )
        prev_hash = row["hash"]
    EventSequence.objects.filter(pk=1).update(last_hash=prev_hash)


def test_the_chain_covers_who_acted(make_user):
    dispatcher = make_user(roles.DISPATCHER, username="dispatcher")
    other = make_user(roles.DISPATCHER, username="other")
    events = entries(3, actor=dispatcher)
    with transaction.atomic():
        tamper(
            "UPDATE supervision_event SET actor_id = %s WHERE seq = %s", [other.pk, events[1].seq]
        )
    report = log.verify_chain()
    assert (report.first_broken_seq, report.reason) == (
        events[1].seq,
        "its content does not match its hash",
    )


def test_entries_written_before_the_actor_was_covered_still_verify(make_user):
    """Old entries keep their hash version (1) and their hash: nothing is rewritten."""
    user = make_user(roles.OPERATOR)
    legacy = Event(
        seq=1,
        time=timezone.now(),
        kind="note.added",
        actor=user,
        actor_label=user.username,
        payload={"text": "written before"},
        hash_version=1,
        prev_hash=bus.GENESIS_HASH,
    )
    legacy.hash = bus.event_hash(bus.GENESIS_HASH, legacy)
    legacy.save()
    EventSequence.objects.update_or_create(pk=1, defaults={"last_seq": 1, "last_hash": legacy.hash})
    new = bus.emit("note.added", payload={"text": "written after"}, actor=user)
    assert new.hash_version == bus.HASH_VERSION == 2 and new.prev_hash == legacy.hash
    report = log.verify_chain()
    assert report.intact and report.checked == 2


def test_a_checkpoint_is_appended_outside_the_database(db, checkpoint_file):
    events = entries(3)
    written = checkpoints.write_checkpoint()
    assert (written.seq, written.hash) == (events[-1].seq, events[-1].hash)
    assert checkpoints.write_checkpoint() is None  # nothing new: nothing written
    more = entries(2)
    checkpoints.write_checkpoint()
    lines = [json.loads(line) for line in checkpoint_file.read_text().splitlines()]
    assert [(line["seq"], line["hash"]) for line in lines] == [
        (events[-1].seq, events[-1].hash),
        (more[-1].seq, more[-1].hash),
    ]
    assert all(line["time"] for line in lines)


def test_the_periodic_job_writes_the_checkpoints(db, checkpoint_file):
    from supervision.tasks import write_events_checkpoint

    entry = settings.CELERY_BEAT_SCHEDULE["events-checkpoint"]
    assert entry["task"] == "supervision.tasks.write_events_checkpoint"
    assert 0 < entry["schedule"] <= 3600
    assert settings.EVENTS_CHECKPOINT_SINK == "supervision.log.checkpoints.FileSink"
    last = entries(2)[-1]
    assert write_events_checkpoint.delay().get() == last.seq
    assert json.loads(checkpoint_file.read_text())["hash"] == last.hash


def test_a_log_altered_and_rechained_by_a_superuser_is_caught_against_the_checkpoints(db):
    events = entries(6)
    checkpoints.write_checkpoint()
    entries(2)
    target = events[2].seq
    with transaction.atomic():
        tamper("UPDATE supervision_event SET payload = '{\"n\": 99}' WHERE seq = %s", [target])
        rechain_from(target)
    # The chain alone holds again: that is what the checkpoints are for.
    assert log.verify_chain().intact
    with pytest.raises(
        CommandError,
        match=rf"BROKEN at entry #{events[-1].seq}: it does not match the checkpoint of .* "
        rf"entries #1 to #{events[-1].seq} were altered and the chain recomputed",
    ):
        call_command("verify_events")


def test_a_log_cut_short_behind_a_checkpoint_is_caught(db):
    events = entries(4)
    checkpoints.write_checkpoint()
    with transaction.atomic():
        tamper("DELETE FROM supervision_event WHERE seq >= %s", [events[2].seq])
        EventSequence.objects.filter(pk=1).update(last_seq=events[1].seq, last_hash=events[1].hash)
    assert log.verify_chain().intact
    with pytest.raises(CommandError, match=rf"after #{events[1].seq} are missing: the checkpoint"):
        call_command("verify_events")


def test_no_checkpoint_vouches_for_a_chain_that_does_not_hold(db, checkpoint_file):
    entries(2)
    checkpoints.write_checkpoint()
    later = entries(2)
    with transaction.atomic():
        tamper("UPDATE supervision_event SET kind = 'x' WHERE seq = %s", [later[0].seq])
    before = checkpoint_file.read_text()
    with pytest.raises(checkpoints.ChainBroken, match=f"#{later[0].seq}"):
        checkpoints.write_checkpoint()
    assert checkpoint_file.read_text() == before
    with pytest.raises(CommandError, match="No checkpoint written"):
        call_command("checkpoint_events")


def test_verify_events_says_how_many_checkpoints_match(db):
    entries(2)
    checkpoints.write_checkpoint()
    entries(1)
    checkpoints.write_checkpoint()
    from io import StringIO

    out = StringIO()
    call_command("verify_events", stdout=out)
    assert "intact: 3 entries" in out.getvalue() and "2 checkpoints match" in out.getvalue()


def test_the_file_sink_only_ever_appends(tmp_path):
    sink = checkpoints.FileSink(tmp_path / "anchors.jsonl")
    sink.append(checkpoints.Checkpoint(1, "a" * 64, "2026-12-01T00:00:00+00:00"))
    sink.append(checkpoints.Checkpoint(2, "b" * 64, "2026-12-01T00:05:00+00:00"))
    assert [c.seq for c in checkpoints.FileSink(tmp_path / "anchors.jsonl").read()] == [1, 2]

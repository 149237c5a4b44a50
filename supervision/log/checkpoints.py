"""Checkpoints of the events chain, kept outside the database.

The hash chain shows an entry edited behind the application's back, unless whoever edited it
could also recompute every hash after it: a database superuser can (the append-only trigger is
theirs to disable). So every few minutes (`CELERY_BEAT_SCHEDULE`, "events-checkpoint") the
chain's head — its last number, its hash, the time — is appended to a write-once sink that the
database's owners cannot rewrite, and `verify_events` checks the log against every checkpoint:
a re-chained log no longer ends at the hashes written there.

The sink is `EVENTS_CHECKPOINT_SINK`: by default an append-only file (`EVENTS_CHECKPOINT_FILE`),
to be kept where the database's administrators cannot write (another machine's mount, a
`chattr +a` file, a WORM volume). Any class with `append(checkpoint)` and `read()` will do.
"""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from supervision.log import timeline
from supervision.models import Event


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    time: str  # ISO 8601, when it was written


class ChainBroken(Exception):
    """The entries since the last checkpoint do not verify: no checkpoint vouches for them."""

    def __init__(self, report: timeline.ChainReport):
        super().__init__(f"entry #{report.first_broken_seq}: {report.reason}")
        self.report = report


class FileSink:
    """Checkpoints as JSON lines appended to one file (opened for appending only)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or settings.EVENTS_CHECKPOINT_FILE)

    def append(self, checkpoint: Checkpoint) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(asdict(checkpoint), sort_keys=True) + "\n"
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, line.encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def read(self) -> list[Checkpoint]:
        if not self.path.exists():
            return []
        checkpoints = []
        for line in self.path.read_text().splitlines():
            if line.strip():
                fields = json.loads(line)
                checkpoints.append(Checkpoint(int(fields["seq"]), fields["hash"], fields["time"]))
        return checkpoints


def configured_sink():
    return import_string(settings.EVENTS_CHECKPOINT_SINK)()


def read_checkpoints(sink=None) -> list[Checkpoint]:
    return (sink or configured_sink()).read()


def write_checkpoint(sink=None) -> Checkpoint | None:
    """Append the chain's head to the sink, once the entries since the last checkpoint are
    verified (a checkpoint vouches only for a chain that holds). Nothing new since the last
    one: nothing written. Raises ChainBroken, writing nothing, if the new entries do not
    verify."""
    sink = sink or configured_sink()
    head = Event.objects.order_by("-seq").values_list("seq", "hash").first()
    if head is None:
        return None
    written = sink.read()
    previous = max(written, key=lambda checkpoint: checkpoint.seq) if written else None
    if previous and (previous.seq, previous.hash) == head:
        return None
    report = timeline.verify_chain(after=previous)
    if not report.intact:
        raise ChainBroken(report)
    checkpoint = Checkpoint(seq=head[0], hash=head[1], time=timezone.now().isoformat())
    sink.append(checkpoint)
    return checkpoint

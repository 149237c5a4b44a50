"""What the dispatcher's desk and a field crew's phone receive live: the wall's frames, narrowed.

Both pages follow the same rule as a wall screen (supervision/wall/state.py): a frame covers the
sequence numbers (after, seq], carries the latest state of each object that changed, and
applies only on top of `after`. A desk sees only part of the log, so its frames carry only the
objects it may see, and a stretch of events with nothing for it is not sent at once: the
numbers it skipped ride on its next frame, or on an empty frame sent with the heartbeat.
"""

from collections.abc import Callable, Iterable

from supervision.wall import state as wall

Keep = Callable[[dict], bool]

# The dispatcher's desk: interventions and teams, positions included; nothing else (equipment
# telemetry alone is thousands of events a second).
DISPATCH_TYPES = frozenset({"team", "intervention"})


def for_dispatch(event: dict) -> bool:
    return event["subject_type"] in DISPATCH_TYPES


def for_alert_desk(event: dict) -> bool:
    return event["subject_type"] == "alert"


def for_team(team_id: int, call_sign: str) -> Keep:
    """A field crew's phone: its own team, and the interventions its team is or was sent to.

    Decided from the event alone: an intervention's snapshot lists its active teams, and the
    events about one team's part (assigned, released, done, a step) name that team.
    """

    def names_team(value) -> bool:
        if isinstance(value, dict):
            return value.get("id") == team_id
        return value == call_sign

    def keep(event: dict) -> bool:
        if event["subject_type"] == "team":
            return str(event["subject_id"]) == str(team_id)
        if event["subject_type"] != "intervention":
            return False
        payload = event["payload"]
        snapshot = payload.get("intervention")
        if isinstance(snapshot, dict) and team_id in snapshot.get("teams", []):
            return True
        return names_team(payload.get("team")) or any(
            names_team(team) for team in payload.get("teams", [])
        )

    return keep


class StreamFeed(wall.WallFeed):
    """A WallFeed whose frames hold only the events `keep` lets through.

    `sent` is the last number taken from the log, `told` the last number the page was given;
    the next frame starts at `told`, so the page's rule (a frame applies on top of its own
    number) holds although empty stretches are never sent on their own.
    """

    def __init__(self, after: int, keep: Keep) -> None:
        super().__init__(after)
        self.keep = keep
        self.told = after
        self.first = True  # the first frame goes out even when empty: it says "live"

    def take_frame(self, always: bool = False) -> dict | None:
        """The next frame, or None when it would hold nothing for this page; `always` also
        returns an empty one that moves the page's number forward (and a first frame)."""
        frame = wall.Frame(after=self.told, seq=self.told)
        while self.sent + 1 in self.pending:
            event = self.pending.pop(self.sent + 1)
            self.sent += 1
            if self.keep(event):
                frame.add(event)
        frame.seq = self.sent
        if not frame.objects and not (always and (frame.seq > frame.after or self.first)):
            return None
        self.told = self.sent
        self.first = False
        return frame.message()


def replay(after: int, keep: Keep) -> tuple[dict, StreamFeed] | None:
    """The first frame for a page at `after`, and its feed; None when it must reload."""
    events: Iterable[dict] | None = wall.events_after(after)
    if events is None or after > wall.last_seq():
        return None
    feed = StreamFeed(after, keep)
    feed.receive(events)
    return feed.take_frame(always=True), feed

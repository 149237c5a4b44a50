"""What each live page receives: the channel-layer groups it follows, and its frames.

Every live page (a wall screen, the dispatcher's desk, a field crew's phone, the alert desk)
follows the wall's rule (supervision/wall.py): a frame covers the sequence numbers
(after, seq], carries the latest state of each object that changed, and applies only on top
of `after`. A page joins only the groups of the subjects it shows (`ondijon.bus.groups_of`),
so it receives a subset of the numbers: its feed knows, group by group, up to which number it
holds every event, and a frame goes no further than the number below which it holds them all.
A stretch of numbers with nothing for the page is not sent at once: the numbers it skipped
ride on its next frame, or on an empty frame sent with the heartbeat.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from ondijon import bus
from supervision.models import Event, WallScreen
from supervision.wall import state as wall

Groups = frozenset[str]

# The dispatcher's desk: interventions and teams, positions included; nothing else (equipment
# telemetry alone is thousands of events a second).
DISPATCH_GROUPS: Groups = frozenset({bus.TEAMS, bus.INTERVENTIONS})
ALERT_DESK_GROUPS: Groups = frozenset({bus.ALERTS})
# The device console: the commands it follows for its device or selection (not telemetry).
CONSOLE_GROUPS: Groups = frozenset({bus.COMMANDS})
# The console's map: every device's status as it changes (the wall's map follows the same).
CONSOLE_MAP_GROUPS: Groups = frozenset({bus.EQUIPMENT})

# What each wall panel shows. The map's legend turns any layer on, so the map follows them all.
Panel = WallScreen.Panel
PANEL_GROUPS: dict[str, tuple[str, ...]] = {
    Panel.MAP: (
        bus.DISTRICTS,
        bus.EQUIPMENT,
        bus.TEAMS,
        bus.INTERVENTIONS,
        bus.ALERTS,
        bus.MARKETS,
        bus.PRIORITY,
    ),
    Panel.ALERTS: (bus.ALERTS,),
    Panel.INTERVENTIONS: (bus.INTERVENTIONS,),
    Panel.HEALTH: (bus.DISTRICTS, bus.EQUIPMENT),
    Panel.FIGURES: (bus.ALERTS, bus.INTERVENTIONS, bus.TEAMS, bus.CALLS, bus.CITY_MODE),
    Panel.MARKETS: (bus.MARKETS,),
    Panel.COMMANDS: (bus.COMMANDS,),
    # Video tiles ask the web app what they show (supervision/video/): no stream of events.
    Panel.VIDEO: (),
}


def for_wall(panels: Iterable[str]) -> Groups:
    """A wall screen: the groups of its panels, and the city mode (with the database's
    failovers) its header always shows."""
    return frozenset({bus.CITY_MODE}).union(*(PANEL_GROUPS.get(panel, ()) for panel in panels))


def for_team(team_id: int) -> Groups:
    """A field crew's phone: its own team, and the interventions its team is or was sent to."""
    return frozenset({bus.team_group(team_id)})


def shows(groups: Groups, event: dict) -> bool:
    """Whether a page following `groups` shows an event (wire form)."""
    return not groups.isdisjoint(bus.groups_of(event))


def stored_filter(groups: Groups) -> Q:
    """The events log rows that may concern the groups, as a database filter: built from the
    tables `groups_of` reads, so it holds every event a page shows (and `shows` then decides)."""
    kinds = [kind for kind, group in bus.GROUP_OF_KIND.items() if group in groups]
    subject_types = [subject for subject, group in bus.GROUP_OF_SUBJECT.items() if group in groups]
    stored = Q(kind__in=kinds) | Q(subject_type__in=subject_types)
    teams = [group.removeprefix(bus.TEAM_GROUP_PREFIX) for group in groups
             if group.startswith(bus.TEAM_GROUP_PREFIX)]  # fmt: skip
    if teams:
        stored |= Q(subject_type="team", subject_id__in=teams) | Q(subject_type="intervention")
    return stored


def events_after(after: int, groups: Groups) -> tuple[list[dict], int] | None:
    """A page's events after its number, read from the log, and the number they go up to;
    None when further behind than WALL_REPLAY_LIMIT events (of those `stored_filter` reads):
    the page reloads a snapshot instead.

    The last number is read first: every event up to it is committed (they commit in order),
    so what the page gets is all of its events up to that number, whatever came since.
    """
    through = wall.last_seq()
    if after > through:
        return None  # ahead of the log (a database restored from backup): start over
    limit = settings.WALL_REPLAY_LIMIT
    stored = Event.objects.filter(stored_filter(groups), seq__gt=after, seq__lte=through)
    rows = list(stored.order_by("seq")[: limit + 1])
    if len(rows) > limit:
        return None
    return [event for event in map(bus.event_message, rows) if shows(groups, event)], through


class StreamFeed:
    """Per-page buffer between the groups a page follows and its socket.

    Published messages arrive per batch and group, possibly out of order across processes,
    possibly not at all (a full channel); the log, read on a gap, fills in the rest. For each
    group it follows the feed keeps `complete[group]`, the number up to which it holds every
    event of that group; `known`, the lowest of them, is how far the next frame may go, and
    `told` the last number the page was given. `has_gap()` says an event the page follows is
    known to exist and is missing: the consumer then reads the log after `known`.
    """

    def __init__(self, after: int, groups: Iterable[str]) -> None:
        self.groups: Groups = frozenset(groups)
        if not self.groups:
            raise ValueError(_("A live page follows at least one group."))
        self.told = after
        self.first = True  # the first frame goes out even when empty: it says "live"
        self.complete = dict.fromkeys(self.groups, after)
        self.held: dict[int, dict] = {}  # the page's events, not yet told
        # Per group: messages that follow an event of the group not yet held; and what other
        # messages (or the log's counter) said of it: (its latest number, as of number).
        self.waiting: dict[str, list[dict]] = {group: [] for group in self.groups}
        self.heads: dict[str, list[tuple[int, int]]] = {group: [] for group in self.groups}

    @property
    def known(self) -> int:
        return min(self.complete.values())

    def receive_published(self, message: dict) -> None:
        """A message of one of the page's groups (`ondijon.bus.deliveries`)."""
        self._learn(message["seq"], message.get("heads", {}), bus.SUBJECT_GROUPS)
        if message["group"] in self.waiting:
            self.waiting[message["group"]].append(message)
        self._settle()

    def learn(self, seq: int, heads: dict[str, int]) -> None:
        """The log's counter (`ondijon.bus.sequence_heads`): every group's latest number."""
        self._learn(seq, heads, self.groups)
        self._settle()

    def receive(self, events: Iterable[dict], through: int) -> None:
        """Events read from the log, among them every event of the page's groups up to
        `through` (`events_after`); the feed keeps those the page shows."""
        for event in events:
            if event["seq"] <= through and shows(self.groups, event):
                self._hold(event)
        for group, complete in self.complete.items():
            self.complete[group] = max(complete, through)
        self._settle()

    def has_gap(self) -> bool:
        return any(self.waiting.values()) or any(self.heads.values())

    def take_frame(self, always: bool = False) -> dict | None:
        """The frame up to `known`, or None when it would change nothing on the page; `always`
        also returns an empty one that moves the page's number forward (and a first frame)."""
        known = self.known
        frame = wall.Frame(after=self.told, seq=self.told)
        for seq in sorted(seq for seq in self.held if seq <= known):
            frame.add(self.held.pop(seq))
        frame.seq = known
        if frame.is_empty() and not (always and (known > self.told or self.first)):
            return None
        self.told = known
        self.first = False
        return frame.message()

    def _learn(self, seq: int, heads: dict[str, int], announced: Iterable[str]) -> None:
        for group in self.groups.intersection(announced):
            self.heads[group].append((heads.get(group, 0), seq))

    def _hold(self, event: dict) -> None:
        if event["seq"] > self.told:
            self.held[event["seq"]] = event

    def _settle(self) -> None:
        """Fold in whatever now follows what the feed holds, until nothing more does."""
        progress = True
        while progress:
            progress = False
            for group in self.groups:
                progress |= self._settle_group(group)

    def _settle_group(self, group: str) -> bool:
        complete = self.complete[group]
        settled = False
        for message in list(self.waiting[group]):
            # `after` is the group's previous event: held, so nothing of the group is missing
            # up to the batch's last number.
            if message["after"] <= complete:
                for event in message["events"]:
                    self._hold(event)
                complete = max(complete, message["seq"])
                self.waiting[group].remove(message)
                settled = True
        for head in list(self.heads[group]):
            latest, as_of = head
            if latest <= complete:  # the group had nothing after its latest, up to `as_of`
                complete = max(complete, as_of)
                self.heads[group].remove(head)
                settled = True
        self.complete[group] = complete
        return settled


def replay(after: int, groups: Groups) -> tuple[dict, StreamFeed] | None:
    """The first frame for a page at `after`, and its feed; None when it must reload."""
    read = events_after(after, groups)
    if read is None:
        return None
    feed = StreamFeed(after, groups)
    feed.receive(*read)
    return feed.take_frame(always=True), feed

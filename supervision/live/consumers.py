"""Live pages' WebSockets (wall screens, the dispatcher's desk, a field crew's phone):
coalesced frames of the events log, never a missed number."""

import asyncio
import time
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from ondijon.bus import EVENTS_GROUP
from supervision.live import streams as desks
from supervision.models import WallScreen
from supervision.wall import state as wall


def may_show(user, screen_slug: str) -> bool:
    return (
        user.is_authenticated
        and user.has_perm("supervision.view_wall")
        and WallScreen.objects.filter(slug=screen_slug, active=True).exists()
    )


class EventsConsumer(AsyncJsonWebsocketConsumer):
    """A page's live view of the events log. `?after=<seq>` is the last number it applied.

    On connect it replays what followed (or orders a reload); then it folds published events
    into at most one frame per WALL_FRAME_SECONDS, fetching from the log any number that did
    not arrive (publish order across processes, a full channel), so frames are contiguous.
    Subclasses say who may connect and how the first frame and the feed are made.
    """

    def may_connect(self) -> bool:
        """Runs in a thread (it may read the database); False closes the socket."""
        raise NotImplementedError

    def replay(self, after: int) -> dict | None:
        """Runs in a thread: the first frame for a page at `after`, setting `self.feed`;
        None when the page must reload its snapshot."""
        raise NotImplementedError

    async def connect(self) -> None:
        if not await sync_to_async(self.may_connect)():
            await self.close()
            return
        await self.channel_layer.group_add(EVENTS_GROUP, self.channel_name)
        await self.accept()
        after = self._after()
        first = await sync_to_async(self.replay)(after) if after is not None else None
        if first is None:
            await self.send_json({"type": "reload"}, close=True)
            return
        await self.send_json(first)
        self.last_frame_at = 0.0
        self.sending = asyncio.Lock()
        self.flush_task: asyncio.Task | None = None
        self.heartbeat_task = asyncio.create_task(self._heartbeats())

    def _after(self) -> int | None:
        value = parse_qs(self.scope["query_string"].decode()).get("after", [""])[0]
        return int(value) if value.isdigit() else None

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(EVENTS_GROUP, self.channel_name)
        for task in (getattr(self, "flush_task", None), getattr(self, "heartbeat_task", None)):
            if task:
                task.cancel()

    async def receive_json(self, content, **kwargs) -> None:
        """Screens only listen."""

    async def events_published(self, message: dict) -> None:
        if not hasattr(self, "feed"):
            return
        self.feed.receive(message["events"])
        if self.flush_task is None or self.flush_task.done():
            delay = self.last_frame_at + settings.WALL_FRAME_SECONDS - time.monotonic()
            self.flush_task = asyncio.create_task(self._flush_after(max(0.0, delay)))

    async def _flush_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._flush()

    async def _flush(self, catch_up: bool = False) -> None:
        async with self.sending:
            if catch_up or self.feed.has_gap():
                missing = await sync_to_async(wall.events_after)(self.feed.sent)
                if missing is None:
                    await self.send_json({"type": "reload"}, close=True)
                    return
                self.feed.receive(missing)
            frame = self.feed.take_frame()
            if frame:
                self.last_frame_at = time.monotonic()
                await self.send_json(frame)

    async def _heartbeats(self) -> None:
        """Tell the screen it is live, and catch up on events whose message never came."""
        while True:
            await asyncio.sleep(settings.WALL_HEARTBEAT_SECONDS)
            # Membership of a group lapses after the layer's group_expiry (a day by default):
            # renewed here, a wall on for weeks keeps receiving at once, and a channel whose
            # process died leaves the group after group_expiry (CHANNEL_GROUP_EXPIRY).
            await self.channel_layer.group_add(EVENTS_GROUP, self.channel_name)
            if await sync_to_async(wall.last_seq)() > self.feed.highest_pending():
                await self._flush(catch_up=True)
            await self.heartbeat()

    async def heartbeat(self) -> None:
        await self.send_json(
            {"type": "heartbeat", "seq": self.feed.sent, "time": timezone.now().isoformat()}
        )


class WallConsumer(EventsConsumer):
    """One wall screen: every event, as the screen's frames."""

    def may_connect(self) -> bool:
        return may_show(self.scope["user"], self.scope["url_route"]["kwargs"]["screen"])

    def replay(self, after: int) -> dict | None:
        first = wall.replay_frame(after)
        if first["type"] == "reload":
            return None
        self.feed = wall.WallFeed(first["seq"])
        return first


# Who may follow the dispatch stream: those who read the events log and see interventions and
# teams (dispatchers, operators, supervisors); not field crews, hotline agents or kiosks.
DISPATCH_STREAM_PERMISSIONS = (
    "supervision.view_event",
    "interventions.view_intervention",
    "interventions.view_team",
)
# A field crew's stream: a member of a team who may report progress on its assignment.
FIELD_PERMISSION = "interventions.report_progress"


class DeskConsumer(EventsConsumer):
    """A desk's narrowed stream (supervision/live/streams.py): only what `keep` lets through."""

    def keep(self, event: dict) -> bool:
        raise NotImplementedError

    def replay(self, after: int) -> dict | None:
        replayed = desks.replay(after, self.keep)
        if replayed is None:
            return None
        first, self.feed = replayed
        return first

    async def heartbeat(self) -> None:
        # Numbers the page did not need are skipped with an empty frame, once per heartbeat.
        async with self.sending:
            frame = self.feed.take_frame(always=True)
            if frame:
                await self.send_json(frame)
        await super().heartbeat()


class DispatchConsumer(DeskConsumer):
    """The dispatcher's desk: interventions and teams as they change."""

    def may_connect(self) -> bool:
        user = self.scope["user"]
        return user.is_authenticated and user.has_perms(DISPATCH_STREAM_PERMISSIONS)

    def keep(self, event: dict) -> bool:
        return desks.for_dispatch(event)


class FieldConsumer(DeskConsumer):
    """A field crew's phone: its own team and its own assignments, nothing else.

    The team is the officer's team when the socket opens; an officer moved to another team
    gets the new one on the next connection (the page reconnects after any drop).
    """

    def may_connect(self) -> bool:
        user = self.scope["user"]
        officer = getattr(user, "officer", None) if user.is_authenticated else None
        if officer is None or officer.team is None or not user.has_perm(FIELD_PERMISSION):
            return False
        self.filter = desks.for_team(officer.team.pk, officer.team.call_sign)
        return True

    def keep(self, event: dict) -> bool:
        return self.filter(event)


# Who may follow the alert desk (/alerts/): whoever may work alerts (supervision.alerts.views).
ALERT_DESK_PERMISSIONS = ("supervision.view_alert", "supervision.change_alert")


class AlertDeskConsumer(DeskConsumer):
    """The operators' alert desk: alerts as they are raised, change and end."""

    def may_connect(self) -> bool:
        user = self.scope["user"]
        return user.is_authenticated and user.has_perms(ALERT_DESK_PERMISSIONS)

    def keep(self, event: dict) -> bool:
        return desks.for_alert_desk(event)

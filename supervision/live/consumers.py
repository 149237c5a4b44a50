"""Live pages' WebSockets (wall screens, the dispatcher's desk, a field crew's phone, the alert
desk): coalesced frames of the events log, never a missed number. Each socket joins only the
channel-layer groups of the subjects its page shows (supervision/desks.py)."""

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from ondijon import bus
from supervision.live import streams as desks
from supervision.models import WallScreen

logger = logging.getLogger(__name__)

# A live socket that cannot recover closes with this code (4000-4999 are the application's
# own); its page reconnects and replays from its last number (static/ondijon/stream.js).
RECONNECT_CLOSE_CODE = 4013
# After a failed heartbeat the socket tries again sooner, twice as late each time, up to one
# heartbeat period, until WALL_RECOVERY_SECONDS have gone by.
FIRST_RETRY_SECONDS = 0.5
# A connection's first heartbeat comes this soon after its first frame, not a whole period
# later: a screen that moved to the other site after losing its daphne hears within a second
# that its new socket's background work runs (groups joined, the log's counter read).
FIRST_BEAT_SECONDS = 0.5

P = ParamSpec("P")
R = TypeVar("R")


def database_work(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`function` on the thread of the sockets' database work, dropping a session the server
    cut (a restart, a failover, idle_session_timeout) before and after it, so the next query
    opens a new one. (channels' database_sync_to_async closes the worker thread's own
    connections, which with asgiref 3.13 are not the ones a consumer's context uses.)"""

    @functools.wraps(function)
    def in_fresh_session(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(in_fresh_session)


def shown_screen(user, screen_slug: str) -> WallScreen | None:
    """The active screen a user may show, or None."""
    if not (user.is_authenticated and user.has_perm("supervision.view_wall")):
        return None
    return WallScreen.objects.filter(slug=screen_slug, active=True).first()


class EventsConsumer(AsyncJsonWebsocketConsumer):
    """A page's live view of the events log. `?after=<seq>` is the last number it applied.

    It joins the groups its page follows (`follows`), replays what followed (or orders a
    reload), then folds published events into at most one frame per WALL_FRAME_SECONDS,
    reading from the log any event of its groups that did not arrive (publish order across
    processes, a full channel), so frames are contiguous. Subclasses say who may connect and
    which groups the page follows.

    It heals: database work runs through `database_work`, which drops a session the server
    cut (a restart, a failover, idle_session_timeout) before the next query; a failed
    heartbeat is retried with back-off and, once it goes through, renews the groups (a Redis
    restarted forgot them) and reads from the log what the page missed meanwhile. A socket
    still failing after WALL_RECOVERY_SECONDS, or whose channel is gone (Redis restarted),
    closes with RECONNECT_CLOSE_CODE: the page reconnects and replays. None stays open silent.
    """

    follows: desks.Groups = frozenset()

    def may_connect(self) -> bool:
        """Runs in a thread (it may read the database); sets `follows`; False closes the
        socket."""
        raise NotImplementedError

    def replay(self, after: int) -> dict | None:
        """Runs in a thread: the first frame for a page at `after`, setting `self.feed`;
        None when the page must reload its snapshot."""
        replayed = desks.replay(after, self.follows)
        if replayed is None:
            return None
        first, self.feed = replayed
        return first

    async def __call__(self, scope, receive, send) -> None:
        # The consumer's loop waits on the socket and on its channel; when the channel layer
        # fails under it (Redis down longer than its retries), the loop
        # ends with that error. Close the socket then, or it would stay open with nothing
        # coming; and stop the background tasks, which would otherwise run on forever.
        try:
            await super().__call__(scope, receive, send)
        except Exception:
            logger.warning(
                "Live socket %s lost its stream; closing it for the page to reconnect",
                scope.get("path"),
                exc_info=True,
            )
            await send({"type": "websocket.close", "code": RECONNECT_CLOSE_CODE})
        finally:
            self._stop_background()

    async def join(self) -> None:
        """Join (or renew) every group the page follows."""
        for group in sorted(self.follows):
            await self.channel_layer.group_add(bus.channel_group(group), self.channel_name)

    async def connect(self) -> None:
        # A handshake held up by a frozen Redis or database fails in time: the page retries.
        async with asyncio.timeout(settings.WALL_RECOVERY_SECONDS):
            if not await database_work(self.may_connect)():
                await self.close()
                return
            await self.join()
            await self.accept()
            after = self._after()
            first = await database_work(self.replay)(after) if after is not None else None
        if first is None:
            await self.send_json({"type": "reload"}, close=True)
            return
        # The page's watchdog counts in heartbeat periods: it learns the period at once.
        await self.send_json({**first, "heartbeat_seconds": settings.WALL_HEARTBEAT_SECONDS})
        self.last_frame_at = 0.0
        self.sending = asyncio.Lock()
        self.flush_task: asyncio.Task | None = None
        self.heartbeat_task = asyncio.create_task(self._heartbeats())

    def _after(self) -> int | None:
        value = parse_qs(self.scope["query_string"].decode()).get("after", [""])[0]
        return int(value) if value.isdigit() else None

    def _stop_background(self) -> None:
        for task in (getattr(self, "flush_task", None), getattr(self, "heartbeat_task", None)):
            if task:
                task.cancel()

    async def disconnect(self, code: int) -> None:
        self._stop_background()
        try:
            async with asyncio.timeout(settings.WALL_HEARTBEAT_SECONDS):
                for group in sorted(self.follows):
                    await self.channel_layer.group_discard(
                        bus.channel_group(group), self.channel_name
                    )
        except Exception:  # the layer forgets the channel after its group_expiry anyway
            logger.info("Live socket left its groups to expire", exc_info=True)

    async def receive_json(self, content, **kwargs) -> None:
        """Screens only listen."""

    async def events_published(self, message: dict) -> None:
        if not hasattr(self, "feed"):
            return
        self.feed.receive_published(message)
        if self.flush_task is None or self.flush_task.done():
            delay = self.last_frame_at + settings.WALL_FRAME_SECONDS - time.monotonic()
            self.flush_task = asyncio.create_task(self._flush_after(max(0.0, delay)))

    async def _flush_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self._flush()
        except Exception:
            # The feed still knows what is missing: the next heartbeat reads it from the log.
            logger.warning("Live socket could not read the log; the heartbeat will", exc_info=True)

    async def _flush(self, catch_up: bool = False) -> None:
        async with self.sending:
            if catch_up or self.feed.has_gap():
                read = await database_work(desks.events_after)(self.feed.known, self.follows)
                if read is None:
                    await self.send_json({"type": "reload"}, close=True)
                    return
                self.feed.receive(*read)
            frame = self.feed.take_frame()
            if frame:
                self.last_frame_at = time.monotonic()
                await self.send_json(frame)

    async def _heartbeats(self) -> None:
        """Tell the screen it is live, and catch up on events whose message never came.

        A beat that fails (database or channel layer down, or so slow it does not end within
        WALL_RECOVERY_SECONDS) is tried again after 0.5 s, 1 s, 2 s… up to a heartbeat
        period; one that goes through catches up on everything since. Past
        WALL_RECOVERY_SECONDS of failures the socket closes for the page to reconnect.
        """
        wait = min(FIRST_BEAT_SECONDS, settings.WALL_HEARTBEAT_SECONDS)
        retry = FIRST_RETRY_SECONDS
        give_up_at: float | None = None
        while True:
            await asyncio.sleep(wait)
            started = time.monotonic()
            budget = settings.WALL_RECOVERY_SECONDS if give_up_at is None else give_up_at - started
            try:
                async with asyncio.timeout(max(budget, FIRST_RETRY_SECONDS)):
                    await self._beat()
            except Exception:
                if give_up_at is None:
                    give_up_at = started + settings.WALL_RECOVERY_SECONDS
                if time.monotonic() >= give_up_at:
                    logger.warning(
                        "Live socket %s did not recover in %s s; closing it for the page to"
                        " reconnect",
                        self.scope.get("path"),
                        settings.WALL_RECOVERY_SECONDS,
                    )
                    await self.close(code=RECONNECT_CLOSE_CODE)
                    return
                logger.warning(
                    "Live socket %s: heartbeat failed, retrying in %s s",
                    self.scope.get("path"),
                    retry,
                    exc_info=True,
                )
                wait, retry = retry, min(retry * 2, settings.WALL_HEARTBEAT_SECONDS)
            else:
                if give_up_at is not None:
                    logger.info("Live socket %s recovered", self.scope.get("path"))
                wait, retry = settings.WALL_HEARTBEAT_SECONDS, FIRST_RETRY_SECONDS
                give_up_at = None

    async def _beat(self) -> None:
        # Membership of a group lapses after the layer's group_expiry (CHANNEL_GROUP_EXPIRY),
        # and a restarted Redis forgot it: renewed here, a wall on for weeks keeps receiving
        # at once, and a channel whose process died leaves its groups after group_expiry.
        await self.join()
        # The log's counter says how far each group has gone: groups with nothing new move
        # the page forward, an event whose message never came is read from the log.
        self.feed.learn(*await database_work(bus.sequence_heads)())
        if self.feed.has_gap():
            await self._flush(catch_up=True)
        await self.heartbeat()

    async def heartbeat(self) -> None:
        # Numbers the page did not need are skipped with an empty frame, once per heartbeat.
        async with self.sending:
            frame = self.feed.take_frame(always=True)
            if frame:
                self.last_frame_at = time.monotonic()
                await self.send_json(frame)
        await self.send_json(
            {
                "type": "heartbeat",
                "seq": self.feed.told,
                "time": timezone.now().isoformat(),
                "heartbeat_seconds": settings.WALL_HEARTBEAT_SECONDS,
            }
        )


class WallConsumer(EventsConsumer):
    """One wall screen: the subjects of its panels, as the screen's frames."""

    def may_connect(self) -> bool:
        screen = shown_screen(self.scope["user"], self.scope["url_route"]["kwargs"]["screen"])
        if screen is None:
            return False
        self.follows = desks.for_wall(screen.panels)
        return True


# Who may follow the dispatch stream: those who read the events log and see interventions and
# teams (dispatchers, operators, supervisors); not field crews, hotline agents or kiosks.
DISPATCH_STREAM_PERMISSIONS = (
    "supervision.view_event",
    "interventions.view_intervention",
    "interventions.view_team",
)
# A field crew's stream: a member of a team who may report progress on its assignment.
FIELD_PERMISSION = "interventions.report_progress"


class DispatchConsumer(EventsConsumer):
    """The dispatcher's desk: interventions and teams as they change."""

    follows = desks.DISPATCH_GROUPS

    def may_connect(self) -> bool:
        user = self.scope["user"]
        return user.is_authenticated and user.has_perms(DISPATCH_STREAM_PERMISSIONS)


class FieldConsumer(EventsConsumer):
    """A field crew's phone: its own team and its own assignments, nothing else.

    The team is the officer's team when the socket opens; an officer moved to another team
    gets the new one on the next connection (the page reconnects after any drop).
    """

    def may_connect(self) -> bool:
        user = self.scope["user"]
        officer = getattr(user, "officer", None) if user.is_authenticated else None
        if officer is None or officer.team is None or not user.has_perm(FIELD_PERMISSION):
            return False
        self.follows = desks.for_team(officer.team.pk)
        return True


# Who may follow the alert desk (/alerts/): whoever may work alerts (supervision.alerts.views).
ALERT_DESK_PERMISSIONS = ("supervision.view_alert", "supervision.change_alert")


class AlertDeskConsumer(EventsConsumer):
    """The operators' alert desk: alerts as they are raised, change and end."""

    follows = desks.ALERT_DESK_GROUPS

    def may_connect(self) -> bool:
        user = self.scope["user"]
        return user.is_authenticated and user.has_perms(ALERT_DESK_PERMISSIONS)


# Who may follow a device's commands live on the device console: whoever reads commands.
CONSOLE_STREAM_PERMISSIONS = ("equipment.view_equipment", "equipment.view_command")


class ConsoleConsumer(EventsConsumer):
    """The device console: commands as they are requested, sent and acknowledged."""

    follows = desks.CONSOLE_GROUPS

    def may_connect(self) -> bool:
        user = self.scope["user"]
        return user.is_authenticated and user.has_perms(CONSOLE_STREAM_PERMISSIONS)


# Who may follow the console's map live: whoever sees the console (its page's permissions).
CONSOLE_MAP_STREAM_PERMISSIONS = ("equipment.view_equipment", "supervision.view_alert")


class ConsoleMapConsumer(EventsConsumer):
    """The device console's map: devices' statuses as they change."""

    follows = desks.CONSOLE_MAP_GROUPS

    def may_connect(self) -> bool:
        user = self.scope["user"]
        return user.is_authenticated and user.has_perms(CONSOLE_MAP_STREAM_PERMISSIONS)

"""The wall screens' WebSocket: coalesced frames of the events log, never a missed number."""

import asyncio
import time
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from ondijon.bus import EVENTS_GROUP

from . import wall
from .models import WallScreen


def may_show(user, screen_slug: str) -> bool:
    return (
        user.is_authenticated
        and user.has_perm("supervision.view_wall")
        and WallScreen.objects.filter(slug=screen_slug, active=True).exists()
    )


class WallConsumer(AsyncJsonWebsocketConsumer):
    """One wall screen. `?after=<seq>` is the last number the screen applied.

    On connect it replays what followed (or orders a reload); then it folds published events
    into at most one frame per WALL_FRAME_SECONDS, fetching from the log any number that did
    not arrive (publish order across processes, a full channel), so frames are contiguous.
    """

    def may_connect(self) -> bool:
        """Runs in a thread (it reads the database); False closes the socket."""
        return may_show(self.scope["user"], self.scope["url_route"]["kwargs"]["screen"])

    async def connect(self) -> None:
        if not await sync_to_async(self.may_connect)():
            await self.close()
            return
        await self.channel_layer.group_add(EVENTS_GROUP, self.channel_name)
        await self.accept()
        after = self._after()
        first = await sync_to_async(wall.replay_frame)(after) if after is not None else None
        if first is None or first["type"] == "reload":
            await self.send_json({"type": "reload"}, close=True)
            return
        await self.send_json(first)
        self.feed = wall.WallFeed(first["seq"])
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
            if await sync_to_async(wall.last_seq)() > self.feed.highest_pending():
                await self._flush(catch_up=True)
            await self.send_json(
                {"type": "heartbeat", "seq": self.feed.sent, "time": timezone.now().isoformat()}
            )


# Who may follow the alert desk (/alerts/): whoever may work alerts (supervision.alert_views).
ALERT_DESK_PERMISSIONS = ("supervision.view_alert", "supervision.change_alert")


class AlertDeskConsumer(WallConsumer):
    """The operators' alert desk: the wall's frames (same replay, same gap-free numbers), with
    only the alerts in them, for those who work alerts; no wall screen needed."""

    def may_connect(self) -> bool:
        user = self.scope["user"]
        return user.is_authenticated and user.has_perms(ALERT_DESK_PERMISSIONS)

    async def send_json(self, content, close=False) -> None:
        if content.get("type") == "frame":
            alerts = content["objects"].get("alert")
            content = {key: content[key] for key in ("type", "after", "seq")}
            content["objects"] = {"alert": alerts} if alerts else {}
        await super().send_json(content, close=close)

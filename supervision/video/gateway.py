"""The media gateway: each camera pulled once, its H.264 relayed to every screen that watches
it over WebRTC, as it comes (no decoding, no transcoding), and no longer pulled once nobody has
watched it for MEDIA_GATEWAY_IDLE_SECONDS.

A camera's feed is a task reading packets from its source (an RTSP stream through FFmpeg's
demuxer, or a simulated camera drawn in this process); each viewer is a track that takes the
packets from the next keyframe on, with a short queue that drops the oldest picture rather
than fall behind live. A source that fails is retried every second while someone watches: the
tiles show "signal lost" meanwhile and recover by themselves.

A camera has two streams: its main one, and a smaller sub stream for the tiles of a wall of
nine or sixteen (sixteen main streams are more than a wall's browser decodes at full rate).
Each stream watched is a feed of its own, pulled once.

For a screen that cannot take WebRTC (a browser without it, a network that blocks its media,
a camera set to MJPEG) the gateway also gives a stream's pictures as JPEGs: that one decodes
the H.264 and encodes each picture sent again (FFmpeg through PyAV), so it costs CPU the relay
does not, and is for the fallback only.

The gateway knows no user: the web app checks who asks and logs each view (supervision/video/
services.py); the gateway tells it when a WebRTC view ends (`on_closed`).
"""

import asyncio
import contextlib
import fractions
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)

log = logging.getLogger(__name__)

QUEUE_PICTURES = 30
RETRY_SECONDS = 1.0
VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
STREAMS = ("main", "sub")
JPEG_QUALITY = 7  # FFmpeg's qscale for the MJPEG fallback: 2 (best) .. 31
# Pictures a JPEG viewer may have waiting before it skips to the next keyframe (~0.2 s).
JPEG_BEHIND = 5
# The boundary between the JPEGs of a multipart/x-mixed-replace answer.
MJPEG_BOUNDARY = "ondijon-picture"

# How a feed gets its packets: a function giving an async iterator of av.Packet.
Opener = Callable[[], AsyncIterator[av.Packet]]


class ViewerTrack(MediaStreamTrack):
    """One screen's view of a camera: the feed's packets from a keyframe on."""

    kind = "video"

    def __init__(self, feed: "Feed") -> None:
        super().__init__()
        self.feed = feed
        self.queue: asyncio.Queue[av.Packet] = asyncio.Queue(QUEUE_PICTURES)
        self.waiting_for_keyframe = True

    def push(self, packet: av.Packet) -> None:
        if self.waiting_for_keyframe:
            if not packet.is_keyframe:
                return
            self.waiting_for_keyframe = False
        if self.queue.full():
            # Behind live: start again from the next keyframe rather than show old pictures.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.waiting_for_keyframe = not packet.is_keyframe
            if self.waiting_for_keyframe:
                return
        self.queue.put_nowait(packet)

    async def recv(self) -> av.Packet:
        return await self.queue.get()

    def catch_up(self, behind: int) -> None:
        """More than `behind` pictures waiting: drop them and go on from the next keyframe (a
        viewer that decodes, on a busy machine, would otherwise fall further behind live)."""
        if self.queue.qsize() > behind:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.waiting_for_keyframe = True

    def stop(self) -> None:
        super().stop()
        self.feed.unsubscribe(self)


@dataclass
class Feed:
    """One camera's stream, pulled once however many screens watch it."""

    camera_id: int
    stream: str
    opener: Opener
    idle_seconds: float
    viewers: set[ViewerTrack] = field(default_factory=set)
    task: asyncio.Task | None = None
    idle_since: float | None = None
    pulls: int = 0  # how many times the source was opened (tests and benches read it)
    packets: int = 0
    lost: bool = False

    def subscribe(self) -> ViewerTrack:
        track = ViewerTrack(self)
        self.viewers.add(track)
        self.idle_since = None
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())
        return track

    def unsubscribe(self, track: ViewerTrack) -> None:
        self.viewers.discard(track)
        if not self.viewers:
            self.idle_since = time.monotonic()

    async def run(self) -> None:
        while self.viewers or (
            self.idle_since is not None and time.monotonic() - self.idle_since < self.idle_seconds
        ):
            self.pulls += 1
            try:
                source = self.opener()
                async for packet in source:
                    self.lost = False
                    self.packets += 1
                    for viewer in list(self.viewers):
                        viewer.push(packet)
                    if not self.viewers and (
                        self.idle_since is None
                        or time.monotonic() - self.idle_since >= self.idle_seconds
                    ):
                        break
                else:
                    raise EOFError("the camera's stream ended")
                with contextlib.suppress(Exception):
                    await source.aclose()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.lost = True
                log.warning("Camera %s: %s; retrying", self.camera_id, error)
                await asyncio.sleep(RETRY_SECONDS)
        self.task = None

    @property
    def pulling(self) -> bool:
        return self.task is not None and not self.task.done()


def rtsp_opener(url: str) -> Opener:
    """An RTSP camera's packets as they come, read by FFmpeg's demuxer in a thread."""

    async def packets() -> AsyncIterator[av.Packet]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue(QUEUE_PICTURES)
        stop = threading.Event()

        def put(item) -> None:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(item)

        def read() -> None:
            try:
                container = av.open(
                    url,
                    options={"rtsp_transport": "tcp", "fflags": "nobuffer", "stimeout": "5000000"},
                    timeout=5,
                )
                try:
                    stream = container.streams.video[0]
                    # FFmpeg's RTSP demuxer keeps SPS/PPS in the extradata: give them with each
                    # keyframe, so that a screen joining at that keyframe can decode it.
                    headers = bytes(stream.codec_context.extradata or b"")
                    if not headers.startswith((b"\x00\x00\x01", b"\x00\x00\x00\x01")):
                        headers = b""
                    for packet in container.demux(stream):
                        if stop.is_set():
                            break
                        if packet.size == 0 or packet.pts is None:
                            continue
                        if packet.is_keyframe and headers:
                            keyed = av.Packet(headers + bytes(packet))
                            keyed.pts, keyed.is_keyframe = packet.pts, True
                            packet = keyed
                        packet.time_base = stream.time_base
                        loop.call_soon_threadsafe(put, packet)
                finally:
                    container.close()
                loop.call_soon_threadsafe(put, EOFError("the camera's stream ended"))
            except Exception as error:
                loop.call_soon_threadsafe(put, error)

        reader = threading.Thread(target=read, name="rtsp-reader", daemon=True)
        reader.start()
        try:
            while True:
                item = await queue.get()
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            stop.set()

    return packets


def without_mdns_candidates(sdp: str) -> str:
    """The offer without the screen's mDNS-named candidates ("….local", how browsers hide
    their addresses): aiortc would wait up to a second per view to resolve them, on a room's
    network that often answers no multicast. The gateway needs none of them: the screen checks
    the gateway's own candidates, and its address is learnt from those checks."""
    lines = sdp.split("\r\n")
    kept = [line for line in lines if not (line.startswith("a=candidate:") and ".local " in line)]
    return "\r\n".join(kept)


class JpegEncoder:
    """A stream's pictures as JPEGs, for the MJPEG fallback: decoded from its H.264 and encoded
    again by FFmpeg (in a thread: both release the GIL)."""

    def __init__(self) -> None:
        self.decoder = av.CodecContext.create("h264", "r")
        self.encoder: av.VideoCodecContext | None = None
        self.sent = 0

    def pictures(self, packet: av.Packet) -> list[av.VideoFrame]:
        return list(self.decoder.decode(packet))

    def jpeg(self, frame: av.VideoFrame) -> bytes:
        if self.encoder is None or (self.encoder.width, self.encoder.height) != (
            frame.width,
            frame.height,
        ):
            encoder = av.CodecContext.create("mjpeg", "w")
            encoder.width, encoder.height = frame.width, frame.height
            encoder.pix_fmt = "yuvj420p"
            encoder.time_base = fractions.Fraction(1, 25)
            encoder.qmin = encoder.qmax = JPEG_QUALITY
            self.encoder = encoder
        picture = frame.reformat(format="yuvj420p")
        picture.pts = self.sent  # the encoder takes only increasing times, in its own base
        picture.time_base = self.encoder.time_base
        self.sent += 1
        return b"".join(bytes(packet) for packet in self.encoder.encode(picture))


def mjpeg_part(jpeg: bytes) -> bytes:
    """One picture of a multipart/x-mixed-replace answer."""
    return (
        (
            f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
        ).encode()
        + jpeg
        + b"\r\n"
    )


@dataclass
class Session:
    id: str
    camera_id: int
    peer: RTCPeerConnection
    track: ViewerTrack
    started: float
    closed: bool = False


class Gateway:
    """The feeds and the peer connections of one gateway process."""

    def __init__(
        self,
        openers: Callable[[int, str], Opener],
        idle_seconds: float = 10,
        on_closed: Callable[[str, float], None] | None = None,
        ice_servers: list[str] | None = None,
    ) -> None:
        self.openers = openers
        # None would be aiortc's default, a STUN server on the internet: the room may have
        # none, and gathering would wait for it at every view.
        self.configuration = RTCConfiguration(
            iceServers=[RTCIceServer(urls=url) for url in ice_servers or []]
        )
        self.idle_seconds = idle_seconds
        self.on_closed = on_closed
        self.feeds: dict[tuple[int, str], Feed] = {}
        self.sessions: dict[str, Session] = {}
        self.mjpeg_viewers = 0

    def feed(self, camera_id: int, stream: str = "main") -> Feed:
        if stream not in STREAMS:
            raise ValueError(f"no such stream: {stream}")
        feed = self.feeds.get((camera_id, stream))
        if feed is None:
            feed = self.feeds[camera_id, stream] = Feed(
                camera_id, stream, self.openers(camera_id, stream), self.idle_seconds
            )
        return feed

    async def answer(
        self, camera_id: int, sdp: str, kind: str = "offer", stream: str = "main"
    ) -> tuple[str, dict]:
        """Answer a screen's WebRTC offer for a camera's stream: (session id, the answer)."""
        track = self.feed(camera_id, stream).subscribe()
        peer = RTCPeerConnection(self.configuration)
        session = Session(uuid.uuid4().hex, camera_id, peer, track, time.monotonic())
        self.sessions[session.id] = session
        try:
            transceiver = peer.addTransceiver(track, direction="sendonly")
            # H.264 as the camera sends it: the browser must take it, nothing is transcoded.
            transceiver.setCodecPreferences(
                [
                    codec
                    for codec in RTCRtpSender.getCapabilities("video").codecs
                    if codec.mimeType == "video/H264"
                ]
            )

            @peer.on("connectionstatechange")
            async def changed() -> None:
                if peer.connectionState in ("failed", "closed"):
                    await self.close(session.id)

            await peer.setRemoteDescription(
                RTCSessionDescription(sdp=without_mdns_candidates(sdp), type=kind)
            )
            await peer.setLocalDescription(await peer.createAnswer())
        except Exception:
            await self.close(session.id)
            raise
        return session.id, {"sdp": peer.localDescription.sdp, "type": peer.localDescription.type}

    async def close(self, session_id: str) -> bool:
        session = self.sessions.pop(session_id, None)
        if session is None or session.closed:
            return False
        session.closed = True
        session.track.stop()
        await session.peer.close()
        if self.on_closed is not None:
            seconds = time.monotonic() - session.started
            await asyncio.get_running_loop().run_in_executor(
                None, self.on_closed, session.id, seconds
            )
        return True

    async def jpegs(self, camera_id: int, stream: str, fps: float) -> AsyncIterator[bytes]:
        """A camera stream's pictures as JPEGs, at most `fps` a second, for as long as they are
        read (the MJPEG fallback). Every packet is decoded (each picture needs the ones before
        it), only the pictures sent are encoded again."""
        track = self.feed(camera_id, stream).subscribe()
        self.mjpeg_viewers += 1
        encoder, period, due = JpegEncoder(), 1 / fps, 0.0
        try:
            while True:
                track.catch_up(JPEG_BEHIND)
                packet = await track.recv()
                for picture in await asyncio.to_thread(encoder.pictures, packet):
                    now = time.monotonic()
                    if now < due:
                        continue
                    due = max(due + period, now - period)
                    yield await asyncio.to_thread(encoder.jpeg, picture)
        finally:
            self.mjpeg_viewers -= 1
            track.stop()

    async def sweep(self) -> None:
        """Forget feeds idle past their time (their task ended by itself)."""
        for key, feed in list(self.feeds.items()):
            if not feed.viewers and not feed.pulling:
                del self.feeds[key]

    async def shutdown(self) -> None:
        for session_id in list(self.sessions):
            await self.close(session_id)
        for feed in self.feeds.values():
            if feed.task:
                feed.task.cancel()

    def status(self) -> dict:
        return {
            "sessions": len(self.sessions),
            "mjpeg_viewers": self.mjpeg_viewers,
            "feeds": {
                f"{camera_id}:{stream}": {
                    "camera": camera_id,
                    "stream": stream,
                    "viewers": len(feed.viewers),
                    "pulling": feed.pulling,
                    "pulls": feed.pulls,
                    "lost": feed.lost,
                    "packets": feed.packets,
                }
                for (camera_id, stream), feed in self.feeds.items()
            },
        }


class GatewayThread:
    """A gateway in the web app's own process (the embedded default): its own event loop in a
    thread, which the signalling views call into."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.run, name="media-gateway", daemon=True)
        self.thread.start()

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.create_task(self.sweeper())
        self.loop.run_forever()

    async def sweeper(self) -> None:
        while True:
            await asyncio.sleep(1)
            await self.gateway.sweep()

    def call(self, coroutine, timeout: float = 15):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

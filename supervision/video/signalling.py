"""The web app's side of the media gateway: which gateway serves a camera, and how an offer
reaches it. With MEDIA_GATEWAY_URLS unset (the embedded default) the gateway runs in this
process; set, each camera goes to one of the listed gateways (by its number), so that however
many walls watch a camera, one gateway pulls it, once."""

import asyncio
import contextlib
import json
import threading
import urllib.request
from collections.abc import AsyncIterator
from urllib.parse import urlencode, urlsplit

import av
from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils.module_loading import import_string

from equipment.cameras import stream_url
from equipment.models import Camera
from supervision.video import gateway as media
from supervision.video import services

TOKEN_HEADER = "X-Gateway-Token"
_local: media.GatewayThread | None = None
_local_lock = threading.Lock()


class GatewayUnavailable(Exception):
    """No gateway answered: the tile says so and tries again."""


def camera_source(camera_id: int, stream: str = "main") -> tuple[str, object]:
    """What the gateway opens for a camera's stream: ("simulated", its number) or ("rtsp",
    address). A camera with no sub stream gives its main one for both."""
    camera = Camera.objects.select_related("equipment").get(pk=camera_id)
    if camera.simulated and settings.SIMULATED_CAMERAS_IN_GATEWAY:
        return "simulated", camera.pk
    url = stream_url(camera, sub=stream == "sub")
    if not url:
        raise ConnectionError(f"camera {camera.equipment.code} has no stream")
    return "rtsp", url


def camera_opener(camera_id: int, stream: str = "main") -> media.Opener:
    """A camera stream's packets, its settings read afresh at each pull (a changed address
    counts)."""

    async def packets() -> AsyncIterator[av.Packet]:
        kind, source = await sync_to_async(camera_source, thread_sensitive=False)(camera_id, stream)
        if kind == "simulated":
            # The demo package draws simulated cameras; it is named by a setting, never imported.
            packets = import_string(settings.SIMULATED_CAMERA_PACKETS)(source, stream)
        else:
            packets = media.rtsp_opener(source)()
        async for packet in packets:
            yield packet

    return packets


def view_closed(session: str, seconds: float) -> None:
    services.record_view_stopped(session, seconds)


def new_gateway() -> media.Gateway:
    return media.Gateway(
        camera_opener,
        idle_seconds=settings.MEDIA_GATEWAY_IDLE_SECONDS,
        on_closed=view_closed,
        ice_servers=settings.MEDIA_GATEWAY_ICE_SERVERS,
    )


def local_gateway() -> media.GatewayThread:
    global _local
    with _local_lock:
        if _local is None:
            _local = media.GatewayThread(new_gateway())
        return _local


def gateway_url(camera_id: int) -> str | None:
    urls = settings.MEDIA_GATEWAY_URLS
    return urls[camera_id % len(urls)].rstrip("/") if urls else None


def remote(url: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", TOKEN_HEADER: settings.MEDIA_GATEWAY_TOKEN},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return json.loads(response.read())
    except (OSError, ValueError) as error:
        raise GatewayUnavailable(str(error)) from error


def offer(camera_id: int, sdp: str, kind: str, stream: str = "main") -> tuple[str, dict]:
    """Hand a screen's offer for a camera's stream to its gateway: (session, answer)."""
    url = gateway_url(camera_id)
    if url is None:
        try:
            gateway = local_gateway()
            return gateway.call(gateway.gateway.answer(camera_id, sdp, kind, stream))
        except (TimeoutError, OSError) as error:
            raise GatewayUnavailable(str(error)) from error
    answer = remote(
        url, "/offer", {"camera": camera_id, "sdp": sdp, "type": kind, "stream": stream}
    )
    return answer["session"], {"sdp": answer["sdp"], "type": answer["type"]}


async def closed(pictures: AsyncIterator[bytes]) -> None:
    # A screen gone mid-picture: the fetch was cancelled in the gateway and ended its stream.
    with contextlib.suppress(RuntimeError):
        await pictures.aclose()


async def mjpeg(camera_id: int, stream: str) -> AsyncIterator[bytes]:
    """A camera stream's pictures as the parts of a multipart/x-mixed-replace answer (the
    MJPEG fallback), from the camera's gateway: the one in this process, or the remote one
    relayed as it sends them. Read until the screen leaves; closing it ends the gateway's."""
    fps = settings.VIDEO_MJPEG_FPS
    url = gateway_url(camera_id)
    if url is None:
        thread = local_gateway()
        pictures = thread.gateway.jpegs(camera_id, stream, fps)
        try:
            while True:
                # The gateway's loop runs in its own thread: each picture is fetched there.
                future = asyncio.run_coroutine_threadsafe(anext(pictures), thread.loop)
                try:
                    jpeg = await asyncio.wrap_future(future)
                except StopAsyncIteration:
                    return
                yield media.mjpeg_part(jpeg)
        finally:
            asyncio.run_coroutine_threadsafe(closed(pictures), thread.loop)
        return
    parts = urlsplit(url)
    query = urlencode({"camera": camera_id, "stream": stream, "fps": fps})
    try:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    except OSError as error:
        raise GatewayUnavailable(str(error)) from error
    try:
        writer.write(
            f"GET {parts.path.rstrip('/')}/mjpeg?{query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"{TOKEN_HEADER}: {settings.MEDIA_GATEWAY_TOKEN}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise GatewayUnavailable(head.split(b"\r\n", 1)[0].decode("latin-1"))
        while chunk := await reader.read(65536):
            yield chunk
    finally:
        writer.close()


def close(camera_id: int, session: str) -> None:
    url = gateway_url(camera_id)
    if url is None:
        local_gateway().call(local_gateway().gateway.close(session))
    else:
        remote(url, "/close", {"session": session})

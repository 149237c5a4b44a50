"""`manage.py media_gateway`: a media gateway process of its own (several can run, each
listed in the web app's MEDIA_GATEWAY_URLS). The web app signals to it over HTTP with the
shared MEDIA_GATEWAY_TOKEN; browsers never reach it but for the WebRTC media itself."""

import asyncio
import contextlib
import hmac
import json
import signal
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from supervision.video import gateway as media
from supervision.video import signalling

MAX_BODY = 64_000


class Command(BaseCommand):
    help = "Run a media gateway: pulls each watched camera once, relays H.264 over WebRTC."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8554)

    def handle(self, *args, host, port, **options):
        if len(settings.MEDIA_GATEWAY_TOKEN) < 16:
            raise CommandError("Set MEDIA_GATEWAY_TOKEN (16 characters or more).")
        asyncio.run(self.serve(host, port))

    async def serve(self, host: str, port: int) -> None:
        gateway = signalling.new_gateway()
        server = await asyncio.start_server(
            lambda reader, writer: self.handle_request(gateway, reader, writer), host, port
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        self.stdout.write(f"Media gateway listening on http://{host}:{port}/", ending="\n")
        self.stdout.flush()
        async with server:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), 1)
                except TimeoutError:
                    await gateway.sweep()
        await gateway.shutdown()

    async def handle_request(self, gateway, reader, writer) -> None:
        try:
            status, body = await self.route(gateway, reader)
        except Exception as error:
            status, body = 500, {"detail": type(error).__name__}
        if status == 200 and "mjpeg" in body:
            await self.send_mjpeg(writer, body["mjpeg"])
            return
        data = json.dumps(body).encode()
        writer.write(
            f"HTTP/1.1 {status} -\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
            + data
        )
        await writer.drain()
        writer.close()

    async def route(self, gateway, reader) -> tuple[int, dict]:
        request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        lines = request.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        token = headers.get(signalling.TOKEN_HEADER.lower(), "")
        if not hmac.compare_digest(token.encode(), settings.MEDIA_GATEWAY_TOKEN.encode()):
            return 403, {"detail": "token"}
        if method == "GET" and path == "/status":
            return 200, gateway.status()
        if method == "GET" and urlsplit(path).path == "/mjpeg":
            query = {name: values[0] for name, values in parse_qs(urlsplit(path).query).items()}
            stream = query.get("stream", "main")
            if stream not in media.STREAMS:
                return 400, {"detail": "stream"}
            camera, fps = int(query["camera"]), min(float(query.get("fps", 10)), 25)
            return 200, {"mjpeg": gateway.jpegs(camera, stream, fps)}
        length = int(headers.get("content-length", "0"))
        if method != "POST" or length > MAX_BODY:
            return 400, {"detail": "request"}
        body = json.loads(await asyncio.wait_for(reader.readexactly(length), 10))
        if path == "/offer":
            session, answer = await gateway.answer(
                int(body["camera"]), body["sdp"], body["type"], body.get("stream", "main")
            )
            return 201, {"session": session, **answer}
        if path == "/close":
            return 200, {"closed": await gateway.close(str(body["session"]))}
        return 404, {"detail": "path"}

    async def send_mjpeg(self, writer, pictures) -> None:
        """A camera's JPEGs to the web app, which relays them to a screen, until it hangs up."""
        writer.write(
            "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; "
            f"boundary={media.MJPEG_BOUNDARY}\r\nConnection: close\r\n\r\n".encode()
        )
        try:
            async for jpeg in pictures:
                writer.write(media.mjpeg_part(jpeg))
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # the web app's screen left
        finally:
            await pictures.aclose()
            with contextlib.suppress(ConnectionError, OSError):
                writer.close()

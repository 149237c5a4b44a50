"""Simulated cameras: a moving test pattern that carries its capture time, H.264-encoded once.

Each picture carries a bar code of the time it was drawn (milliseconds since the epoch), so a
page can read it back from the painted video and measure how late it shows (the wall's tiles
and bench/video_latency.py do). The pictures are encoded once, by libx264 through PyAV, in the
constrained baseline profile browsers decode, with no B-frames and a keyframe every half second
so that a tile that opens shows its first picture quickly; the media gateway relays the packets
as they are, however many screens watch.

Like a real camera, each has a main stream (640×360) and a sub stream (320×180, what a wall of
nine or sixteen tiles watches: a quarter of the pixels to decode). The sub stream's picture is
the main one drawn smaller, its bar code too, so that it reads back the same way at its scale.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from fractions import Fraction

import av
import numpy as np

WIDTH, HEIGHT, FPS = 640, 360, 25
# Each stream's picture size; the bar code's measures below are the main stream's.
SIZES = {"main": (WIDTH, HEIGHT), "sub": (WIDTH // 2, HEIGHT // 2)}
# The bar code: a start mark (white, black), then STAMP_BITS bits of the time, most
# significant first, as BAR_WIDTH-pixel blocks on the rows BAR_TOP..BAR_TOP+BAR_HEIGHT.
STAMP_BITS = 44
BAR_LEFT, BAR_TOP, BAR_WIDTH, BAR_HEIGHT = 16, 8, 12, 24
BLACK, WHITE = 16, 235
VIDEO_TIME_BASE = Fraction(1, 90000)


def stamp_bits(millis: int) -> list[int]:
    return [1, 0] + [(millis >> (STAMP_BITS - 1 - i)) & 1 for i in range(STAMP_BITS)]


def read_stamp(luma: np.ndarray) -> int | None:
    """The capture time a decoded picture carries (its luma plane, either stream's size), None
    when unreadable."""
    scale = luma.shape[1] / WIDTH
    row = luma[int((BAR_TOP + BAR_HEIGHT / 2) * scale)]
    bits = [
        int(row[int((BAR_LEFT + i * BAR_WIDTH + BAR_WIDTH / 2) * scale)] > 128)
        for i in range(STAMP_BITS + 2)
    ]
    if bits[:2] != [1, 0]:
        return None
    value = 0
    for bit in bits[2:]:
        value = value << 1 | bit
    return value


class TestPattern:
    """One simulated camera's pictures: drawn from its number and the time, encoded once."""

    def __init__(self, number: int, width: int = WIDTH, height: int = HEIGHT, fps: int = FPS):
        self.number, self.width, self.height, self.fps = number, width, height, fps
        self.index = 0
        self._encoder: av.VideoCodecContext | None = None
        # The still parts of the picture, drawn once: colour bars keyed by the camera.
        columns = np.arange(width, dtype=np.int32)
        self.bars = ((columns * 8 // width) * 28 + 24 + number * 37) % 200 + 30
        self.u = np.full((height // 2, width // 2), (96 + number * 53) % 256, np.uint8)
        self.v = np.full((height // 2, width // 2), (160 + number * 29) % 256, np.uint8)

    @property
    def encoder(self) -> av.VideoCodecContext:
        """libx264, opened on the first picture encoded (a snapshot draws without it)."""
        if self._encoder is None:
            encoder = av.CodecContext.create("libx264", "w")
            encoder.width, encoder.height = self.width, self.height
            encoder.pix_fmt = "yuv420p"
            encoder.framerate = Fraction(self.fps)
            encoder.time_base = VIDEO_TIME_BASE
            encoder.options = {
                "preset": "ultrafast",
                "tune": "zerolatency",
                "profile": "baseline",
                # A keyframe every half second, SPS/PPS with each, never a B-frame.
                "x264-params": f"keyint={max(self.fps // 2, 1)}:min-keyint={max(self.fps // 2, 1)}"
                ":scenecut=0:repeat-headers=1:bframes=0",
            }
            self._encoder = encoder
        return self._encoder

    def picture(self, millis: int) -> av.VideoFrame:
        y = np.empty((self.height, self.width), np.uint8)
        y[:] = self.bars.astype(np.uint8)
        # A box that crosses the picture in four seconds: frames visibly advance.
        size = self.height // 4
        left = int((millis / 4000 % 1) * (self.width - size))
        top = self.height // 2 + int(np.sin(millis / 700) * self.height / 6) - size // 2
        y[top : top + size, left : left + size] = WHITE
        # The stamp, on a black band, at the picture's scale (the sub stream's is half).
        scale = self.width / WIDTH
        left, top = round(BAR_LEFT * scale), round(BAR_TOP * scale)
        bar, height = round(BAR_WIDTH * scale), round(BAR_HEIGHT * scale)
        band_rows = top * 2 + height
        y[:band_rows, : left * 2 + (STAMP_BITS + 2) * bar] = BLACK
        for i, bit in enumerate(stamp_bits(millis)):
            x = left + i * bar
            y[top : top + height, x : x + bar] = WHITE if bit else BLACK
        u, v = self.u.copy(), self.v.copy()
        band = (slice(0, band_rows // 2), slice(None))
        u[band] = v[band] = 128
        planes = np.concatenate([y, u.reshape(-1, self.width), v.reshape(-1, self.width)])
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        frame.pts = int(self.index * 90000 / self.fps)
        frame.time_base = VIDEO_TIME_BASE
        self.index += 1
        return frame

    def encode(self, millis: int | None = None) -> list[av.Packet]:
        """The packets of the picture drawn at `millis` (now when not given)."""
        millis = int(time.time() * 1000) if millis is None else millis
        packets = self.encoder.encode(self.picture(millis))
        for packet in packets:
            packet.time_base = VIDEO_TIME_BASE
        return packets

    async def packets(self) -> AsyncIterator[av.Packet]:
        """The camera's packets, at its frame rate, for as long as they are read."""
        period = 1 / self.fps
        due = time.monotonic()
        while True:
            # Drawn and encoded in a thread (numpy and FFmpeg release the GIL): sixteen
            # cameras in the gateway's process do not hold up its relaying.
            for packet in await asyncio.to_thread(self.encode):
                yield packet
            due += period
            delay = due - time.monotonic()
            if delay < -1:  # far behind (a busy machine): skip ahead rather than burst
                due = time.monotonic()
            await asyncio.sleep(max(delay, 0))


def simulated_packets(number: int, stream: str = "main") -> AsyncIterator[av.Packet]:
    """The packets of simulated camera `number`'s main or sub stream, live (the media
    gateway's source for it)."""
    width, height = SIZES[stream]
    return TestPattern(number, width, height).packets()


def simulated_picture(number: int, millis: int) -> av.VideoFrame:
    """The picture simulated camera `number` shows at `millis` (an alert's snapshot)."""
    return TestPattern(number).picture(millis)

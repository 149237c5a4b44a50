"""Snapshots of alerts, and the retention of what video protection keeps.

An alert with a place gets the frame its nearest covering camera showed at the alert's time,
taken by a periodic job (on both runtimes) rather than in the alert's transaction: opening a
camera's stream takes a second or more, and a burst of alerts must not wait on cameras. A
simulated camera draws the frame of the alert's very time; a real camera gives the frame live
when the job runs, a few seconds after the alert (the room has no recording to go back in).

After VIDEO_RETENTION_DAYS (CNIL: 30 days) the snapshots are deleted. The log of who watched
what is part of the events log, whose entries are chained by hash and append-only (the
database refuses their deletion, checkpoints outside it vouch for the chain): those entries
are not deleted here, see `purge_expired_video`.
"""

from datetime import datetime, timedelta
from fractions import Fraction

import av
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from equipment.cameras import cameras_seeing, stream_url
from equipment.models import Camera
from ondijon import bus
from supervision.models import Alert, AlertSnapshot
from supervision.video.tiles import alert_place

SNAPSHOT_TAKEN = "camera.snapshot_taken"
SNAPSHOTS_PURGED = "camera.snapshots_purged"
# Alerts looked at by one run of the job, newest first; older ones than the window are left.
BATCH = 10
WINDOW = timedelta(minutes=10)
JPEG_QUALITY = 5  # FFmpeg's qscale: 2 (best) .. 31


def jpeg_of(frame: av.VideoFrame) -> bytes:
    """One picture as a JPEG, by FFmpeg's MJPEG encoder."""
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = frame.width, frame.height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"qscale": str(JPEG_QUALITY)}
    encoder.qmin = encoder.qmax = JPEG_QUALITY
    picture = frame.reformat(format="yuvj420p")
    picture.pts = 0
    packets = encoder.encode(picture) + encoder.encode(None)
    return b"".join(bytes(packet) for packet in packets)


def rtsp_frame(url: str, timeout: float = 5.0) -> av.VideoFrame:
    """The first picture a camera's stream gives (from its next keyframe)."""
    with av.open(
        url, options={"rtsp_transport": "tcp", "stimeout": str(int(timeout * 1e6))}, timeout=timeout
    ) as container:
        for frame in container.decode(video=0):
            return frame
    raise ConnectionError("the camera's stream gave no picture")


def camera_frame(camera: Camera, at: datetime) -> av.VideoFrame:
    if camera.simulated and settings.SIMULATED_CAMERAS_IN_GATEWAY:
        # The demo package draws simulated cameras; named by a setting, never imported.
        return import_string(settings.SIMULATED_CAMERA_PICTURE)(
            camera.pk, int(at.timestamp() * 1000)
        )
    url = stream_url(camera, sub=False)
    if not url:
        raise ConnectionError(f"camera {camera.equipment.code} has no stream")
    return rtsp_frame(url)


def snapshot_alert(alert: Alert) -> AlertSnapshot:
    """Take and keep the alert's snapshot (a row without a picture when no camera covers its
    place or the camera gives none)."""
    place = alert_place(alert)
    seeing = cameras_seeing(*place, limit=1) if place else []
    camera = seeing[0] if seeing else None
    image, width, height = b"", 0, 0
    if camera is not None:
        try:
            frame = camera_frame(camera, alert.raised_at)
            image, width, height = jpeg_of(frame), frame.width, frame.height
        except (OSError, av.FFmpegError, ConnectionError):
            image = b""  # a camera down at the alert's time: the alert keeps no picture
    return record_snapshot(alert, camera, image, width, height)


@transaction.atomic
def record_snapshot(
    alert: Alert, camera: Camera | None, image: bytes, width: int, height: int
) -> AlertSnapshot:
    snapshot, created = AlertSnapshot.objects.get_or_create(
        alert=alert,
        defaults={
            "camera": camera,
            "camera_code": camera.equipment.code if camera else "",
            "taken_at": alert.raised_at,
            "image": image,
            "width": width,
            "height": height,
        },
    )
    if created and image:
        bus.emit(
            SNAPSHOT_TAKEN,
            subject_type="camera",
            subject_id=camera.pk,
            subject_label=camera.equipment.code,
            payload={
                "camera": camera.pk,
                "alert": alert.pk,
                "snapshot": snapshot.pk,
                "taken_at": snapshot.taken_at.isoformat(),
            },
        )
    return snapshot


def take_alert_snapshots(now: datetime | None = None) -> int:
    """The periodic job: snapshots of the latest alerts with a place that have none yet (top
    alerts only: an alarm flood's grouped alerts share their cause's picture)."""
    now = now or timezone.now()
    alerts = (
        Alert.objects.filter(raised_at__gte=now - WINDOW, parent=None, snapshot=None)
        .filter(Q(latitude__isnull=False) | Q(equipment__isnull=False))
        .select_related("equipment")
        .order_by("-raised_at", "-pk")[:BATCH]
    )
    return sum(1 for alert in alerts if snapshot_alert(alert).has_picture)


@transaction.atomic
def purge_expired_video(now: datetime | None = None) -> dict[str, int]:
    """Delete the snapshots older than VIDEO_RETENTION_DAYS; say so in the log.

    The views' records (camera.view_started / view_stopped) stay: they are entries of the
    events log, append-only and chained by hash, which no retention may cut into without
    breaking what `verify_events` proves (a deleted entry is a broken chain).
    """
    now = now or timezone.now()
    before = now - timedelta(days=settings.VIDEO_RETENTION_DAYS)
    deleted, _ = AlertSnapshot.objects.filter(taken_at__lt=before).delete()
    if deleted:
        bus.emit(
            SNAPSHOTS_PURGED,
            subject_type="camera",
            payload={
                "deleted": deleted,
                "before": before.isoformat(),
                "days": settings.VIDEO_RETENTION_DAYS,
            },
        )
    return {"snapshots": deleted}

"""An alert's snapshot: the frame its nearest covering camera showed at the alert's time, taken
by the periodic job, shown in the alert's detail to those who may see video; snapshots are
deleted after the video retention (the log of views stays: the events log is append-only)."""

from datetime import timedelta

import av
import numpy as np
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from equipment import cameras
from equipment.models import Equipment
from ondijon import roles
from ondijon.demo.cameras import read_stamp
from supervision.alerts import services as alerts
from supervision.log.timeline import verify_chain
from supervision.models import AlertSnapshot, Event
from supervision.video import services as views_log
from supervision.video import snapshots

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def camera(district):
    equipment = Equipment.objects.create(
        code="CAM-SNAP",
        kind=Equipment.Kind.CAMERA,
        district=district,
        latitude=47.3300,
        longitude=5.0500,
    )
    return cameras.create_camera({"equipment": equipment, "simulated": True, "ptz": True})


def raise_near(latitude: float = 47.3302, longitude: float = 5.0502):
    return alerts.raise_alert(
        {
            "title": "Rixe signalée",
            "source": "operator",
            "category": "public_order",
            "severity": 4,
            "latitude": latitude,
            "longitude": longitude,
        }
    )


def decoded(jpeg: bytes) -> np.ndarray:
    codec = av.CodecContext.create("mjpeg", "r")
    (frame,) = codec.decode(av.Packet(jpeg))
    return frame.to_ndarray(format="gray")


def test_an_alert_gets_the_frame_of_its_nearest_camera_at_its_time(camera):
    alert = raise_near()
    assert snapshots.take_alert_snapshots() == 1
    snapshot = AlertSnapshot.objects.get(alert=alert)
    assert (snapshot.camera_id, snapshot.camera_code) == (camera.pk, "CAM-SNAP")
    assert snapshot.taken_at == alert.raised_at
    assert bytes(snapshot.image[:2]) == b"\xff\xd8"  # a JPEG
    # The simulated camera's stamp, read back from the JPEG: the picture of the alert's time.
    assert read_stamp(decoded(bytes(snapshot.image))) == int(alert.raised_at.timestamp() * 1000)
    event = Event.objects.get(kind="camera.snapshot_taken")
    assert event.payload == {
        "camera": camera.pk,
        "alert": alert.pk,
        "snapshot": snapshot.pk,
        "taken_at": alert.raised_at.isoformat(),
    }
    # Taken once.
    assert snapshots.take_alert_snapshots() == 0
    assert AlertSnapshot.objects.count() == 1


def test_an_alert_no_camera_covers_keeps_no_picture_and_is_looked_at_once(camera):
    alert = raise_near(47.40, 5.10)  # kilometres away
    assert snapshots.take_alert_snapshots() == 0
    snapshot = AlertSnapshot.objects.get(alert=alert)
    assert (snapshot.camera, snapshot.has_picture) == (None, False)
    assert not Event.objects.filter(kind="camera.snapshot_taken").exists()
    assert snapshots.take_alert_snapshots() == 0
    assert AlertSnapshot.objects.count() == 1


def test_a_camera_whose_stream_fails_leaves_the_alert_without_picture(camera):
    cameras.update_camera(camera, {"simulated": False, "main_stream_url": "rtsp://127.0.0.1:9/x"})
    alert = raise_near()
    assert snapshots.take_alert_snapshots() == 0
    assert AlertSnapshot.objects.get(alert=alert).has_picture is False


def test_the_alert_detail_shows_the_snapshot_to_those_who_watch_video(make_user, camera):
    alert = raise_near()
    snapshots.take_alert_snapshots()
    operator = Client()
    operator.force_login(make_user(roles.OPERATOR, username="snap-operator"))
    page = operator.get(f"/alerts/?alert={alert.pk}")
    assert page.status_code == 200
    assert f'src="/video/snapshots/{alert.pk}.jpg"'.encode() in page.content
    assert b"Camera CAM-SNAP at the alert" in page.content
    image = operator.get(f"/video/snapshots/{alert.pk}.jpg")
    assert (image.status_code, image["Content-Type"]) == (200, "image/jpeg")
    assert image.content == bytes(AlertSnapshot.objects.get(alert=alert).image)
    crew = Client()
    crew.force_login(make_user(roles.FIELD_TEAM, username="snap-crew"))
    assert crew.get(f"/video/snapshots/{alert.pk}.jpg").status_code == 403
    assert operator.get("/video/snapshots/999999.jpg").status_code == 404


def test_snapshots_past_the_retention_are_deleted_and_the_log_of_views_stays_whole(
    camera, make_user
):
    old, recent = raise_near(), raise_near(47.3301, 5.0501)
    snapshots.take_alert_snapshots()
    now = timezone.now()
    days = settings.VIDEO_RETENTION_DAYS
    assert days == 30
    AlertSnapshot.objects.filter(alert=old).update(taken_at=now - timedelta(days=days, hours=1))
    AlertSnapshot.objects.filter(alert=recent).update(taken_at=now - timedelta(days=days - 1))
    viewer = make_user(roles.OPERATOR, username="viewer")
    views_log.record_view_started(camera, viewer, "wall:main", "session-1")
    views_log.record_view_stopped("session-1", 12.0)

    assert snapshots.purge_expired_video(now) == {"snapshots": 1}
    assert list(AlertSnapshot.objects.values_list("alert", flat=True)) == [recent.pk]
    purged = Event.objects.get(kind="camera.snapshots_purged")
    assert (purged.payload["deleted"], purged.payload["days"]) == (1, 30)
    # The views' records are entries of the chained events log: kept, and the chain holds.
    assert Event.objects.filter(kind__startswith="camera.view_").count() == 2
    assert verify_chain().intact
    assert snapshots.purge_expired_video(now) == {"snapshots": 0}
    assert Event.objects.filter(kind="camera.snapshots_purged").count() == 1


def test_both_jobs_run_periodically_on_both_runtimes():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "supervision.tasks.take_alert_snapshots",
        "supervision.tasks.purge_expired_video",
    } <= tasks

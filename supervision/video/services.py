"""Who watched which camera, when, from which screen: every view start and stop is an event
(CNIL's traceability of video protection), written here and nowhere else."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from equipment.cameras import camera_snapshot
from equipment.models import Camera
from ondijon import bus
from supervision.models import Event

VIEW_STARTED = "camera.view_started"
VIEW_STOPPED = "camera.view_stopped"
SCREEN_MAX = 80


def screen_name(value: Any) -> str:
    """Where the view is shown ("wall:main", "desk:alerts"), as the page says it."""
    text = str(value or "").strip()[:SCREEN_MAX]
    return text or _("unknown screen")


@transaction.atomic
def record_view_started(
    camera: Camera,
    user,
    screen: str,
    session: str,
    stream: str = "main",
    transport: str = "webrtc",
) -> Event:
    return bus.emit(
        VIEW_STARTED,
        subject_type="camera",
        subject_id=camera.pk,
        subject_label=camera.equipment.code,
        payload={
            "session": session,
            "screen": screen_name(screen),
            "camera": camera.pk,
            "stream": stream,
            "transport": transport,
        },
        actor=user,
    )


def view_started(session: str) -> Event | None:
    return (
        Event.objects.filter(kind=VIEW_STARTED, payload__session=session)
        .select_related("actor")
        .first()
    )


@transaction.atomic
def record_view_stopped(session: str, seconds: float) -> Event | None:
    """The end of a view the gateway closed (the page left, or its connection failed): logged
    once, by the viewer who started it."""
    started = view_started(session)
    if started is None or Event.objects.filter(kind=VIEW_STOPPED, payload__session=session):
        return None
    return bus.emit(
        VIEW_STOPPED,
        subject_type="camera",
        subject_id=started.subject_id,
        subject_label=started.subject_label,
        payload={
            "session": session,
            "screen": started.payload.get("screen", ""),
            "camera": started.payload.get("camera"),
            "seconds": round(seconds, 1),
            **{
                name: started.payload[name]
                for name in ("stream", "transport")
                if name in started.payload
            },
        },
        actor=started.actor,
        actor_label=started.actor_label,
    )


def watchable_cameras() -> list[dict]:
    return [camera_snapshot(c) for c in Camera.objects.select_related("equipment")]

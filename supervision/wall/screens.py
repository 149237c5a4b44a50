"""The wall screens of the room, configured by administrators: every change is in the log."""

from django.db import transaction

from ondijon import bus
from supervision.models import WallScreen

SCREEN_FIELDS = (
    "slug",
    "name",
    "active",
    "kiosk_id",
    "panels",
    "map_layers",
    "center_latitude",
    "center_longitude",
    "zoom",
    "video_layout",
    "video_tiles",
    "alarm_tile",
)


def screen_snapshot(screen: WallScreen) -> dict:
    return {"id": screen.pk, **{name: getattr(screen, name) for name in SCREEN_FIELDS}}


def screen_record(kind: str, screen: WallScreen, snapshot: dict | None, actor, **payload):
    return bus.EventRecord(
        kind=kind,
        subject_type="wall_screen",
        subject_id=screen.pk,
        subject_label=screen.name,
        payload={"wall_screen": snapshot, **payload},
        actor=actor,
    )


@transaction.atomic
def create_screen(data: dict, actor=None) -> WallScreen:
    screen = WallScreen(**data)
    screen.full_clean()
    screen.save()
    bus.emit_many([screen_record("wall_screen.created", screen, screen_snapshot(screen), actor)])
    return screen


@transaction.atomic
def update_screen(screen: WallScreen, changes: dict, actor=None) -> WallScreen:
    """Panels, layers or view changed: a screen shows them from its next page load."""
    screen = WallScreen.objects.select_for_update().get(pk=screen.pk)
    for name, value in changes.items():
        setattr(screen, name, value)
    screen.full_clean()
    screen.save()
    snapshot = screen_snapshot(screen)
    bus.emit_many(
        [screen_record("wall_screen.updated", screen, snapshot, actor, fields=sorted(changes))]
    )
    return screen


@transaction.atomic
def delete_screen(screen: WallScreen, actor=None) -> None:
    screen = WallScreen.objects.select_for_update().get(pk=screen.pk)
    record = screen_record(
        "wall_screen.deleted", screen, None, actor, deleted=screen_snapshot(screen)
    )
    screen.delete()
    bus.emit_many([record])

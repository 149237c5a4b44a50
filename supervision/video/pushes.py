"""A camera pushed onto a wall tile by an operator, from the alert desk, the dispatch desk or
the map: the tile shows it instead of its own cameras until the tile is released (the camera
on alarm still comes first on the alarm tile). Each push and release is an event."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from equipment.models import Camera
from ondijon import bus
from supervision.models import WallScreen

PUSHED = "wall_screen.camera_pushed"
RELEASED = "wall_screen.camera_released"
ORIGINS = {
    "alerts": gettext_lazy("alert desk"),
    "dispatch": gettext_lazy("dispatch desk"),
    "map": gettext_lazy("map"),
}


def video_screens():
    """The screens a camera can be pushed to: active, with video tiles."""
    return [
        screen
        for screen in WallScreen.objects.filter(active=True).order_by("name")
        if WallScreen.Panel.VIDEO in screen.panels
    ]


def checked_tile(screen: WallScreen, tile) -> int:
    if WallScreen.Panel.VIDEO not in screen.panels or not screen.active:
        raise ValidationError({"screen": [_("This screen shows no video.")]})
    if isinstance(tile, str) and tile.isdigit():
        tile = int(tile)
    if isinstance(tile, bool) or not isinstance(tile, int) or not 1 <= tile <= screen.video_layout:
        raise ValidationError(
            {
                "tile": [
                    _("Choose a tile between 1 and %(layout)d.") % {"layout": screen.video_layout}
                ]
            }
        )
    return tile


def checked_origin(origin) -> str:
    if origin not in ORIGINS:
        raise ValidationError({"origin": [_("Choose among: %s") % ", ".join(ORIGINS)]})
    return origin


def record(kind: str, screen: WallScreen, tile: int, code: str | None, actor, origin: str):
    bus.emit(
        kind,
        subject_type="wall_screen",
        subject_id=screen.pk,
        subject_label=screen.name,
        payload={"screen": screen.slug, "tile": tile, "camera": code, "origin": origin},
        actor=actor,
    )


@transaction.atomic
def push_camera(screen: WallScreen, tile, camera: Camera, actor=None, origin: str = "alerts"):
    """Show `camera` on the screen's tile `tile` (1 is the first) until released."""
    tile, origin = checked_tile(screen, tile), checked_origin(origin)
    screen = WallScreen.objects.select_for_update().get(pk=screen.pk)
    code = camera.equipment.code
    screen.video_pushed = {**screen.video_pushed, str(tile): {"camera": code}}
    screen.save(update_fields=["video_pushed"])
    record(PUSHED, screen, tile, code, actor, origin)
    return screen


@transaction.atomic
def release_tile(screen: WallScreen, tile, actor=None, origin: str = "alerts"):
    """The tile goes back to its own cameras."""
    tile, origin = checked_tile(screen, tile), checked_origin(origin)
    screen = WallScreen.objects.select_for_update().get(pk=screen.pk)
    if str(tile) not in screen.video_pushed:
        return screen
    screen.video_pushed = {k: v for k, v in screen.video_pushed.items() if k != str(tile)}
    screen.save(update_fields=["video_pushed"])
    record(RELEASED, screen, tile, None, actor, origin)
    return screen

"""What each video tile of a wall shows: its configured cameras (a tour when several), or the
camera that sees an alarm's place on the screen's alarm tile."""

from django.conf import settings
from django.db.models import Q

from equipment.cameras import cameras_seeing
from equipment.models import Camera
from supervision.models import Alert, WallScreen
from supervision.models.alerts import OPEN_ALERT_STATUSES

# The open alerts looked at for the alarm tile, most severe and newest first.
ALARM_CANDIDATES = 20


def camera_entry(camera: Camera) -> dict:
    equipment = camera.equipment
    return {
        "id": camera.pk,
        "code": equipment.code,
        "name": equipment.name,
        "ptz": camera.ptz,
        # "mjpeg": the screens show it as JPEGs the gateway makes (its video is not for them).
        "transport": camera.transport,
        # Steered through its ONVIF service: a PTZ camera without one shows no controls.
        "steerable": camera.ptz and bool(camera.onvif_url),
        "presets": [
            {"token": str(preset.get("token", "")), "name": str(preset.get("name", ""))}
            for preset in camera.presets
        ]
        if camera.ptz
        else [],
    }


def tile_stream(screen: WallScreen, number: int) -> str:
    """The camera stream a tile watches: the sub stream on a wall of many tiles (as real video
    walls do: sixteen main streams are more than one browser decodes at full rate), the main
    stream on a smaller layout and on the alarm tile, where the detail counts."""
    if screen.video_layout >= settings.VIDEO_SUB_STREAM_FROM_LAYOUT and number != screen.alarm_tile:
        return "sub"
    return "main"


def screen_tiles(screen: WallScreen) -> list[dict]:
    """Every tile of the layout, in order: its cameras, tour interval and stream (empty tiles
    too)."""
    codes = {code for tile in screen.video_tiles for code in tile.get("cameras", [])}
    by_code = {
        camera.equipment.code: camera
        for camera in Camera.objects.select_related("equipment").filter(equipment__code__in=codes)
    }
    tiles = []
    for number in range(1, screen.video_layout + 1):
        tile = screen.video_tiles[number - 1] if number <= len(screen.video_tiles) else {}
        tiles.append(
            {
                "number": number,
                "cameras": [
                    camera_entry(by_code[code])
                    for code in tile.get("cameras", [])
                    if code in by_code
                ],
                "tourSeconds": tile.get("tour_seconds", 20),
                "stream": tile_stream(screen, number),
            }
        )
    return tiles


def alert_place(alert: Alert) -> tuple[float, float] | None:
    if alert.latitude is not None and alert.longitude is not None:
        return alert.latitude, alert.longitude
    if alert.equipment is not None:
        return alert.equipment.latitude, alert.equipment.longitude
    return None


def alarm_view() -> dict | None:
    """The camera on alarm: the nearest camera whose field of view covers the place of the
    most severe, newest open alert that a camera sees; None when no open alert is seen. An
    alert resolved or closed leaves it, so the tile goes back to its own cameras."""
    alerts = (
        Alert.objects.filter(status__in=OPEN_ALERT_STATUSES)
        .filter(Q(latitude__isnull=False) | Q(equipment__isnull=False))
        .select_related("equipment")
        .order_by("-severity", "-raised_at", "-pk")[:ALARM_CANDIDATES]
    )
    for alert in alerts:
        place = alert_place(alert)
        seeing = cameras_seeing(*place, limit=1) if place else []
        if seeing:
            return {
                "camera": camera_entry(seeing[0]),
                "alert": {"id": alert.pk, "title": alert.title, "severity": alert.severity},
            }
    return None


def pushed_cameras(screen: WallScreen) -> dict:
    """The cameras operators pushed onto tiles, by tile number (as text)."""
    codes = {entry.get("camera") for entry in screen.video_pushed.values()}
    by_code = {
        camera.equipment.code: camera
        for camera in Camera.objects.select_related("equipment").filter(equipment__code__in=codes)
    }
    return {
        tile: camera_entry(by_code[entry["camera"]])
        for tile, entry in screen.video_pushed.items()
        if entry.get("camera") in by_code
    }


def live_tiles(screen: WallScreen) -> dict:
    """What the screen's tiles show now: the alarm tile's camera on alarm, if any, and the
    cameras pushed onto tiles."""
    tiles = screen_tiles(screen)
    alarm = alarm_view() if screen.alarm_tile else None
    return {
        "tiles": tiles,
        "alarmTile": screen.alarm_tile,
        "alarm": alarm,
        "pushed": pushed_cameras(screen),
    }

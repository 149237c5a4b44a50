"""What each video tile of a wall shows: its configured cameras (a tour when several), or the
camera that sees an alarm's place on the screen's alarm tile."""

from equipment.models import Camera
from supervision.models import WallScreen


def camera_entry(camera: Camera) -> dict:
    equipment = camera.equipment
    return {"id": camera.pk, "code": equipment.code, "name": equipment.name, "ptz": camera.ptz}


def screen_tiles(screen: WallScreen) -> list[dict]:
    """Every tile of the layout, in order: its cameras and tour interval (empty tiles too)."""
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
            }
        )
    return tiles

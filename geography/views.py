"""The base map's tiles, for every map of the room (the wall's kiosk included)."""

import sqlite3

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse

from geography import basemap

# A city's own tile file may carry imagery licensed to the city alone: the room's map roles.
MAP_PERMISSIONS = ("geography.view_street", "supervision.view_wall")


# The street tiles are the city's open data (OpenStreetMap, or the demo's), drawn on the
# public status page too: anyone may read them.
@login_not_required
def street_tile(request, zoom: int, x: int, y: int) -> HttpResponse:
    if zoom > basemap.MAX_ZOOM or x >= 2**zoom or y >= 2**zoom:
        raise Http404
    response = HttpResponse(basemap.tile_bytes(zoom, x, y), content_type="application/json")
    # Streets change with an import: a browser may keep a tile for a few minutes.
    response["Cache-Control"] = "public, max-age=300"
    return response


def file_tile(request, zoom: int, x: int, y: int) -> HttpResponse:
    """A tile of the city's own MBTiles file (raster: PNG, JPEG or WebP images)."""
    if not any(request.user.has_perm(code) for code in MAP_PERMISSIONS):
        raise PermissionDenied
    if not settings.MAP_TILE_FILE or zoom > 24 or x >= 2**zoom or y >= 2**zoom:
        raise Http404
    # MBTiles numbers rows from the south (TMS); Leaflet from the north.
    with sqlite3.connect(f"file:{settings.MAP_TILE_FILE}?mode=ro", uri=True) as database:
        row = database.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (zoom, x, (2**zoom - 1) - y),
        ).fetchone()
    if row is None:
        raise Http404
    data = bytes(row[0])
    kind = (
        "image/png"
        if data.startswith(b"\x89PNG")
        else "image/webp"
        if data[8:12] == b"WEBP"
        else "image/jpeg"
    )
    response = HttpResponse(data, content_type=kind)
    response["Cache-Control"] = "private, max-age=3600"
    return response

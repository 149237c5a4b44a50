"""The base map drawn from the imported streets, served by ondijon itself (no internet).

A tile is the streets crossing it, projected to the tile's own 256 x 256 pixels (Web
Mercator, as Leaflet counts tiles), each with its class and name, so that the browser only
strokes lines and writes names. Small streets appear as the map zooms in; the index buckets
streets by zoom-14 tile so that a tile reads only the streets near it.
"""

import json
import math
import threading
from collections import defaultdict
from functools import lru_cache

from geography.models import Import, Street

TILE = 256
BUCKET_ZOOM = 14
# From which zoom each road class is drawn.
MIN_ZOOM = {
    "motorway": 0,
    "trunk": 0,
    "primary": 8,
    "secondary": 10,
    "motorway_link": 11,
    "trunk_link": 11,
    "primary_link": 12,
    "tertiary": 12,
    "secondary_link": 13,
    "tertiary_link": 13,
    "unclassified": 13,
    "residential": 13,
    "living_street": 14,
    "road": 14,
    "service": 15,
}
MAX_ZOOM = 20


def _pixel(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """World pixel coordinates of a point at a zoom level (Web Mercator)."""
    scale = TILE * (2**zoom)
    x = (lon + 180.0) / 360.0 * scale
    sin = math.sin(math.radians(max(min(lat, 85.05), -85.05)))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
    return x, y


class StreetTiles:
    def __init__(self, streets: list[tuple[str, str, list]]) -> None:
        """streets: (name, road_class, points [[lon, lat], ...])."""
        self.streets = streets
        self.buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.bounds: list[tuple[float, float, float, float]] = []
        for index, (_name, _klass, points) in enumerate(streets):
            xs, ys = zip(*(_pixel(lon, lat, BUCKET_ZOOM) for lon, lat in points), strict=True)
            box = (min(xs), min(ys), max(xs), max(ys))
            self.bounds.append(box)
            for bx in range(int(box[0] // TILE), int(box[2] // TILE) + 1):
                for by in range(int(box[1] // TILE), int(box[3] // TILE) + 1):
                    self.buckets[(bx, by)].append(index)

    def tile(self, zoom: int, x: int, y: int) -> dict:
        """{"streets": [[class, name, [[px, py], ...]], ...]} in the tile's pixels."""
        if zoom >= BUCKET_ZOOM:
            shift = zoom - BUCKET_ZOOM
            candidates = set(self.buckets.get((x >> shift, y >> shift), ()))
        else:
            shift = BUCKET_ZOOM - zoom
            candidates = set()
            for bx in range(x << shift, (x + 1) << shift):
                for by in range(y << shift, (y + 1) << shift):
                    candidates.update(self.buckets.get((bx, by), ()))
        factor = 2.0 ** (zoom - BUCKET_ZOOM)
        left, top = x * TILE, y * TILE
        margin = 8  # a line's width past the edge still shows
        drawn = []
        for index in sorted(candidates):
            name, klass, points = self.streets[index]
            if MIN_ZOOM.get(klass, 14) > zoom:
                continue
            bx0, by0, bx1, by1 = (value * factor for value in self.bounds[index])
            if (
                bx1 < left - margin
                or bx0 > left + TILE + margin
                or by1 < top - margin
                or by0 > top + TILE + margin
            ):
                continue
            line = []
            for lon, lat in points:
                px, py = _pixel(lon, lat, zoom)
                line.append([round(px - left, 1), round(py - top, 1)])
            drawn.append([klass, name if zoom >= 15 else "", line])
        return {"streets": drawn}


_lock = threading.Lock()
_tiles: StreetTiles | None = None
_tiles_import: int | None = -1


def tiles() -> StreetTiles:
    """This process's street tiles, rebuilt after a newer import of streets."""
    global _tiles, _tiles_import
    latest = (
        Import.objects.filter(kind=Import.Kind.STREETS)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    with _lock:
        if _tiles is None or latest != _tiles_import:
            rows = Street.objects.values_list("name", "road_class", "points")
            _tiles = StreetTiles([row for row in rows.iterator(chunk_size=5000) if len(row[2]) > 1])
            _tiles_import = latest
            tile_json.cache_clear()
        return _tiles


@lru_cache(maxsize=4096)
def tile_json(zoom: int, x: int, y: int, generation: int | None) -> bytes:
    return json.dumps(_tiles.tile(zoom, x, y), separators=(",", ":")).encode()


def tile_bytes(zoom: int, x: int, y: int) -> bytes:
    tiles()
    return tile_json(zoom, x, y, _tiles_import)


def forget_tiles() -> None:
    global _tiles, _tiles_import
    with _lock:
        _tiles, _tiles_import = None, -1
        tile_json.cache_clear()

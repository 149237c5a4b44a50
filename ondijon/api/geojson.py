"""GeoJSON (RFC 7946) for map layers: longitude first, WGS84."""

from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from rest_framework.response import Response

GEOJSON_CONTENT_TYPE = "application/geo+json"


def point_feature(feature_id: Any, longitude: float, latitude: float, properties: dict) -> dict:
    return {
        "type": "Feature",
        "id": feature_id,
        "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
        "properties": properties,
    }


def polygon(ring: list) -> dict | None:
    """A district's outline as an RFC 7946 Polygon: closed, exterior ring counter-clockwise
    (the right-hand rule, section 3.1.6), whichever way it was drawn; None (the feature's
    geometry is null) when there is no outline of at least three distinct corners."""
    points = [[float(p[0]), float(p[1])] for p in ring or [] if isinstance(p, list | tuple)]
    if points and points[0] != points[-1]:
        points.append(points[0])
    if len({tuple(p) for p in points}) < 3:
        return None
    if signed_area(points) < 0:  # clockwise on a lon/lat plane
        points.reverse()
    return {"type": "Polygon", "coordinates": [points]}


def signed_area(points: list[list[float]]) -> float:
    """Twice the ring's area on the lon/lat plane, positive when counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(points))


def feature_collection(features: Iterable[dict]) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def geojson_response(features: Iterable[dict]) -> Response:
    return Response(feature_collection(features), content_type=GEOJSON_CONTENT_TYPE)

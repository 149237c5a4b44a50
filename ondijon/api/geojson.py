"""GeoJSON (RFC 7946) for map layers: longitude first, WGS84."""

from collections.abc import Iterable
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


def feature_collection(features: Iterable[dict]) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def geojson_response(features: Iterable[dict]) -> Response:
    return Response(feature_collection(features), content_type=GEOJSON_CONTENT_TYPE)

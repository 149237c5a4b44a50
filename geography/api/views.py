"""Addresses for the desks and partners: search as typed (geocode) and nearest (reverse)."""

import math

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from geography import addresses
from ondijon.api.geojson import GEOJSON_CONTENT_TYPE, feature_collection

VIEW_ADDRESSES = ["geography.view_address"]


class Coordinate(serializers.FloatField):
    """A number of degrees: "nan" and "inf" parse as floats and pass any range check."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class GeocodeQuery(serializers.Serializer):
    q = serializers.CharField(label=_("address typed"), min_length=2, max_length=200)
    limit = serializers.IntegerField(label=_("results"), min_value=1, max_value=20, default=5)


class ReverseQuery(serializers.Serializer):
    lat = Coordinate(label=_("latitude"), min_value=-90, max_value=90)
    lon = Coordinate(label=_("longitude"), min_value=-180, max_value=180)
    limit = serializers.IntegerField(label=_("results"), min_value=1, max_value=20, default=1)
    radius = Coordinate(label=_("radius (m)"), min_value=1, max_value=5000, default=500)


ADDRESS_FEATURES = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "geometry": {"type": "object"},
                    "properties": {"type": "object"},
                },
            },
        },
    },
}


def _features(found: list[addresses.Found]) -> Response:
    return Response(
        feature_collection(item.as_feature() for item in found),
        content_type=GEOJSON_CONTENT_TYPE,
    )


class GeocodeView(APIView):
    """The addresses matching what was typed, best first (accents, case, abbreviations and
    small typos forgiven; a commune name or postcode narrows the search)."""

    required_permissions = VIEW_ADDRESSES

    @extend_schema(
        parameters=[GeocodeQuery],
        responses={200: OpenApiResponse(ADDRESS_FEATURES), 400: OpenApiResponse()},
    )
    def get(self, request):
        query = GeocodeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return _features(
            addresses.index().search(query.validated_data["q"], query.validated_data["limit"])
        )


class ReverseView(APIView):
    """The addresses nearest a point (a click on the map), nearest first."""

    required_permissions = VIEW_ADDRESSES

    @extend_schema(
        parameters=[ReverseQuery],
        responses={200: OpenApiResponse(ADDRESS_FEATURES), 400: OpenApiResponse()},
    )
    def get(self, request):
        query = ReverseQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return _features(
            addresses.index().reverse(data["lat"], data["lon"], data["limit"], data["radius"])
        )

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from equipment import services
from equipment.api.serializers import (
    DistrictSerializer,
    EquipmentSerializer,
    ReadingSerializer,
    SiteSerializer,
)
from equipment.filtersets import (
    DistrictFilterSet,
    EquipmentFilterSet,
    ReadingFilterSet,
    SiteFilterSet,
)
from equipment.models import District, Equipment, Reading, Site
from ondijon import inputs
from ondijon.api.geojson import geojson_response, point_feature, polygon
from ondijon.api.viewsets import ServiceModelViewSet

GEOJSON_SCHEMA = extend_schema(
    responses={(200, "application/geo+json"): dict},
    description=gettext_lazy(
        "GeoJSON FeatureCollection (RFC 7946, longitude first). Takes the list filters."
    ),
)


class DistrictViewSet(ServiceModelViewSet):
    queryset = District.objects.all()
    serializer_class = DistrictSerializer
    filterset_class = DistrictFilterSet
    search_fields = ["code", "name"]
    create_service = services.create_district
    update_service = services.update_district
    delete_service = services.delete_district

    @GEOJSON_SCHEMA
    @action(detail=False, url_path="geojson", pagination_class=None)
    def geojson(self, request):
        districts = self.filter_queryset(self.get_queryset())
        return geojson_response(
            {
                "type": "Feature",
                "id": district.pk,
                "geometry": polygon(district.boundary),
                "properties": {"code": district.code, "name": district.name},
            }
            for district in districts
        )


class SiteViewSet(ServiceModelViewSet):
    queryset = Site.objects.select_related("district")
    serializer_class = SiteSerializer
    filterset_class = SiteFilterSet
    search_fields = ["code", "name", "address"]
    create_service = services.create_site
    update_service = services.update_site
    delete_service = services.delete_site


class EquipmentViewSet(ServiceModelViewSet):
    queryset = Equipment.objects.select_related("district", "site")
    serializer_class = EquipmentSerializer
    filterset_class = EquipmentFilterSet
    search_fields = ["code", "name"]
    ordering_fields = ["code", "kind", "status", "last_seen_at"]
    action_permissions = {"history": ["equipment.view_equipment", "equipment.view_reading"]}
    create_service = services.create_equipment
    update_service = services.update_equipment
    delete_service = services.delete_equipment

    @extend_schema(
        parameters=[OpenApiParameter("hours", float, description=_("How far back (default 24)."))],
        responses={200: dict},
        description=_("Recent numeric metrics per name: {series: {name: [[time, value], ...]}}."),
    )
    @action(detail=True)
    def history(self, request, pk=None):
        try:
            hours = float(request.query_params.get("hours", 24))
        except ValueError:
            raise ValidationError({"hours": _("A number of hours.")}) from None
        if not 0 < hours <= 24 * 90:
            raise ValidationError({"hours": "Between 0 and 2160 hours."})
        return Response(services.reading_history(self.get_object(), hours))

    @GEOJSON_SCHEMA
    @action(detail=False, url_path="geojson", pagination_class=None)
    def geojson(self, request):
        # The whole metropolis is tens of thousands of points: read plain values, not models.
        rows = (
            self.filter_queryset(Equipment.objects.all())
            .order_by()
            .values_list("id", "code", "kind", "status", "district_id", "longitude", "latitude")
        )
        return geojson_response(
            point_feature(
                pk, lon, lat, {"code": code, "kind": kind, "status": status, "district": district}
            )
            for pk, code, kind, status, district, lon, lat in rows
        )


class ReadingViewSet(viewsets.ReadOnlyModelViewSet):
    """History as kept: a reading dated before the platform's epoch (stored before dates were
    checked at the door) is left out, so that it cannot break the list for every caller."""

    queryset = Reading.objects.select_related("equipment")
    serializer_class = ReadingSerializer
    filterset_class = ReadingFilterSet
    ordering_fields = ["time"]

    def get_queryset(self):
        return super().get_queryset().filter(time__gte=inputs.earliest_time())

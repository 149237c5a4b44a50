from rest_framework import viewsets
from rest_framework.decorators import action

from equipment.api.views import GEOJSON_SCHEMA
from ondijon.geojson import geojson_response, point_feature

from .. import services
from ..filtersets import InterventionFilterSet, TeamFilterSet
from ..models import Intervention, Team
from .serializers import InterventionSerializer, TeamSerializer


class TeamViewSet(viewsets.ModelViewSet):
    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    search_fields = ["call_sign", "vehicle"]
    ordering_fields = ["call_sign", "status", "position_at"]

    def perform_create(self, serializer):
        serializer.instance = services.create_team(
            serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_team(
            serializer.instance, serializer.validated_data, actor=self.request.user
        )

    @GEOJSON_SCHEMA
    @action(detail=False, url_path="geojson", pagination_class=None)
    def geojson(self, request):
        teams = self.filter_queryset(self.get_queryset()).exclude(latitude=None)
        return geojson_response(
            point_feature(
                team.pk,
                team.longitude,
                team.latitude,
                {"call_sign": team.call_sign, "service": team.service, "status": team.status},
            )
            for team in teams
        )


class InterventionViewSet(viewsets.ModelViewSet):
    queryset = Intervention.objects.prefetch_related("equipment", "assignments__team")
    serializer_class = InterventionSerializer
    filterset_class = InterventionFilterSet
    search_fields = ["reference", "title", "address"]
    ordering_fields = ["reported_at", "priority", "status"]

    def perform_create(self, serializer):
        serializer.instance = services.create_intervention(
            dict(serializer.validated_data), actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_intervention(
            serializer.instance, dict(serializer.validated_data), actor=self.request.user
        )

    @GEOJSON_SCHEMA
    @action(detail=False, url_path="geojson", pagination_class=None)
    def geojson(self, request):
        interventions = self.filter_queryset(Intervention.objects.all())
        return geojson_response(
            point_feature(
                item.pk,
                item.longitude,
                item.latitude,
                {
                    "reference": item.reference,
                    "title": item.title,
                    "priority": item.priority,
                    "status": item.status,
                },
            )
            for item in interventions
        )

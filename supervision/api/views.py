from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from equipment.api.views import GEOJSON_SCHEMA
from interventions.api.serializers import InterventionSerializer
from ondijon.api.geojson import geojson_response, point_feature
from ondijon.api.viewsets import ServiceCreateMixin, ServiceUpdateMixin, service_action
from supervision.alerts import kpis, services
from supervision.alerts.kpi_views import KpiPeriodForm, form_errors
from supervision.api.serializers import (
    AlertSerializer,
    EventSerializer,
    LifecycleNoteSerializer,
    NoteSerializer,
    QualifySerializer,
)
from supervision.filtersets import AlertFilterSet, EventFilterSet
from supervision.models import Alert, Event


class AlertViewSet(
    ServiceCreateMixin,
    ServiceUpdateMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Alerts are raised, changed and moved along their lifecycle; closed, never deleted."""

    queryset = Alert.objects.select_related("equipment")
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    search_fields = ["title", "category"]
    ordering_fields = ["raised_at", "severity", "status"]
    action_permissions = {
        **{
            step: ["supervision.change_alert"]
            for step in ("acknowledge", "qualify", "resolve", "close")
        },
        "intervention": ["supervision.change_alert", "supervision.create_alert_intervention"],
        "kpis": ["supervision.view_alarm_kpis"],
    }

    create_service = services.raise_alert
    update_service = services.update_alert

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def acknowledge(self, request, pk=None):
        alert = services.acknowledge_alert(self.get_object(), actor=request.user)
        return Response(AlertSerializer(alert, context={"request": request}).data)

    @extend_schema(request=QualifySerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def qualify(self, request, pk=None):
        """Confirm the alert: adjust severity and category, link an intervention."""
        serializer = QualifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alert = services.qualify_alert(
            self.get_object(), actor=request.user, **serializer.validated_data
        )
        return Response(AlertSerializer(alert, context={"request": request}).data)

    @extend_schema(request=LifecycleNoteSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def resolve(self, request, pk=None):
        return self.lifecycle_step(request, services.resolve_alert)

    @extend_schema(request=LifecycleNoteSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def close(self, request, pk=None):
        return self.lifecycle_step(request, services.close_alert)

    def lifecycle_step(self, request, step):
        serializer = LifecycleNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alert = step(self.get_object(), actor=request.user, **serializer.validated_data)
        return Response(AlertSerializer(alert, context={"request": request}).data)

    @extend_schema(request=None, responses={201: InterventionSerializer})
    @action(detail=True, methods=["post"])
    @service_action
    def intervention(self, request, pk=None):
        """Create the intervention for this alert in one click (409 if it already has one)."""
        intervention = services.create_intervention_from_alert(self.get_object(), request.user)
        return Response(
            InterventionSerializer(intervention, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATETIME, description="default: end - 24 h"),
            OpenApiParameter("end", OpenApiTypes.DATETIME, description="default: now"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, pagination_class=None, filter_backends=[])
    def kpis(self, request):
        """The alarm KPIs of a period (at most 31 days), from the events log: alarms per
        operator position per hour and per 10 minutes, time in flood, the most frequent rules
        and devices, chattering and standing alerts, time to acknowledge, against ISA-18.2."""
        form = KpiPeriodForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        figures = kpis.alarm_kpis(form.cleaned_data["start"], form.cleaned_data["end"])
        return Response(figures.as_dict())

    @GEOJSON_SCHEMA
    @action(detail=False, url_path="geojson", pagination_class=None)
    def geojson(self, request):
        alerts = self.filter_queryset(self.get_queryset()).exclude(latitude=None)
        return geojson_response(
            point_feature(
                alert.pk,
                alert.longitude,
                alert.latitude,
                {"title": alert.title, "severity": alert.severity, "status": alert.status},
            )
            for alert in alerts
        )


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """The events log, in sequence order. `?after=<seq>` returns what followed a number."""

    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    search_fields = ["subject_label", "kind", "actor_label"]
    ordering_fields = ["seq"]
    ordering = ["seq"]
    action_permissions = {"note": ["supervision.add_event"]}

    @extend_schema(request=NoteSerializer, responses={201: EventSerializer})
    @action(detail=False, methods=["post"])
    @service_action
    def note(self, request):
        """Add a hand-written entry to the log (or a correction of an earlier one)."""
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.add_note(
            serializer.validated_data["text"],
            actor=request.user,
            correction_of=serializer.validated_data.get("correction_of"),
            service=serializer.validated_data.get("service", ""),
        )
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)

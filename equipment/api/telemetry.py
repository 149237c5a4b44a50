"""`POST /api/v1/telemetry/`: devices and gateways send batches of readings."""

from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from equipment import ingest
from equipment.models import DeviceToken
from equipment.tokens import DeviceTokenAuthentication, IsDevice
from ondijon import outage
from ondijon.api.fields import DateTimeField, DictField
from ondijon.api.viewsets import service_action
from ondijon.inputs import load_json


class ReadingInSerializer(serializers.Serializer):
    device = serializers.CharField(max_length=40, help_text=gettext_lazy("Equipment code."))
    time = DateTimeField(help_text=gettext_lazy("RFC 3339 (ISO 8601) with a UTC offset."))
    metrics = DictField(
        help_text=gettext_lazy(
            "Metric name -> number, boolean or string. `status` (ok, degraded, fault) "
            "sets the device's status."
        )
    )
    id = serializers.CharField(
        max_length=100,
        required=False,
        help_text=gettext_lazy("Message id: a retry with the same id is ignored."),
    )


class TelemetryBatchSerializer(serializers.Serializer):
    readings = ReadingInSerializer(many=True)


class RejectionSerializer(serializers.Serializer):
    index = serializers.IntegerField(
        help_text=gettext_lazy("Position of the reading in the batch.")
    )
    reason = serializers.CharField()


class TelemetryResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text=gettext_lazy("Readings stored now."))
    duplicates = serializers.IntegerField(
        help_text=gettext_lazy("Readings already received (same id).")
    )
    rejected = RejectionSerializer(many=True)


class TelemetryViewSet(viewsets.ViewSet):
    """Telemetry from devices, authenticated by a device token (`Authorization: Token <key>`).

    Good readings are accepted even when others in the batch are refused; each refused one
    is listed with its index and reason. Readings older than a device's current state are
    kept as history without moving the state back.
    """

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDevice]
    queryset = DeviceToken.objects.none()  # gives the router its name only
    parser_classes = [JSONParser]  # for the schema: the body is read as `request.body`,
    # so that Django's size limit applies (413) and nothing is parsed twice.

    @extend_schema(
        request=TelemetryBatchSerializer,
        responses={200: TelemetryResultSerializer},
        examples=[
            OpenApiExample(
                "Two readings",
                request_only=True,
                value={
                    "readings": [
                        {
                            "device": "SL-00001",
                            "time": "2026-11-27T18:00:00+01:00",
                            "metrics": {"lamp": "on", "power_w": 71.5},
                            "id": "gw7-000123",
                        },
                        {
                            "device": "WS-001",
                            "time": "2026-11-27T18:00:00+01:00",
                            "metrics": {"pressure_bar": 4.1},
                        },
                    ]
                },
            )
        ],
    )
    @service_action
    def create(self, request):
        try:
            body = load_json(request.body, allow_constants=True)
        except (ValueError, UnicodeDecodeError) as error:
            return Response(
                {"detail": _("Malformed JSON: %(error)s") % {"error": error}},
                status.HTTP_400_BAD_REQUEST,
            )
        readings = body.get("readings") if isinstance(body, dict) else None
        if not isinstance(readings, list):
            return Response(
                {"readings": [_("A list of readings is required.")]}, status.HTTP_400_BAD_REQUEST
            )
        try:
            result = ingest.ingest(readings, token=request.auth)
        except ingest.BatchTooLarge as error:
            return Response(
                {"detail": str(error), "code": "too_large"},
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        except DatabaseError:
            # Nothing was saved (one transaction); the gateway retries the whole batch.
            return Response(
                outage.unavailable_detail(),
                status.HTTP_503_SERVICE_UNAVAILABLE,
                headers=outage.retry_after(),
            )
        return Response(result.as_dict())

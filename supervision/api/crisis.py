"""Crisis modes over the API: list, pre-check, activate with confirmation, follow, roll back."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ondijon.api.fields import ModelSerializer, SlugRelatedField
from ondijon.api.viewsets import service_action
from supervision.crisis import services as crisis
from supervision.models import CrisisMode, ModeActivation, PlaybookAction

ACTIVATE = ["supervision.activate_crisismode"]


class PlaybookActionSerializer(ModelSerializer):
    district = SlugRelatedField(slug_field="code", read_only=True)
    summary = serializers.SerializerMethodField()

    class Meta:
        model = PlaybookAction
        fields = [
            "position",
            "type",
            "equipment_kind",
            "district",
            "tag",
            "command",
            "params",
            "text",
            "deadline_s",
            "summary",
        ]

    def get_summary(self, action) -> str:
        return crisis.describe(action)


class CrisisModeSerializer(ModelSerializer):
    actions = PlaybookActionSerializer(many=True, read_only=True)

    class Meta:
        model = CrisisMode
        fields = ["id", "code", "name", "description", "actions"]


class ActivationRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    confirm = serializers.BooleanField(
        help_text=gettext_lazy("True once the supervisor has reviewed the pre-check.")
    )


class DeactivationRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PublicMessageRequestSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class ModeActivationSerializer(ModelSerializer):
    mode = SlugRelatedField(slug_field="code", read_only=True)
    activated_by = SlugRelatedField(slug_field="username", read_only=True)
    deactivated_by = SlugRelatedField(slug_field="username", read_only=True)
    progress = serializers.SerializerMethodField()
    restore = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()

    class Meta:
        model = ModeActivation
        fields = [
            "id",
            "mode",
            "status",
            "reason",
            "activated_by",
            "activated_at",
            "deactivated_by",
            "deactivated_at",
            "deactivation_reason",
            "banner",
            "public_message",
            "hotline_24_7",
            "steps",
            "progress",
            "restore",
        ]

    def get_steps(self, activation) -> list[dict]:
        return crisis.steps_progress(activation)

    def get_progress(self, activation) -> dict:
        return crisis.progress(activation)

    def get_restore(self, activation) -> dict | None:
        if activation.status == ModeActivation.Status.ACTIVE:
            return None
        return crisis.restore_report(activation)


class CrisisModeViewSet(viewsets.ReadOnlyModelViewSet):
    """Crisis modes and their playbooks (defined in the admin)."""

    queryset = CrisisMode.objects.prefetch_related("actions__district")
    serializer_class = CrisisModeSerializer
    lookup_field = "code"
    action_permissions = {"precheck": ACTIVATE, "activate": ACTIVATE}

    @extend_schema(responses={200: dict})
    @action(detail=True)
    def precheck(self, request, code=None):
        """What activation would do: devices per step, offline ones, what will change."""
        return Response(crisis.precheck(self.get_object()))

    @extend_schema(
        request=ActivationRequestSerializer,
        responses={
            201: ModeActivationSerializer,
            400: OpenApiResponse(description=_("No reason, or not confirmed.")),
            409: OpenApiResponse(description=_("Another mode is active.")),
        },
    )
    @action(detail=True, methods=["post"])
    @service_action
    def activate(self, request, code=None):
        form = ActivationRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        activation = crisis.activate(
            self.get_object(),
            request.user,
            form.validated_data["reason"],
            confirmed=form.validated_data["confirm"],
        )
        return Response(ModeActivationSerializer(activation).data, status=status.HTTP_201_CREATED)


class ModeActivationViewSet(viewsets.ReadOnlyModelViewSet):
    """Activations of crisis modes with live progress (n of m acknowledged, failures)."""

    queryset = ModeActivation.objects.select_related("mode", "activated_by", "deactivated_by")
    serializer_class = ModeActivationSerializer
    action_permissions = {
        "deactivate": ACTIVATE,
        "retry": ACTIVATE,
        "public_message": ACTIVATE,
        "current": ["supervision.view_wall"],
    }

    @extend_schema(
        responses=inline_serializer(
            "CityMode",
            {
                "mode": inline_serializer(
                    "CityModeSnapshot",
                    {
                        "code": serializers.CharField(),
                        "name": serializers.CharField(),
                        "banner": serializers.CharField(),
                        "hotline_24_7": serializers.BooleanField(),
                    },
                )
            },
        )
    )
    @action(detail=False, pagination_class=None)
    def current(self, request):
        """The city's mode now, as `city.mode_changed` carries it (for a screen's first load)."""
        return Response({"mode": crisis.mode_snapshot(crisis.current_activation())})

    @extend_schema(
        request=DeactivationRequestSerializer,
        responses={200: ModeActivationSerializer, 409: OpenApiResponse()},
    )
    @action(detail=True, methods=["post"])
    @service_action
    def deactivate(self, request, pk=None):
        """Back to normal: restores every device the playbook changed."""
        form = DeactivationRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        activation = crisis.deactivate(
            self.get_object(), request.user, form.validated_data["reason"]
        )
        return Response(ModeActivationSerializer(activation).data)

    @extend_schema(
        request=PublicMessageRequestSerializer,
        responses={200: ModeActivationSerializer, 409: OpenApiResponse()},
    )
    @action(detail=True, methods=["post"], url_path="public-message")
    @service_action
    def public_message(self, request, pk=None):
        """Rewrite what citizens are told while the mode lasts (a CAP Update goes out)."""
        form = PublicMessageRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        activation = crisis.amend_public_message(
            self.get_object(), form.validated_data["text"], request.user
        )
        return Response(ModeActivationSerializer(activation).data)

    @extend_schema(request=None, responses={202: ModeActivationSerializer})
    @action(detail=True, methods=["post"])
    @service_action
    def retry(self, request, pk=None):
        """Send the failed and timed-out commands of the current phase again, and resume
        sending what a stopped or stalled run left planned."""
        activation = self.get_object()
        crisis.retry_failures(activation, request.user)
        activation.refresh_from_db()
        return Response(ModeActivationSerializer(activation).data, status=status.HTTP_202_ACCEPTED)

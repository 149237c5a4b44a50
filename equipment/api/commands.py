"""`/api/v1/commands/`: ask a device to act, follow the command, retry it."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from equipment import catalogue, commands
from equipment.filtersets import CommandFilterSet
from equipment.models import Command, Equipment
from ondijon.api.fields import DictField, ModelSerializer, SlugRelatedField
from ondijon.api.viewsets import service_action


class CommandSerializer(ModelSerializer):
    equipment = SlugRelatedField(slug_field="code", read_only=True)
    equipment_kind = serializers.CharField(source="equipment.kind", read_only=True)
    requested_by = SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Command
        fields = [
            "id",
            "equipment",
            "equipment_kind",
            "action",
            "params",
            "reason",
            "origin",
            "status",
            "attempts",
            "error",
            "requested_by",
            "requested_at",
            "sent_at",
            "finished_at",
            "previous_state",
        ]
        read_only_fields = fields


class CommandRequestSerializer(serializers.Serializer):
    """What an operator asks: a device by code, an action of its kind, parameters, a reason."""

    equipment = SlugRelatedField(slug_field="code", queryset=Equipment.objects.all())
    action = serializers.CharField(max_length=30)
    params = DictField(required=False, default=dict)
    reason = serializers.CharField(max_length=300)

    def validate(self, data):
        try:
            data["params"] = catalogue.clean_params(
                data["equipment"].kind, data["action"], data["params"]
            )
        except catalogue.InvalidCommand as error:
            raise serializers.ValidationError(error.errors) from error
        return data


CATALOGUE_SCHEMA = inline_serializer(
    "CommandCatalogue",
    {
        "kind": serializers.CharField(),
        "actions": serializers.ListField(child=DictField()),
    },
    many=True,
)


class CommandViewSet(
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Commands to equipment, newest first. Filters: `?equipment=<code>`, `equipment_kind`,
    `action`, `status` (each may repeat), `origin`, `requested_after`, `requested_before`."""

    queryset = Command.objects.select_related("equipment", "requested_by")
    serializer_class = CommandSerializer
    filterset_class = CommandFilterSet
    action_permissions = {
        "retry": ["equipment.add_command"],
        "catalogue": ["equipment.view_command"],
    }

    @extend_schema(
        request=CommandRequestSerializer,
        responses={
            201: CommandSerializer,
            400: OpenApiResponse(description=_("Unknown action or invalid parameters, by field.")),
            409: OpenApiResponse(
                description=_("The device is offline: the command failed at once.")
            ),
        },
        description=_(
            "Request a command. It is sent after the request and acknowledged by the "
            "device later: follow its `status` (requested, sent, acknowledged, failed, timed_out, expired)."
        ),
    )
    @service_action
    def create(self, request, *args, **kwargs):
        form = CommandRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        command = commands.request_command(
            data["equipment"],
            data["action"],
            data["params"],
            reason=data["reason"],
            actor=request.user,
        )
        body = CommandSerializer(command).data
        if command.status == Command.Status.FAILED:
            return Response(
                {"detail": command.error, "code": "device_offline", "command": body},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: CommandSerializer, 409: OpenApiResponse()})
    @action(detail=True, methods=["post"])
    @service_action
    def retry(self, request, pk=None):
        """Send a failed or timed-out command again."""
        command = commands.retry_command(self.get_object(), actor=request.user)
        return Response(CommandSerializer(command).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=CATALOGUE_SCHEMA)
    @action(detail=False, pagination_class=None)
    def catalogue(self, request):
        """The actions each kind of equipment accepts, with their parameters."""
        return Response(
            [
                {
                    "kind": kind,
                    "actions": [
                        {
                            "name": a.name,
                            "label": a.label,
                            "params": [
                                {"name": p.name, "required": p.required} for p in a.parameters
                            ],
                        }
                        for a in actions.values()
                    ],
                }
                for kind, actions in catalogue.CATALOGUE.items()
            ]
        )

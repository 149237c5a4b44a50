from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from equipment.models import Equipment
from interventions import services
from interventions.models import Assignment, Intervention, Team
from ondijon import inputs
from ondijon.api.fields import DateTimeField, ModelSerializer, SlugRelatedField


class TeamSerializer(ModelSerializer):
    skills = serializers.ListField(child=serializers.CharField(max_length=40), required=False)

    class Meta:
        model = Team
        fields = [
            "id",
            "call_sign",
            "service",
            "status",
            "vehicle",
            "emergency_vehicle",
            "skills",
            "latitude",
            "longitude",
            "position_at",
        ]
        read_only_fields = ["latitude", "longitude", "position_at"]


class AssignmentSerializer(ModelSerializer):
    team = SlugRelatedField(slug_field="call_sign", read_only=True)

    class Meta:
        model = Assignment
        fields = ["team", "assigned_at", "released_at"]


class InterventionSerializer(ModelSerializer):
    equipment = SlugRelatedField(
        slug_field="code", queryset=Equipment.objects.all(), many=True, required=False
    )
    assignments = AssignmentSerializer(many=True, read_only=True)
    required_skills = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False
    )
    overdue = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    def get_overdue(self, intervention) -> bool:
        return services.is_overdue(intervention)

    def get_allowed_transitions(self, intervention) -> list[str]:
        return services.allowed_transitions(intervention)

    class Meta:
        model = Intervention
        fields = [
            "id",
            "reference",
            "title",
            "category",
            "service",
            "priority",
            "description",
            "required_skills",
            "latitude",
            "longitude",
            "address",
            "district",
            "status",
            "reported_at",
            "qualified_at",
            "dispatched_at",
            "en_route_at",
            "on_site_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "target_at",
            "equipment",
            "assignments",
            "overdue",
            "allowed_transitions",
        ]
        # Every time is the server's: when it was reported (on creation) and each step.
        read_only_fields = [
            "reference",
            "status",
            "reported_at",
            "qualified_at",
            "dispatched_at",
            "en_route_at",
            "on_site_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "target_at",
        ]


class StepSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TeamChoiceSerializer(serializers.Serializer):
    team = SlugRelatedField(
        slug_field="call_sign",
        queryset=Team.objects.all(),
        help_text=gettext_lazy("Call sign of the team."),
    )


class FieldStepSerializer(StepSerializer):
    team = SlugRelatedField(
        slug_field="call_sign",
        queryset=Team.objects.all(),
        required=False,
        help_text=gettext_lazy(
            "Dispatchers reporting for a team by radio name it; field teams report "
            "for their own team and leave it out."
        ),
    )


class PositionSerializer(serializers.Serializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    time = DateTimeField(
        required=False,
        future=inputs.measured_time_tolerance,
        help_text=gettext_lazy("When measured (RFC 3339); default now."),
    )


class TrackedPositionSerializer(PositionSerializer):
    team = SlugRelatedField(slug_field="call_sign", queryset=Team.objects.all())


class PositionBatchSerializer(serializers.Serializer):
    positions = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=5000)

    def validate_positions(self, rows):
        """Checked by hand, in bulk: a serializer per row would cost more than storing it."""
        call_signs = {
            row.get("team")
            for row in rows
            if isinstance(row.get("team"), str) and "\x00" not in row["team"]
        }
        teams = dict(Team.objects.filter(call_sign__in=call_signs).values_list("call_sign", "pk"))
        errors, valid = {}, []
        for index, row in enumerate(rows):
            position, row_errors = parse_position(row, teams)
            if row_errors:
                errors[index] = row_errors
            else:
                valid.append(position)
        if errors:
            raise serializers.ValidationError(errors)
        return valid


def parse_position(row: dict, teams: dict[str, int]) -> tuple[dict, dict]:
    """One tracker row -> ({team_id, latitude, longitude, time}, {field: [errors]})."""
    errors: dict[str, list[str]] = {}
    call_sign = row.get("team")
    position: dict = {"team_id": teams.get(call_sign) if isinstance(call_sign, str) else None}
    if position["team_id"] is None:
        errors["team"] = [
            _("Unknown team %(call_sign)r; the call sign is expected.") % {"call_sign": call_sign}
        ]
    for name, limit in (("latitude", 90), ("longitude", 180)):
        value = row.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors[name] = [_("A number is required.")]
        elif not -limit <= value <= limit:
            errors[name] = [
                _("Must be between -%(limit)s and %(limit2)s.") % {"limit": limit, "limit2": limit}
            ]
        else:
            position[name] = float(value)
    position["time"] = None
    if row.get("time") is not None:
        try:
            position["time"] = inputs.check_window(
                inputs.parse_timestamp(row["time"]), inputs.measured_time_tolerance()
            )
        except inputs.BadValue as error:
            errors["time"] = [str(error)]
    return position, errors


class CandidateTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    call_sign = serializers.CharField()
    service = serializers.CharField()
    vehicle = serializers.CharField()
    skills = serializers.ListField(child=serializers.CharField())
    emergency_vehicle = serializers.BooleanField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    position_at = DateTimeField(allow_null=True)


class CandidateSerializer(serializers.Serializer):
    team = CandidateTeamSerializer()
    distance_m = serializers.IntegerField()
    eta_seconds = serializers.IntegerField()
    eta_minutes = serializers.IntegerField()
    stale = serializers.BooleanField()
    by_road = serializers.BooleanField(
        help_text=gettext_lazy("Timed over the road graph (else as the crow flies).")
    )
    route_m = serializers.IntegerField(allow_null=True)
    route = serializers.JSONField(
        allow_null=True, help_text=gettext_lazy("GeoJSON LineString from the team.")
    )


class CandidatesSerializer(serializers.Serializer):
    candidates = CandidateSerializer(
        many=True, help_text=gettext_lazy("Fresh positions, fastest first.")
    )
    stale = CandidateSerializer(
        many=True, help_text=gettext_lazy("Positions too old to trust, nearest first.")
    )
    assignable = serializers.BooleanField(
        help_text=gettext_lazy(
            "Whether a team may still be sent (not once resolved, closed or cancelled)."
        )
    )


class FieldAssignmentSerializer(serializers.Serializer):
    team = TeamSerializer()
    intervention = InterventionSerializer(allow_null=True)
    directions = serializers.CharField(allow_blank=True)
    road = serializers.JSONField(
        allow_null=True,
        help_text=gettext_lazy("Route by road and turn-by-turn steps (null without a graph)."),
    )
    seq = serializers.IntegerField(
        help_text=gettext_lazy("Events log number this answer is current to (replay after it).")
    )

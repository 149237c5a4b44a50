from rest_framework import serializers

from equipment.models import Equipment

from ..models import Assignment, Intervention, Team


class TeamSerializer(serializers.ModelSerializer):
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


class AssignmentSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="call_sign", read_only=True)

    class Meta:
        model = Assignment
        fields = ["team", "assigned_at", "released_at"]


class InterventionSerializer(serializers.ModelSerializer):
    equipment = serializers.SlugRelatedField(
        slug_field="code", queryset=Equipment.objects.all(), many=True, required=False
    )
    assignments = AssignmentSerializer(many=True, read_only=True)

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
        ]
        read_only_fields = [
            "reference",
            "status",
            "qualified_at",
            "dispatched_at",
            "en_route_at",
            "on_site_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "target_at",
        ]
        extra_kwargs = {"reported_at": {"required": False}}

from rest_framework import serializers

from equipment.models import Equipment

from ..models import Alert, Event


class AlertSerializer(serializers.ModelSerializer):
    equipment = serializers.SlugRelatedField(
        slug_field="code", queryset=Equipment.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "title",
            "source",
            "severity",
            "category",
            "status",
            "equipment",
            "intervention",
            "latitude",
            "longitude",
            "details",
            "raised_at",
            "updated_at",
            "cleared_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "closed_at",
        ]
        read_only_fields = [
            "status",
            "raised_at",
            "updated_at",
            "cleared_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "closed_at",
        ]


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label", read_only=True)
    correction_of = serializers.SlugRelatedField(slug_field="seq", read_only=True)

    class Meta:
        model = Event
        fields = [
            "seq",
            "time",
            "kind",
            "actor",
            "service",
            "subject_type",
            "subject_id",
            "subject_label",
            "payload",
            "correction_of",
            "hash",
        ]


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
    service = serializers.CharField(max_length=30, required=False, allow_blank=True)
    correction_of = serializers.SlugRelatedField(
        slug_field="seq",
        queryset=Event.objects.all(),
        required=False,
        allow_null=True,
        help_text="Sequence number of the entry this one corrects.",
    )

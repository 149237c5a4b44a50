from django.utils.translation import gettext_lazy
from rest_framework import serializers

from equipment.models import Equipment
from interventions.models import Intervention
from ondijon.api.fields import ModelSerializer, SlugRelatedField
from supervision.models import Alert, Event


class AlertSerializer(ModelSerializer):
    equipment = SlugRelatedField(
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
            "qualified_at",
            "resolved_at",
            "closed_at",
            "rule",
        ]
        read_only_fields = [
            "qualified_at",
            "rule",
            "status",
            "raised_at",
            "updated_at",
            "cleared_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "closed_at",
        ]
        # Raised through the API: by a person at a desk unless the caller says otherwise.
        extra_kwargs = {"source": {"default": Alert.Source.OPERATOR}}


class EventSerializer(ModelSerializer):
    actor = serializers.CharField(source="actor_label", read_only=True)
    correction_of = SlugRelatedField(slug_field="seq", read_only=True, allow_null=True)

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
    correction_of = SlugRelatedField(
        slug_field="seq",
        queryset=Event.objects.all(),
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Sequence number of the entry this one corrects."),
    )


class QualifySerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Alert.Severity.choices, required=False)
    category = serializers.CharField(max_length=50, required=False)
    intervention = serializers.PrimaryKeyRelatedField(
        queryset=Intervention.objects.all(), required=False
    )


class LifecycleNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)

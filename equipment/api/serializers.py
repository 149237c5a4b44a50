from rest_framework import serializers

from equipment.models import District, Equipment, Reading, Site
from ondijon.api.fields import DictField, ModelSerializer, SlugRelatedField


class DistrictSerializer(ModelSerializer):
    class Meta:
        model = District
        fields = ["id", "code", "name", "population", "center_latitude", "center_longitude"]


class SiteSerializer(ModelSerializer):
    district = SlugRelatedField(slug_field="code", queryset=District.objects.all())

    class Meta:
        model = Site
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "district",
            "latitude",
            "longitude",
            "address",
            "capacity",
        ]


class EquipmentSerializer(ModelSerializer):
    district = SlugRelatedField(slug_field="code", queryset=District.objects.all())
    site = SlugRelatedField(
        slug_field="code", queryset=Site.objects.all(), required=False, allow_null=True
    )
    state = DictField(required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False)

    class Meta:
        model = Equipment
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "district",
            "site",
            "latitude",
            "longitude",
            "status",
            "status_changed_at",
            "last_seen_at",
            "state",
            "tags",
        ]
        read_only_fields = ["status_changed_at", "last_seen_at"]


class ReadingSerializer(ModelSerializer):
    equipment = SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Reading
        fields = ["id", "equipment", "time", "received_at", "metrics", "message_id"]

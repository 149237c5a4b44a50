from rest_framework import serializers

from equipment.models import District, Equipment, Reading, Site


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["id", "code", "name", "population", "center_latitude", "center_longitude"]


class SiteSerializer(serializers.ModelSerializer):
    district = serializers.SlugRelatedField(slug_field="code", queryset=District.objects.all())

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


class EquipmentSerializer(serializers.ModelSerializer):
    district = serializers.SlugRelatedField(slug_field="code", queryset=District.objects.all())
    site = serializers.SlugRelatedField(
        slug_field="code", queryset=Site.objects.all(), required=False, allow_null=True
    )
    state = serializers.DictField(required=False)
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


class ReadingSerializer(serializers.ModelSerializer):
    equipment = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Reading
        fields = ["id", "equipment", "time", "received_at", "metrics", "message_id"]

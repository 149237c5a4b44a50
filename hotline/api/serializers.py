from rest_framework import serializers

from hotline.models import Article, Call, Category, Referral
from ondijon.api.fields import ModelSerializer, SlugRelatedField

PERSONAL_FIELDS = ("caller_name", "caller_phone")


class CategorySerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "shortcut", "position", "active"]


class ArticleSerializer(ModelSerializer):
    category = SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Article
        fields = [
            "id",
            "key",
            "version",
            "title",
            "body",
            "category",
            "source",
            "valid_from",
            "valid_until",
        ]


class CallSerializer(ModelSerializer):
    category = SlugRelatedField(slug_field="code", queryset=Category.objects.filter(active=True))

    class Meta:
        model = Call
        fields = [
            "id",
            "agent",
            "started_at",
            "ended_at",
            "channel",
            "category",
            "question",
            "article",
            "answer",
            "outcome",
            "caller_name",
            "caller_phone",
            "district",
            "intervention",
            "anonymised_at",
        ]
        read_only_fields = ["agent", "anonymised_at"]
        extra_kwargs = {"started_at": {"required": False}}

    def validate(self, attrs):
        started, ended = attrs.get("started_at"), attrs.get("ended_at")
        if started and ended and ended < started:
            raise serializers.ValidationError({"ended_at": "The call cannot end before it starts."})
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.has_perm("hotline.view_personal_data"):
            for name in PERSONAL_FIELDS:
                data.pop(name, None)
        return data


class ReferralSerializer(ModelSerializer):
    class Meta:
        model = Referral
        fields = [
            "id",
            "call",
            "person_name",
            "phone",
            "address",
            "district",
            "needs",
            "consent",
            "consent_at",
            "register_consent",
            "status",
            "created_at",
            "updated_at",
            "closed_at",
        ]
        read_only_fields = ["consent_at", "created_at", "updated_at", "closed_at"]

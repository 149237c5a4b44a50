from rest_framework import serializers

from hotline import personal_data
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
        # The server's clock times a call (hotline.services): a client cannot back-date one.
        read_only_fields = ["agent", "started_at", "ended_at", "anonymised_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not personal_data.can_read(request.user):
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
        # The status moves only through the `move` action (the social team's flow); consent
        # is given when the person is referred and not taken back by an edit.
        read_only_fields = ["status", "consent_at", "created_at", "updated_at", "closed_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            for name in ("consent", "register_consent"):
                fields[name].read_only = True
        return fields


class ReferralMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

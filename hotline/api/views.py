from rest_framework import mixins, viewsets

from hotline import services
from hotline.api.serializers import (
    ArticleSerializer,
    CallSerializer,
    CategorySerializer,
    ReferralSerializer,
)
from hotline.filtersets import ArticleFilterSet, CallFilterSet, ReferralFilterSet
from hotline.models import Article, Call, Category, Referral


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Category.objects.filter(active=True)
    serializer_class = CategorySerializer
    pagination_class = None


class ArticleViewSet(viewsets.ReadOnlyModelViewSet):
    """Approved answers valid now: the newest valid version of each key."""

    queryset = Article.objects.all()
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilterSet
    search_fields = ["title", "body"]

    def get_queryset(self):
        return Article.objects.current().select_related("category")


class CallViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Call.objects.select_related("category")
    serializer_class = CallSerializer
    filterset_class = CallFilterSet
    search_fields = ["question"]
    ordering_fields = ["started_at"]

    def perform_create(self, serializer):
        serializer.instance = services.log_call(
            dict(serializer.validated_data), agent=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_call(
            serializer.instance, dict(serializer.validated_data), agent=self.request.user
        )


class ReferralViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Referral.objects.all()
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilterSet
    search_fields = ["person_name"]

    def perform_create(self, serializer):
        serializer.instance = services.create_referral(
            dict(serializer.validated_data), actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_referral(
            serializer.instance, dict(serializer.validated_data), actor=self.request.user
        )

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
from ondijon.api.viewsets import ServiceCreateMixin, ServiceUpdateMixin


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
    ServiceCreateMixin,
    ServiceUpdateMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Call.objects.select_related("category")
    serializer_class = CallSerializer
    filterset_class = CallFilterSet
    search_fields = ["question"]
    ordering_fields = ["started_at"]
    create_service = services.log_call
    update_service = services.update_call


class ReferralViewSet(
    ServiceCreateMixin,
    ServiceUpdateMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Referral.objects.all()
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilterSet
    search_fields = ["person_name"]
    create_service = services.create_referral
    update_service = services.update_referral

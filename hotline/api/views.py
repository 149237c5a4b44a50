from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from hotline import personal_data, services
from hotline.api.serializers import (
    ArticleSerializer,
    CallSerializer,
    CategorySerializer,
    ReferralMoveSerializer,
    ReferralSerializer,
)
from hotline.filtersets import ArticleFilterSet, CallFilterSet, ReferralFilterSet
from hotline.models import Article, Call, Category, Referral
from ondijon.api.viewsets import ServiceCreateMixin, ServiceUpdateMixin, service_action


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


class RecordsPersonalDataReads:
    """Lists and details that show personal data write each record shown to the register
    of reads (hotline.personal_data)."""

    personal_record_type: str = ""

    def shows_personal_data(self) -> bool:
        return personal_data.can_read(self.request.user)

    def _record(self, response, records: list) -> None:
        if response.status_code == 200 and self.shows_personal_data():
            personal_data.record_reads(
                self.request.user,
                self.personal_record_type,
                [row["id"] for row in records],
                f"api {self.basename} {self.action}",
            )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        data = response.data
        self._record(response, data["results"] if isinstance(data, dict) else data)
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self._record(response, [response.data])
        return response


class CallViewSet(
    RecordsPersonalDataReads,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Calls. Whoever reads callers' identities (a hotline agent) reads and corrects the calls
    they took; the room's roles read every call, without who called."""

    queryset = Call.objects.select_related("category")
    serializer_class = CallSerializer
    filterset_class = CallFilterSet
    search_fields = ["question"]
    ordering_fields = ["started_at"]
    create_service = services.log_call
    update_service = services.update_call
    personal_record_type = personal_data.Record.CALL

    def get_queryset(self):
        calls = super().get_queryset()
        if personal_data.can_read(self.request.user):
            return calls.filter(agent=self.request.user)
        return calls


class ReferralViewSet(
    RecordsPersonalDataReads,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Referrals are personal data through and through: only who may read it reaches them.
    The social support centre works every referral; a hotline agent, those they made."""

    queryset = Referral.objects.all()
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilterSet
    search_fields = ["person_name"]
    create_service = services.create_referral
    update_service = services.update_referral
    personal_record_type = personal_data.Record.REFERRAL
    action_permissions = {"move": ["hotline.change_referral"]}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not personal_data.can_read(request.user):
            raise PermissionDenied(_("Referrals are personal data: your role does not read them."))

    def get_queryset(self):
        referrals = super().get_queryset()
        if self.request.user.has_perm("hotline.change_referral"):
            return referrals
        return referrals.filter(created_by=self.request.user)

    @extend_schema(request=ReferralMoveSerializer, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    @service_action
    def move(self, request, pk=None):
        """The social team's flow: new → contacted → supported → closed, with a note."""
        serializer = ReferralMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = services.move_referral(
            self.get_object(),
            serializer.validated_data["status"],
            serializer.validated_data["note"],
            actor=request.user,
        )
        return Response(self.get_serializer(referral).data)

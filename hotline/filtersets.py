import django_filters

from hotline.models import Article, Call, Referral
from ondijon.api.filters import DateTimeFilter, YesNoFilter


class CallFilterSet(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__code")
    started_after = DateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = DateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Call
        fields = ["category", "channel", "outcome", "district"]


class ArticleFilterSet(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__code")

    class Meta:
        model = Article
        fields = ["category", "source", "key"]


class ReferralFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Referral.Status.choices)
    consent = YesNoFilter()

    class Meta:
        model = Referral
        fields = ["status", "district", "consent"]

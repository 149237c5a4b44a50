import django_filters
from django.utils.translation import gettext_lazy

from equipment.filtersets import BoundingBoxFilterMixin
from interventions.models import Intervention, Service, Team
from ondijon.api.filters import DateTimeFilter, YesNoFilter


class TeamFilterSet(BoundingBoxFilterMixin):
    service = django_filters.MultipleChoiceFilter(choices=Service.choices)
    status = django_filters.MultipleChoiceFilter(choices=Team.Status.choices)
    emergency_vehicle = YesNoFilter()

    class Meta:
        model = Team
        fields = ["service", "status", "emergency_vehicle"]


class InterventionFilterSet(BoundingBoxFilterMixin):
    status = django_filters.MultipleChoiceFilter(choices=Intervention.Status.choices)
    service = django_filters.MultipleChoiceFilter(choices=Service.choices)
    open = YesNoFilter(
        method="filter_open", label=gettext_lazy("open (not resolved, closed or cancelled)")
    )
    reported_after = DateTimeFilter(field_name="reported_at", lookup_expr="gte")
    reported_before = DateTimeFilter(field_name="reported_at", lookup_expr="lt")
    team = django_filters.CharFilter(field_name="teams__call_sign")

    class Meta:
        model = Intervention
        fields = ["status", "service", "priority", "category", "district"]

    def filter_open(self, queryset, name, value):
        closed = [
            Intervention.Status.RESOLVED,
            Intervention.Status.CLOSED,
            Intervention.Status.CANCELLED,
        ]
        return queryset.exclude(status__in=closed) if value else queryset.filter(status__in=closed)

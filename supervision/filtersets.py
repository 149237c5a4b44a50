import django_filters
from django.utils.translation import gettext_lazy

from ondijon.api.filters import DateTimeFilter, YesNoFilter
from supervision.models import Alert, Event


class AlertFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Alert.Status.choices)
    severity_min = django_filters.NumberFilter(field_name="severity", lookup_expr="gte")
    open = YesNoFilter(method="filter_open", label=gettext_lazy("open (not resolved or closed)"))

    class Meta:
        model = Alert
        fields = ["status", "severity", "category", "source", "equipment"]

    def filter_open(self, queryset, name, value):
        done = [Alert.Status.RESOLVED, Alert.Status.CLOSED]
        return queryset.exclude(status__in=done) if value else queryset.filter(status__in=done)


class EventFilterSet(django_filters.FilterSet):
    after = django_filters.NumberFilter(
        field_name="seq", lookup_expr="gt", label=gettext_lazy("after sequence number")
    )
    kind = django_filters.CharFilter(field_name="kind", lookup_expr="startswith")
    since = DateTimeFilter(field_name="time", lookup_expr="gte")
    until = DateTimeFilter(field_name="time", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["after", "kind", "service", "subject_type", "subject_id", "actor_label"]

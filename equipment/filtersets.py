import django_filters
from django.utils.translation import gettext as _

from equipment.catalogue import CATALOGUE
from equipment.models import Command, District, Equipment, Reading, Site
from ondijon.api.filters import DateTimeFilter


class BoundingBoxFilterMixin(django_filters.FilterSet):
    """`?bbox=min_lon,min_lat,max_lon,max_lat` as maps ask for a view (GeoJSON order)."""

    bbox = django_filters.CharFilter(method="filter_bbox", label="min_lon,min_lat,max_lon,max_lat")

    def filter_bbox(self, queryset, name, value):
        from django.core.exceptions import ValidationError

        try:
            min_lon, min_lat, max_lon, max_lat = (float(part) for part in value.split(","))
        except ValueError as error:
            raise ValidationError(
                {"bbox": _("Expected four numbers: min_lon,min_lat,max_lon,max_lat.")}
            ) from error
        return queryset.filter(
            longitude__gte=min_lon,
            longitude__lte=max_lon,
            latitude__gte=min_lat,
            latitude__lte=max_lat,
        )


class DistrictFilterSet(django_filters.FilterSet):
    class Meta:
        model = District
        fields = ["code"]


class SiteFilterSet(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="district__code")

    class Meta:
        model = Site
        fields = ["kind", "district"]


class EquipmentFilterSet(BoundingBoxFilterMixin):
    kind = django_filters.MultipleChoiceFilter(choices=Equipment.Kind.choices)
    status = django_filters.MultipleChoiceFilter(choices=Equipment.Status.choices)
    district = django_filters.CharFilter(field_name="district__code")
    site = django_filters.CharFilter(field_name="site__code")

    class Meta:
        model = Equipment
        fields = ["kind", "status", "district", "site"]


class ReadingFilterSet(django_filters.FilterSet):
    equipment = django_filters.CharFilter(field_name="equipment__code")
    since = DateTimeFilter(field_name="time", lookup_expr="gte")
    until = DateTimeFilter(field_name="time", lookup_expr="lt")

    class Meta:
        model = Reading
        fields = ["equipment", "since", "until"]


def command_actions() -> list[tuple[str, str]]:
    """Every action of the catalogue, once, for `?action=`."""
    names = sorted({name for actions in CATALOGUE.values() for name in actions})
    return [(name, name) for name in names]


class CommandFilterSet(django_filters.FilterSet):
    equipment = django_filters.CharFilter(field_name="equipment__code")
    equipment_kind = django_filters.MultipleChoiceFilter(
        field_name="equipment__kind", choices=Equipment.Kind.choices
    )
    action = django_filters.MultipleChoiceFilter(choices=command_actions())
    status = django_filters.MultipleChoiceFilter(choices=Command.Status.choices)
    origin = django_filters.CharFilter()
    requested_after = DateTimeFilter(field_name="requested_at", lookup_expr="gte")
    requested_before = DateTimeFilter(field_name="requested_at", lookup_expr="lt")

    class Meta:
        model = Command
        fields = [
            "equipment",
            "equipment_kind",
            "action",
            "status",
            "origin",
            "requested_after",
            "requested_before",
        ]

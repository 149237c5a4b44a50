"""The city's streets and addresses as imported, to look up and check; an import changes
them (the import records say which and when), never a hand edit here."""

from django.contrib import admin

from geography.models import Address, Import, Street, address_label
from ondijon.admin import MAP_POINTS_LIMIT, MapAdminMixin, ReadOnlyAdmin


@admin.register(Street)
class StreetAdmin(ReadOnlyAdmin):
    list_display = ["name", "road_class", "oneway", "source", "source_id"]
    list_filter = ["source", "road_class", "oneway"]
    search_fields = ["name", "=source_id"]
    # A metropolis has tens of thousands of ways: counting them all at each page is wasted.
    show_full_result_count = False
    exclude = ["nodes"]


@admin.register(Address)
class AddressAdmin(MapAdminMixin, ReadOnlyAdmin):
    list_display = ["__str__", "nom_voie", "code_postal", "nom_commune", "ban_id"]
    list_filter = ["nom_commune"]
    search_fields = ["nom_voie", "nom_commune", "code_postal", "=ban_id"]
    show_full_result_count = False
    # Its page is read-only: the map of the list shows where the addresses are.
    change_form_template = None

    def map_points(self, queryset) -> list[dict]:
        rows = queryset.values_list(
            "pk", "numero", "rep", "nom_voie", "code_postal", "nom_commune", "latitude", "longitude"
        )[:MAP_POINTS_LIMIT]
        return [
            {"id": pk, "label": address_label(*label), "lat": lat, "lon": lon}
            for pk, *label, lat, lon in rows
        ]


@admin.register(Import)
class ImportAdmin(ReadOnlyAdmin):
    list_display = ["finished_at", "kind", "source", "created", "updated"]
    list_filter = ["kind"]
    date_hierarchy = "finished_at"

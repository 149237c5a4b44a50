"""A Leaflet map in the admin, without GeoDjango: see the listed objects, place one by click.

Works on plain `latitude`/`longitude` fields, so no GDAL is needed (see STACK-NOTES).
"""

from django.contrib import admin

MAP_POINTS_LIMIT = 3000


class MapAdminMixin:
    change_form_template = "admin/map_change_form.html"
    change_list_template = "admin/map_change_list.html"
    map_label_field = "pk"

    def map_points(self, queryset) -> list[dict]:
        rows = queryset.exclude(latitude=None).values_list(
            "pk", self.map_label_field, "latitude", "longitude"
        )[:MAP_POINTS_LIMIT]
        return [
            {"id": pk, "label": str(label), "lat": lat, "lon": lon} for pk, label, lat, lon in rows
        ]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context["map_points"] = self.map_points(context["cl"].queryset)
            context["map_points_limit"] = MAP_POINTS_LIMIT
        return response


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are written by the platform only (events, readings)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin

from interventions import services
from interventions.models import Assignment, Intervention, Officer, Team
from ondijon.admin import MapAdminMixin, ServiceAdmin


class OfficerInline(admin.TabularInline):
    model = Officer
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(MapAdminMixin, ServiceAdmin):
    """Officers are a team's crew, not shown on any screen: their inline is saved as usual."""

    list_display = ["call_sign", "service", "status", "vehicle", "emergency_vehicle", "position_at"]
    list_filter = ["service", "status", "emergency_vehicle"]
    search_fields = ["call_sign", "vehicle"]
    inlines = [OfficerInline]
    map_label_field = "call_sign"
    create_service = services.create_team
    update_service = services.update_team
    delete_service = services.delete_team


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    list_display = ["badge_number", "user", "service", "team"]
    list_filter = ["service", "team"]
    search_fields = ["badge_number", "user__username", "user__last_name"]
    raw_id_fields = ["user"]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ["team", "assigned_at", "assigned_by", "released_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # teams are sent through dispatch, which checks availability

    def has_change_permission(self, request, obj=None):
        return False  # and called back through dispatch too


@admin.register(Intervention)
class InterventionAdmin(MapAdminMixin, ServiceAdmin):
    list_display = ["reference", "title", "service", "priority", "status", "reported_at"]
    list_filter = ["status", "priority", "service", "district"]
    search_fields = ["reference", "title", "address"]
    date_hierarchy = "reported_at"
    raw_id_fields = ["equipment"]
    inlines = [AssignmentInline]
    readonly_fields = [
        "reference",
        "status",
        "reported_at",
        "qualified_at",
        "dispatched_at",
        "en_route_at",
        "on_site_at",
        "resolved_at",
        "closed_at",
        "cancelled_at",
        "target_at",
    ]
    map_label_field = "reference"
    create_service = services.create_intervention
    update_service = services.update_intervention
    delete_service = services.delete_intervention

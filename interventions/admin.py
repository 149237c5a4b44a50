from django.contrib import admin

from interventions import services
from interventions.models import Assignment, Intervention, Officer, Team
from ondijon.admin import MapAdminMixin


class OfficerInline(admin.TabularInline):
    model = Officer
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(MapAdminMixin, admin.ModelAdmin):
    list_display = ["call_sign", "service", "status", "vehicle", "emergency_vehicle", "position_at"]
    list_filter = ["service", "status", "emergency_vehicle"]
    search_fields = ["call_sign", "vehicle"]
    inlines = [OfficerInline]
    map_label_field = "call_sign"

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            services.update_team(Team.objects.get(pk=obj.pk), data, actor=request.user)
        else:
            obj.pk = services.create_team(dict(form.cleaned_data), actor=request.user).pk


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


@admin.register(Intervention)
class InterventionAdmin(MapAdminMixin, admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            services.update_intervention(
                Intervention.objects.get(pk=obj.pk), data, actor=request.user
            )
        else:
            obj.pk = services.create_intervention(dict(form.cleaned_data), actor=request.user).pk

    def save_related(self, request, form, formsets, change):
        # Equipment links were applied by the service; only inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

from django.contrib import admin

from ondijon.admin_map import ReadOnlyAdmin

from .models import Alert, Event


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The events log is append-only: administrators read it, nobody edits it."""

    list_display = ["seq", "time", "kind", "actor_label", "service", "subject_label"]
    list_filter = ["service", "subject_type"]
    search_fields = ["kind", "subject_label", "actor_label"]
    date_hierarchy = "time"
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("supervision.view_event")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["title", "severity", "category", "status", "raised_at", "equipment"]
    list_filter = ["status", "severity", "category", "source"]
    search_fields = ["title", "category"]
    raw_id_fields = ["equipment", "intervention"]
    date_hierarchy = "raised_at"
    list_select_related = ["equipment"]

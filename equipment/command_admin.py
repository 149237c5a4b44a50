"""Admin list of commands to equipment: read-only, the API and playbooks create them."""

from django.contrib import admin

from ondijon.admin_map import ReadOnlyAdmin

from .models import Command


@admin.register(Command)
class CommandAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "equipment", "action", "status", "attempts", "origin"]
    list_filter = ["status", "action", "equipment__kind"]
    search_fields = ["equipment__code", "reason", "origin"]
    list_select_related = ["equipment"]
    date_hierarchy = "requested_at"
    show_full_result_count = False

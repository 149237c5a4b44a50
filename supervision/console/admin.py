"""Admin of the device console's planned commands (through their services) and selections
(read-only: they are sent from the console)."""

from django.contrib import admin

from ondijon.admin import ReadOnlyAdmin, ServiceAdmin
from supervision.console import schedules
from supervision.console import selection as selections
from supervision.models import CommandSchedule, CommandSelection


@admin.register(CommandSchedule)
class CommandScheduleAdmin(ServiceAdmin):
    list_display = ["name", "action", "weekdays", "time", "run_at", "active", "next_run_at"]
    list_filter = ["active", "action"]
    fields = [
        "name",
        "criteria",
        ("action", "params"),
        "reason",
        ("weekdays", "time"),
        "run_at",
        "active",
    ]
    create_service = schedules.create_schedule
    update_service = schedules.update_schedule
    delete_service = schedules.delete_schedule


@admin.register(CommandSelection)
class CommandSelectionAdmin(ReadOnlyAdmin):
    list_display = ["action", "kind", "status", "created_at", "created_by", "applied"]
    list_filter = ["status", "kind"]

    @admin.display(description="acknowledged")
    def applied(self, selection: CommandSelection) -> str:
        report = selections.progress(selection)["apply"]
        return f"{report['acknowledged']} of {report['total']} ({report['failed']} failed)"

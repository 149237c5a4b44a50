"""Admin of crisis modes: administrators define the playbooks; activations are read-only."""

from django.contrib import admin
from django.utils.translation import gettext as _

from ondijon.admin import ReadOnlyAdmin, ServiceAdmin
from supervision.crisis import services as crisis
from supervision.models import (
    CapMessage,
    CrisisMode,
    ModeActivation,
    PlaybookAction,
    PriorityRequest,
)


class PlaybookActionInline(admin.StackedInline):
    model = PlaybookAction
    extra = 0
    ordering = ["position"]
    autocomplete_fields = []
    fields = [
        "position",
        "type",
        ("equipment_kind", "district", "tag"),
        ("command", "params", "deadline_s"),
        "text",
    ]


@admin.register(CrisisMode)
class CrisisModeAdmin(ServiceAdmin):
    """A mode and its playbook are saved together, as one logged change."""

    list_display = ["name", "code", "position", "steps"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [PlaybookActionInline]
    service_inlines = ("actions",)
    create_service = crisis.create_mode
    update_service = crisis.update_mode
    delete_service = crisis.delete_mode

    @admin.display(description="steps")
    def steps(self, mode: CrisisMode) -> int:
        return mode.actions.count()


@admin.register(ModeActivation)
class ModeActivationAdmin(ReadOnlyAdmin):
    list_display = ["mode", "status", "activated_at", "activated_by", "deactivated_at", "applied"]
    list_filter = ["status", "mode"]
    readonly_fields = ["applied", "restored"]

    @admin.display(description="acknowledged")
    def applied(self, activation: ModeActivation) -> str:
        progress = crisis.progress(activation)
        return f"{progress['acknowledged']} of {progress['total']} ({progress['failed']} failed)"

    @admin.display(description="restored")
    def restored(self, activation: ModeActivation) -> str:
        report = crisis.restore_report(activation)
        missing = ", ".join(f["equipment"] for f in report["failures"])
        return _("%(acknowledged)s of %(total)s; not restored: %(value)s") % {
            "acknowledged": report["acknowledged"],
            "total": report["total"],
            "value": missing or "none",
        }


@admin.register(PriorityRequest)
class PriorityRequestAdmin(ReadOnlyAdmin):
    list_display = ["junction", "requester_type", "requester_code", "requested_at", "released_at"]
    list_filter = ["requester_type"]


@admin.register(CapMessage)
class CapMessageAdmin(ReadOnlyAdmin):
    """Public alerts as they were sent (CAP 1.2): never edited, an amendment is a new one."""

    list_display = ["identifier", "msg_type", "status", "sent", "headline"]
    list_filter = ["msg_type", "status"]
    search_fields = ["identifier", "headline"]

from django.contrib import admin

import hotline.open311.admin  # noqa: F401
from hotline import personal_data, services
from hotline.models import (
    Article,
    Call,
    CallbackCampaign,
    CallbackRequest,
    Category,
    HotlineMode,
    Referral,
    ReferralNote,
    VulnerablePerson,
)
from ondijon.admin import ServiceAdmin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "shortcut", "position", "active", "public", "service"]
    list_editable = ["shortcut", "position", "active"]
    list_filter = ["public", "active"]
    search_fields = ["name", "code"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Saving a change publishes a new version: calls keep the version they were given."""

    list_display = ["title", "key", "version", "category", "source", "valid_from", "valid_until"]
    list_filter = ["source", "category"]
    search_fields = ["title", "key", "body"]
    readonly_fields = ["version"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.version = (
                Article.objects.filter(key=obj.key)
                .order_by("-version")
                .values_list("version", flat=True)
                .first()
                or 0
            ) + 1
            super().save_model(request, obj, form, change)
            return
        original = Article.objects.get(pk=obj.pk)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        new = services.publish_new_version(original, changes, changes.get("valid_from"))
        # The admin redirects to the saved object: make that the new version.
        obj.pk, obj.version = new.pk, new.version


class PersonalDataAdmin:
    """An admin of records holding personal data: each record opened or listed is written to
    the register of reads."""

    personal_record_type = ""
    list_shows_personal_data = True

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and self.shows_personal_data(request):
            personal_data.record_reads(
                request.user, self.personal_record_type, [object_id], "admin change page"
            )
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        shown = self.list_shows_personal_data and self.shows_personal_data(request)
        if changelist is not None and shown:
            personal_data.record_reads(
                request.user,
                self.personal_record_type,
                [row.pk for row in changelist.result_list],
                "admin list",
            )
        return response


class PersonalRecordAdmin(PersonalDataAdmin):
    """Records that are personal data through and through (a referred person, the register):
    closed to whoever does not hold the personal data permission explicitly."""

    def shows_personal_data(self, request) -> bool:
        return personal_data.can_read(request.user)

    def has_module_permission(self, request) -> bool:
        return personal_data.can_read(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return personal_data.can_read(request.user) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return personal_data.can_read(request.user) and allowed

    def has_add_permission(self, request) -> bool:
        return personal_data.can_read(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return personal_data.can_read(request.user) and allowed


@admin.register(Call)
class CallAdmin(PersonalDataAdmin, ServiceAdmin):
    """A call logged here counts on the wall like one logged at the desk; calls are kept (the
    retention job anonymises them), never deleted by hand."""

    create_service = services.log_call
    update_service = services.update_call
    list_display = ["started_at", "category", "channel", "outcome", "agent"]
    list_filter = ["category", "channel", "outcome"]
    search_fields = ["question"]
    date_hierarchy = "started_at"
    raw_id_fields = ["intervention", "article"]
    list_select_related = ["category", "agent"]
    personal_record_type = personal_data.Record.CALL
    list_shows_personal_data = False  # the list shows no caller's identity

    def shows_personal_data(self, request) -> bool:
        return personal_data.can_read(request.user)

    def get_exclude(self, request, obj=None):
        # Without the personal data permission the call is shown without who called.
        excluded = list(super().get_exclude(request, obj) or [])
        if not self.shows_personal_data(request):
            excluded += ["caller_name", "caller_phone"]
        return excluded


class ReferralNoteInline(admin.TabularInline):
    model = ReferralNote
    extra = 0
    raw_id_fields = ["author"]


@admin.register(Referral)
class ReferralAdmin(PersonalRecordAdmin, admin.ModelAdmin):
    list_display = ["person_name", "status", "district", "consent", "created_at"]
    list_filter = ["status", "consent", "district"]
    search_fields = ["person_name"]
    raw_id_fields = ["call"]
    inlines = [ReferralNoteInline]
    personal_record_type = personal_data.Record.REFERRAL


@admin.register(VulnerablePerson)
class VulnerablePersonAdmin(PersonalRecordAdmin, admin.ModelAdmin):
    list_display = ["name", "phone", "district", "consent_at", "left_at"]
    list_filter = ["district"]
    search_fields = ["name"]
    raw_id_fields = ["referral"]
    personal_record_type = personal_data.Record.VULNERABLE_PERSON


@admin.register(CallbackCampaign)
class CallbackCampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "crisis", "started_at", "closed_at"]


@admin.register(CallbackRequest)
class CallbackRequestAdmin(admin.ModelAdmin):
    list_display = ["call", "due_at", "done_at"]
    raw_id_fields = ["call"]


@admin.register(HotlineMode)
class HotlineModeAdmin(admin.ModelAdmin):
    list_display = ["round_the_clock", "changed_at", "changed_by"]

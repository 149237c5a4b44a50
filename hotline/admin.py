from django.contrib import admin

from hotline import services
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
    list_display = ["name", "code", "shortcut", "position", "active"]
    list_editable = ["shortcut", "position", "active"]
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


@admin.register(Call)
class CallAdmin(ServiceAdmin):
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


class ReferralNoteInline(admin.TabularInline):
    model = ReferralNote
    extra = 0
    raw_id_fields = ["author"]


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ["person_name", "status", "district", "consent", "created_at"]
    list_filter = ["status", "consent", "district"]
    search_fields = ["person_name"]
    raw_id_fields = ["call"]
    inlines = [ReferralNoteInline]


@admin.register(VulnerablePerson)
class VulnerablePersonAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "district", "consent_at", "left_at"]
    list_filter = ["district"]
    search_fields = ["name"]
    raw_id_fields = ["referral"]


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

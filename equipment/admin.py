from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from equipment import cameras, services, tokens
from equipment.models import Camera, Command, DeviceToken, District, Equipment, Reading, Site
from ondijon.admin import MapAdminMixin, ReadOnlyAdmin, ServiceAdmin


@admin.register(District)
class DistrictAdmin(ServiceAdmin):
    list_display = ["name", "code", "population"]
    search_fields = ["name", "code"]
    create_service = services.create_district
    update_service = services.update_district
    delete_service = services.delete_district


@admin.register(Site)
class SiteAdmin(MapAdminMixin, ServiceAdmin):
    list_display = ["name", "code", "kind", "district", "capacity"]
    list_filter = ["kind", "district"]
    search_fields = ["name", "code", "address"]
    map_label_field = "name"
    create_service = services.create_site
    update_service = services.update_site
    delete_service = services.delete_site


@admin.register(Equipment)
class EquipmentAdmin(MapAdminMixin, ServiceAdmin):
    list_display = ["code", "kind", "district", "status", "last_seen_at"]
    list_filter = ["kind", "status", "district"]
    search_fields = ["code", "name"]
    list_select_related = ["district"]
    raw_id_fields = ["parent", "site"]
    readonly_fields = [
        "status_changed_at",
        "last_seen_at",
        "state_time",
        "created_at",
        "updated_at",
    ]
    map_label_field = "code"
    create_service = services.create_equipment
    update_service = services.update_equipment
    delete_service = services.delete_equipment


class CameraForm(forms.ModelForm):
    """A camera's login is typed here, stored encrypted by the service, and never shown back:
    left empty, the stored one stays."""

    username = forms.CharField(
        label=gettext_lazy("username"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("Left empty, the stored login stays."),
    )
    password = forms.CharField(
        label=gettext_lazy("password"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    forget_credentials = forms.BooleanField(
        label=gettext_lazy("Forget the stored login"), required=False
    )

    class Meta:
        model = Camera
        fields = [
            "equipment",
            "simulated",
            "main_stream_url",
            "sub_stream_url",
            "transport",
            "onvif_url",
            "ptz",
            "presets",
            "direction",
            "field_angle",
            "range_m",
        ]


@admin.register(Camera)
class CameraAdmin(ServiceAdmin):
    form = CameraForm
    list_display = ["equipment", "ptz", "simulated", "has_credentials"]
    list_filter = ["ptz", "simulated"]
    search_fields = ["equipment__code", "equipment__name"]
    list_select_related = ["equipment"]
    raw_id_fields = ["equipment"]
    fieldsets = [
        (None, {"fields": ["equipment", "simulated"]}),
        (
            gettext_lazy("Streams"),
            {"fields": ["main_stream_url", "sub_stream_url", "transport", "onvif_url"]},
        ),
        (
            gettext_lazy("Login to the camera"),
            {"fields": ["has_credentials", "username", "password", "forget_credentials"]},
        ),
        (gettext_lazy("Pan, tilt and zoom"), {"fields": ["ptz", "presets"]}),
        (gettext_lazy("Field of view"), {"fields": ["direction", "field_angle", "range_m"]}),
    ]
    readonly_fields = ["has_credentials"]
    create_service = cameras.create_camera
    update_service = cameras.update_camera
    delete_service = cameras.delete_camera

    @admin.display(boolean=True, description=gettext_lazy("login stored"))
    def has_credentials(self, obj: Camera) -> bool:
        return obj.has_credentials


@admin.register(Reading)
class ReadingAdmin(ReadOnlyAdmin):
    list_display = ["equipment", "time", "received_at", "message_id"]
    list_filter = ["equipment__kind"]
    search_fields = ["equipment__code", "message_id"]
    list_select_related = ["equipment"]
    date_hierarchy = "time"
    show_full_result_count = False


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    """Issue a token (its key is shown once, then only its hash is kept), list, revoke."""

    list_display = [
        "name",
        "key_prefix",
        "all_equipment",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["all_equipment", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "key_prefix", "equipment__code"]
    raw_id_fields = ["equipment"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = tokens.issue_token(obj.name, all_equipment=obj.all_equipment)
        obj.pk, obj.key_prefix, obj.key_hash = token.pk, token.key_prefix, token.key_hash
        # `obj` stands for the saved token from now on: the admin then saves its devices.
        obj._state.adding, obj._state.db = False, token._state.db
        messages.warning(
            request, f"Key of {token.name}: {key} (copy it now, it will not be shown again)."
        )

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = tokens.revoke_tokens(queryset)
        messages.success(request, f"{count} token(s) revoked.")


# Commands are read-only here: the API, the console and playbooks request them.
@admin.register(Command)
class CommandAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "equipment", "action", "status", "attempts", "origin"]
    list_filter = ["status", "action", "equipment__kind"]
    search_fields = ["equipment__code", "reason", "origin"]
    list_select_related = ["equipment"]
    date_hierarchy = "requested_at"
    show_full_result_count = False

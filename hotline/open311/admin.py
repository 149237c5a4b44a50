"""Issuing keys to citizens' apps, and the requests they posted (read only: a request is a
call with its intervention, changed there)."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _

from hotline.open311 import services
from hotline.open311.models import Open311Key, Open311Request
from ondijon.admin import ReadOnlyAdmin


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    """A new key is shown once, on saving; only its hash is kept."""

    list_display = ["name", "prefix", "active", "created_at", "created_by"]
    list_filter = ["active"]
    fields = ["name", "active", "prefix", "created_at", "created_by"]
    readonly_fields = ["prefix", "created_at", "created_by"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # withdraw a key (inactive): the requests it posted still name it

    def save_model(self, request, obj, form, change) -> None:
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            saved = services.update_key(Open311Key.objects.get(pk=obj.pk), changes, request.user)
        else:
            saved, raw = services.issue_key(form.cleaned_data["name"], request.user)
            self.message_user(
                request,
                _("The key of %(name)s, shown only now: %(key)s")
                % {"name": saved.name, "key": raw},
                messages.WARNING,
            )
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db
        obj.prefix, obj.key_hash, obj.created_at = saved.prefix, saved.key_hash, saved.created_at


@admin.register(Open311Request)
class Open311RequestAdmin(ReadOnlyAdmin):
    list_display = ["token", "requested_at", "call", "key", "media_url"]
    list_select_related = ["call__category", "key"]
    raw_id_fields = ["call"]

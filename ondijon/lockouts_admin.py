"""The admin's list of login failures and lockouts (django-axes' attempts), read-only, with
one action: unlock, through `ondijon.lockouts.unlock`."""

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ondijon import lockouts
from ondijon.admin import ReadOnlyAdmin, service_admin_action


@admin.register(AccessAttempt)
class LockoutAdmin(ReadOnlyAdmin):
    list_display = ("username", "ip_address", "failures_since_start", "attempt_time")
    search_fields = ("username", "ip_address")
    date_hierarchy = "attempt_time"
    fields = ("username", "ip_address", "user_agent", "failures_since_start", "attempt_time")
    actions = ["unlock"]

    @service_admin_action
    @admin.action(
        description=_("Unlock the selected accounts and addresses"), permissions=["unlock"]
    )
    def unlock(self, request, queryset):
        count = lockouts.unlock(queryset, request.user)
        self.message_user(
            request,
            ngettext("%(count)d lockout lifted.", "%(count)d lockouts lifted.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def has_unlock_permission(self, request) -> bool:
        return request.user.has_perm("axes.delete_accessattempt")

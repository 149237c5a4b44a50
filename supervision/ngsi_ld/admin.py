"""Partners' NGSI-LD subscriptions, for the administrators to see who is told of what and
whether their deliveries fail (written by the partners through the API only)."""

from django.contrib import admin

from ondijon.admin import ReadOnlyAdmin
from supervision.models import NgsiSubscription


@admin.register(NgsiSubscription)
class NgsiSubscriptionAdmin(ReadOnlyAdmin):
    list_display = [
        "subscription_id",
        "name",
        "endpoint",
        "active",
        "times_sent",
        "failures",
        "last_success",
        "last_failure",
    ]
    list_filter = ["active"]
    search_fields = ["subscription_id", "name", "endpoint"]

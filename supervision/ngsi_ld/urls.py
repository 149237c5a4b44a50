"""NGSI-LD paths (mounted at /ngsi-ld/ by ondijon/urls.py)."""

from django.urls import path, re_path

from supervision.ngsi_ld import views

urlpatterns = [
    path("context.jsonld", views.Context.as_view(), name="ngsi-ld-context"),
    re_path(r"^v1/entities/?$", views.EntityList.as_view(), name="ngsi-ld-entities"),
    path("v1/entities/<path:entity_id>", views.EntityDetail.as_view(), name="ngsi-ld-entity"),
    re_path(
        r"^v1/temporal/entities/?$",
        views.TemporalEntityList.as_view(),
        name="ngsi-ld-temporal-entities",
    ),
    re_path(r"^v1/types/?$", views.TypeList.as_view(), name="ngsi-ld-types"),
    re_path(
        r"^v1/subscriptions/?$", views.SubscriptionList.as_view(), name="ngsi-ld-subscriptions"
    ),
    path(
        "v1/subscriptions/<path:subscription_id>",
        views.SubscriptionDetail.as_view(),
        name="ngsi-ld-subscription",
    ),
]

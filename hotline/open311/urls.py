"""GeoReport v2's paths, each in .xml and .json (mounted at /open311/v2/ by ondijon/urls.py)."""

from django.urls import re_path

from hotline.open311 import views

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    re_path(rf"^services{FMT}", views.ServiceList.as_view(), name="open311-services"),
    re_path(
        rf"^services/(?P<code>[-\w]+){FMT}",
        views.ServiceDefinition.as_view(),
        name="open311-service",
    ),
    re_path(rf"^requests{FMT}", views.RequestList.as_view(), name="open311-requests"),
    re_path(
        rf"^requests/(?P<service_request_id>[-\w]+){FMT}",
        views.RequestDetail.as_view(),
        name="open311-request",
    ),
    re_path(rf"^tokens/(?P<token>\w+){FMT}", views.TokenDetail.as_view(), name="open311-token"),
]

from django.urls import path

from supervision.crisis.cap_views import CapAlertView, CapFeedView

urlpatterns = [
    path("alerts/<str:identifier>.xml", CapAlertView.as_view(), name="cap-alert"),
    path("feed.atom", CapFeedView.as_view(), name="cap-feed"),
]

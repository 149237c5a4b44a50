from django.urls import path

from supervision.platform import views

urlpatterns = [
    path("platform/", views.platform_page, name="platform"),
    path("platform/health/", views.platform_health, name="platform-health"),
]

from django.urls import path

from supervision.log import views as log_views

urlpatterns = [
    path("log/", log_views.log_page, name="events-log"),
    path("log/export.csv", log_views.log_export, name="events-log-export"),
    path("log/at/", log_views.log_at, name="events-log-at"),
]

from django.urls import path

from supervision.console import views

urlpatterns = [
    path("console/", views.console_home, name="console"),
    path("console/search.json", views.search, name="console-search"),
    path("console/devices/<str:code>/", views.device, name="console-device"),
    path(
        "console/devices/<str:code>/commands.json",
        views.device_commands,
        name="console-device-commands",
    ),
]

from django.urls import path

from supervision.console import views

urlpatterns = [
    path("console/", views.console_home, name="console"),
    path("console/search.json", views.search, name="console-search"),
    path("console/map/seq.json", views.map_seq, name="console-map-seq"),
    path("console/devices/<str:code>/", views.device, name="console-device"),
    path(
        "console/devices/<str:code>/status.json",
        views.device_status,
        name="console-device-status",
    ),
    path(
        "console/devices/<str:code>/commands.json",
        views.device_commands,
        name="console-device-commands",
    ),
    path("console/selection/", views.selection_page, name="console-selection"),
    path(
        "console/selection/preview.json", views.selection_preview, name="console-selection-preview"
    ),
    path("console/selection/send.json", views.selection_send, name="console-selection-send"),
    path("console/schedules.json", views.schedule_list, name="console-schedules"),
    path("console/schedules/<int:pk>.json", views.schedule_detail, name="console-schedule"),
    path(
        "console/selections/<int:pk>/progress.json",
        views.selection_progress,
        name="console-selection-progress",
    ),
    path(
        "console/selections/<int:pk>/rollback.json",
        views.selection_rollback,
        name="console-selection-rollback",
    ),
]

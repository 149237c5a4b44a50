from django.urls import path

from supervision.wall import views as wall_views

urlpatterns = [
    path("", wall_views.wall_index, name="wall-index"),
    path("<slug:screen>/", wall_views.wall_screen, name="wall-screen"),
    path("<slug:screen>/snapshot/", wall_views.wall_snapshot, name="wall-snapshot"),
    path("<slug:screen>/events/", wall_views.wall_events, name="wall-events"),
    path("<slug:screen>/video/", wall_views.wall_video, name="wall-video"),
]

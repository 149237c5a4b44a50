from django.urls import path

from supervision.live.consumers import (
    AlertDeskConsumer,
    ConsoleConsumer,
    ConsoleMapConsumer,
    DispatchConsumer,
    FieldConsumer,
    WallConsumer,
)

websocket_urlpatterns: list = [
    path("ws/wall/<slug:screen>/", WallConsumer.as_asgi()),
    path("ws/dispatch/", DispatchConsumer.as_asgi()),
    path("ws/field/", FieldConsumer.as_asgi()),
    path("ws/alerts/", AlertDeskConsumer.as_asgi()),
    path("ws/console/", ConsoleConsumer.as_asgi()),
    path("ws/console/map/", ConsoleMapConsumer.as_asgi()),
]

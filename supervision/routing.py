from django.urls import path

from .consumers import AlertDeskConsumer, WallConsumer

websocket_urlpatterns: list = [
    path("ws/wall/<slug:screen>/", WallConsumer.as_asgi()),
    path("ws/alerts/", AlertDeskConsumer.as_asgi()),
]

from django.urls import path

from .consumers import WallConsumer

websocket_urlpatterns: list = [
    path("ws/wall/<slug:screen>/", WallConsumer.as_asgi()),
]

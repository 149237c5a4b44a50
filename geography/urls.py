from django.urls import path

from geography import views

urlpatterns = [
    path(
        "map/streets/<int:zoom>/<int:x>/<int:y>.json",
        views.street_tile,
        name="street-tile",
    ),
    path("map/tiles/<int:zoom>/<int:x>/<int:y>", views.file_tile, name="file-tile"),
]

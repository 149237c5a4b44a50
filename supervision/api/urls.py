from . import views

routes = [
    ("alerts", views.AlertViewSet),
    ("events", views.EventViewSet),
]

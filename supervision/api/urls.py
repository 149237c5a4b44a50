from supervision.api import crisis, views

routes = [
    ("alerts", views.AlertViewSet),
    ("events", views.EventViewSet),
    ("crisis-modes", crisis.CrisisModeViewSet),
    ("crisis-activations", crisis.ModeActivationViewSet),
]

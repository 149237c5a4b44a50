from interventions.api import views

routes = [
    ("teams", views.TeamViewSet),
    ("interventions", views.InterventionViewSet),
]

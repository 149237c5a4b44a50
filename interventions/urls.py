from django.urls import path

from interventions import views

urlpatterns = [
    path("dispatch/", views.dispatch_desk, name="dispatch-desk"),
    path("dispatch/state/", views.dispatch_state, name="dispatch-state"),
    path("field/", views.field_view, name="field-view"),
]

from django.urls import path

from geography.api import views

urlpatterns = [
    path("geocode/", views.GeocodeView.as_view(), name="api-geocode"),
    path("reverse/", views.ReverseView.as_view(), name="api-reverse"),
]

from django.urls import path

from supervision.video import views

urlpatterns = [
    path("cameras/", views.camera_list, name="video-cameras"),
    path("offer/", views.offer, name="video-offer"),
    path("close/", views.close, name="video-close"),
    path("mjpeg/<int:camera>/", views.mjpeg, name="video-mjpeg"),
    path("ptz/", views.steer, name="video-ptz"),
    path("push/", views.push, name="video-push"),
    path("snapshots/<int:alert>.jpg", views.alert_snapshot, name="video-alert-snapshot"),
]

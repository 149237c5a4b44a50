"""`{% push_camera_form origin camera %}`: the form that puts a camera on a wall tile, for the
alert desk, the dispatch desk and the map's device page (supervision/video/pushes.py)."""

from django import template
from django.urls import reverse

from equipment.models import Camera
from ondijon.kiosk import is_kiosk
from supervision.video.pushes import video_screens

register = template.Library()


@register.inclusion_tag("supervision/_push_camera.html", takes_context=True)
def push_camera_form(context, origin: str, camera_code: str = "") -> dict:
    user = context["request"].user
    if not user.has_perm("equipment.move_camera") or is_kiosk(user):
        return {"shown": False}
    screens = video_screens()
    return {
        "shown": bool(screens),
        "origin": origin,
        "selected": camera_code,
        "cameras": Camera.objects.select_related("equipment").order_by("equipment__code"),
        "screens": screens,
        "tiles": range(1, max((s.video_layout for s in screens), default=1) + 1),
        "url": reverse("video-push"),
    }

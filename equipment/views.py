from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from equipment.models import Equipment


def history(request: HttpRequest, code: str) -> HttpResponse:
    """A device's recent telemetry as charts (drawn by static/equipment/history.js)."""
    if not request.user.has_perms(["equipment.view_equipment", "equipment.view_reading"]):
        raise PermissionDenied
    equipment = get_object_or_404(Equipment.objects.select_related("district"), code=code)
    return render(request, "equipment/history.html", {"equipment": equipment})

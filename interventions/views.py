"""Pages: the dispatcher's desk and the field crew's phone. Both drive the REST API and stay
live over the events WebSocket (supervision/live/consumers.py)."""

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from interventions import services
from interventions.models import Intervention, Service


@ensure_csrf_cookie
@permission_required("interventions.dispatch_intervention", raise_exception=True)
def dispatch_desk(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "interventions/dispatch.html",
        {"services": Service.choices, "priorities": Intervention.Priority.choices},
    )


@never_cache
@permission_required("interventions.dispatch_intervention", raise_exception=True)
def dispatch_state(request: HttpRequest) -> JsonResponse:
    """The desk's starting state; it then follows the dispatch stream (`/ws/dispatch/`)."""
    return JsonResponse(services.desk_state())


@ensure_csrf_cookie
@permission_required("interventions.report_progress", raise_exception=True)
def field_view(request: HttpRequest) -> HttpResponse:
    officer = getattr(request.user, "officer", None)
    if officer is None or officer.team is None:
        raise PermissionDenied(_("Your account is not in a field team; ask an administrator."))
    return render(request, "interventions/field.html", {"team": officer.team})

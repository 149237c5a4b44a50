from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from ondijon import navigation


def home(request: HttpRequest) -> HttpResponse:
    """Each role starts on its own desk; the others (administrators, no role yet) see what
    their account opens."""
    desk = navigation.landing_url(request.user)
    if desk:
        return redirect(desk)
    return render(request, "home.html", {"roles": navigation.role_names(request.user)})


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    return redirect(static("ondijon/favicon.svg"), permanent=True)


@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_not_required
def login_locked_out(request: HttpRequest, *args) -> HttpResponse:
    """The login page again, saying why the login is refused (django-axes answers with it
    once an account or an address has failed too often); 429, as for any rate limit."""
    context = {
        "form": AuthenticationForm(request),
        "locked_out": True,
        "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "next": request.POST.get(REDIRECT_FIELD_NAME, ""),
    }
    return render(request, "registration/login.html", context, status=429)

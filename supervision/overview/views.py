"""The supervisor's landing page."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from supervision.overview.services import OVERVIEW, city_picture


@never_cache
@require_GET
@permission_required(OVERVIEW, raise_exception=True)
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "supervision/overview.html", city_picture())

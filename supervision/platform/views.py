from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from supervision.platform import services


@permission_required("supervision.view_platformprocess", raise_exception=True)
def platform_page(request: HttpRequest) -> HttpResponse:
    """The platform panel: each process, its state and its last sign of life."""
    context = {"rows": services.processes_now(), "silent": settings.PROCESS_SILENT_SECONDS}
    return render(request, "supervision/platform.html", context)

"""The crisis unit's page: pre-check, confirm, follow progress, retry failures, roll back."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ondijon.api.errors import Conflict
from supervision.crisis import services as crisis
from supervision.models import CrisisMode, ModeActivation

ACTIVATE = "supervision.activate_crisismode"
# Following a crisis's progress is the operators' too; switching modes is the supervisors'.
FOLLOW = "supervision.view_crisismode"


@permission_required(FOLLOW, raise_exception=True)
def crisis_home(request: HttpRequest) -> HttpResponse:
    activation = crisis.current_activation()
    last = ModeActivation.objects.select_related("mode").first()
    return render(
        request,
        "supervision/crisis/home.html",
        {
            "activation": activation,
            "progress": crisis.progress(activation) if activation else None,
            "steps": crisis.steps_progress(activation) if activation else [],
            "last": last if last and last.status == ModeActivation.Status.ENDED else None,
            "restore": crisis.restore_report(last) if last and last != activation else None,
            "modes": CrisisMode.objects.all(),
        },
    )


@permission_required(ACTIVATE, raise_exception=True)
def crisis_precheck(request: HttpRequest, code: str) -> HttpResponse:
    """GET: what activation would do. POST: activate, once confirmed."""
    mode = get_object_or_404(CrisisMode, code=code)
    errors = {}
    if request.method == "POST":
        try:
            crisis.activate(
                mode,
                request.user,
                request.POST.get("reason", ""),
                confirmed=request.POST.get("confirm") == "yes",
            )
            messages.success(request, f"{mode.name} activated.")
            return redirect("crisis")
        except ValidationError as error:
            errors = error.message_dict
        except Conflict as error:
            errors = {"__all__": [error.message]}
    return render(
        request,
        "supervision/crisis/precheck.html",
        {"mode": mode, "check": crisis.precheck(mode), "errors": errors, "form": request.POST},
    )


@require_POST
@permission_required(ACTIVATE, raise_exception=True)
def crisis_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    activation = get_object_or_404(ModeActivation, pk=pk)
    try:
        crisis.deactivate(activation, request.user, request.POST.get("reason", ""))
        messages.success(request, _("Back to normal: devices are being restored."))
    except Conflict as error:
        messages.error(request, error.message)
    return redirect("crisis")


@require_POST
@permission_required(ACTIVATE, raise_exception=True)
def crisis_retry(request: HttpRequest, pk: int) -> HttpResponse:
    activation = get_object_or_404(ModeActivation, pk=pk)
    count = crisis.retry_failures(activation, request.user)
    messages.info(request, f"{count} commands sent again.")
    return redirect("crisis")

"""The device console's pages and their JSON: thin callers of supervision.console.services.

Who sees it: whoever sees the city's map and its alerts (operators, supervisors,
dispatchers). Who commands from it: whoever may add commands (operators, supervisors).
"""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from equipment import catalogue
from equipment.catalogue import InvalidCommand
from equipment.models import Command, District, Equipment
from ondijon.api.errors import Conflict
from ondijon.inputs import load_json
from supervision.console import schedules, services
from supervision.console import selection as selections
from supervision.models import CommandSchedule, CommandSelection
from supervision.wall import state as wall

SEE = ("equipment.view_equipment", "supervision.view_alert")
WEEKDAYS = (
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)
COMMAND = "equipment.add_command"


def console_view(view: Callable) -> Callable:
    return login_required(permission_required(SEE, raise_exception=True)(view))


def device_of(code: str) -> Equipment:
    return get_object_or_404(Equipment.objects.select_related("district", "site"), code=code)


@require_GET
@console_view
def console_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "supervision/console/search.html",
        {
            "kinds": Equipment.Kind.choices,
            "statuses": Equipment.Status.choices,
            "districts": District.objects.values_list("code", "name"),
            # The map's devices are read after this number: what changes meanwhile is
            # replayed on top by its live stream (the latest status of each device wins).
            "seq": wall.last_seq(),
        },
    )


@never_cache
@require_GET
@console_view
def map_seq(request: HttpRequest) -> JsonResponse:
    """The events log's last number, read before the map reloads its devices."""
    return JsonResponse({"seq": wall.last_seq()})


@never_cache
@require_GET
@console_view
def search(request: HttpRequest) -> JsonResponse:
    """`?q=` a code's start, a site's name or address, a district; `kind`, `status`,
    `district` (code) narrow it."""
    found = services.search_devices(
        request.GET.get("q", ""),
        kind=request.GET.get("kind", ""),
        status=request.GET.get("status", ""),
        district=request.GET.get("district", ""),
    )
    return JsonResponse(found)


@require_GET
@console_view
def device(request: HttpRequest, code: str) -> HttpResponse:
    # The number before the device: its status line replays what changed after it.
    seq = wall.last_seq()
    context = services.device_page(device_of(code), request.user)
    context["seq"] = seq
    context["status_labels"] = dict(Equipment.Status.choices)
    return render(request, "supervision/console/device.html", context)


@never_cache
@require_GET
@console_view
def device_status(request: HttpRequest, code: str) -> JsonResponse:
    """The device's status as of the events log's number: its page reads it again when its
    live stream fell too far behind."""
    seq = wall.last_seq()  # first: a change landing in between is replayed on top
    device = device_of(code)
    return JsonResponse(
        {"seq": seq, "status": device.status, "status_label": device.get_status_display()}
    )


@never_cache
@require_http_methods(["GET", "POST"])
@console_view
def device_commands(request: HttpRequest, code: str) -> JsonResponse:
    """GET: the device's recent commands. POST (operators, supervisors): command it with
    `{action, params, reason, confirm}`; 201 with the command, 400 with field errors."""
    equipment = device_of(code)
    if request.method == "GET":
        if not request.user.has_perm("equipment.view_command"):
            return cannot_see()
        # The number first: an event landing in between is replayed on top, harmlessly.
        seq = wall.last_seq()
        return JsonResponse({"seq": seq, "commands": services.recent_commands(equipment)})
    body = commanding_body(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        command = services.command_device(
            equipment,
            str(body.get("action", "")),
            body.get("params") or {},
            reason=str(body.get("reason", "")),
            confirmed=body.get("confirm") is True,
            actor=request.user,
        )
    except InvalidCommand as error:
        return JsonResponse(error.errors, status=400)
    row = services.command_row(command)
    if command.status == Command.Status.FAILED:
        return JsonResponse(
            {"detail": command.error, "code": "device_offline", "command": row}, status=409
        )
    return JsonResponse({"command": row}, status=201)


# --- A selection ---------------------------------------------------------------------------------


def json_body(request: HttpRequest) -> dict | JsonResponse:
    try:
        body = load_json(request.body or b"{}")
    except ValueError as error:
        return JsonResponse({"body": [str(error)]}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"body": [_("Must be an object.")]}, status=400)
    return body


def refused() -> JsonResponse:
    return JsonResponse({"detail": _("Your role cannot command equipment.")}, status=403)


def cannot_see() -> JsonResponse:
    return JsonResponse({"detail": _("Your role cannot see commands.")}, status=403)


def commanding_body(request: HttpRequest) -> dict | JsonResponse:
    """The JSON object of a request that commands equipment, or the answer refusing it: 403
    for a role that does not command, 400 for a body that is not an object."""
    if not request.user.has_perm(COMMAND):
        return refused()
    return json_body(request)


@require_GET
@console_view
def selection_page(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(COMMAND):
        raise PermissionDenied
    return render(
        request,
        "supervision/console/selection.html",
        {
            "kinds": [
                (k, label) for k, label in Equipment.Kind.choices if k in catalogue.CATALOGUE
            ],
            "actions": {kind: services.actions_of(kind) for kind in catalogue.CATALOGUE},
            "statuses": Equipment.Status.choices,
            "districts": District.objects.values_list("code", "name"),
            "seq": wall.last_seq(),
            "weekdays": list(enumerate(WEEKDAYS)),
        },
    )


@never_cache
@require_http_methods(["POST"])
@console_view
def selection_preview(request: HttpRequest) -> JsonResponse:
    """`{selection: {kind, district, site, status, box}, action, params}`: what sending would do."""
    body = commanding_body(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        found = selections.preview(
            body.get("selection"), str(body.get("action", "")), body.get("params") or {}
        )
    except InvalidCommand as error:
        return JsonResponse(error.errors, status=400)
    return JsonResponse(found)


@never_cache
@require_http_methods(["POST"])
@console_view
def selection_send(request: HttpRequest) -> JsonResponse:
    """The same body with `reason` and `confirm`: 201 with the selection's progress."""
    body = commanding_body(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        selection = selections.send_to_selection(
            body.get("selection"),
            str(body.get("action", "")),
            body.get("params") or {},
            reason=str(body.get("reason", "")),
            confirmed=body.get("confirm") is True,
            actor=request.user,
        )
    except InvalidCommand as error:
        return JsonResponse(error.errors, status=400)
    return JsonResponse(selections.progress(selection), status=201)


@never_cache
@require_GET
@console_view
def selection_progress(request: HttpRequest, pk: int) -> JsonResponse:
    if not request.user.has_perm("equipment.view_command"):
        return cannot_see()
    seq = wall.last_seq()
    report = selections.progress(get_object_or_404(CommandSelection, pk=pk))
    return JsonResponse({"seq": seq, **report})


@never_cache
@require_http_methods(["POST"])
@console_view
def selection_rollback(request: HttpRequest, pk: int) -> JsonResponse:
    if not request.user.has_perm(COMMAND):
        return refused()
    selection = get_object_or_404(CommandSelection, pk=pk)
    try:
        selection = selections.roll_back(selection, request.user)
    except Conflict as error:
        return JsonResponse({"detail": error.message, "code": "rolled_back"}, status=409)
    return JsonResponse(selections.progress(selection))


# --- Planned commands ----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@console_view
def schedule_list(request: HttpRequest) -> JsonResponse:
    """GET: the planned commands. POST (operators, supervisors): a new one, with the body of
    a selection's send plus `name`, `weekdays` (0 = Monday) and `time`, or `run_at`."""
    if not request.user.has_perm("equipment.view_command"):
        return cannot_see()
    if request.method == "GET":
        return JsonResponse(
            {"schedules": [schedules.schedule_snapshot(s) for s in CommandSchedule.objects.all()]}
        )
    body = commanding_body(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        schedule = schedules.create_from_console(body, body.get("confirm") is True, request.user)
    except ValidationError as error:
        return JsonResponse(error.message_dict, status=400)
    return JsonResponse({"schedule": schedules.schedule_snapshot(schedule)}, status=201)


@never_cache
@require_http_methods(["GET", "PATCH", "DELETE"])
@console_view
def schedule_detail(request: HttpRequest, pk: int) -> JsonResponse:
    """GET: one planned command. PATCH (operators, supervisors): change the fields given (as
    a new one's, plus `active`; `confirm` for a public-safety action). DELETE: remove it."""
    if not request.user.has_perm("equipment.view_command"):
        return cannot_see()
    schedule = get_object_or_404(CommandSchedule, pk=pk)
    if request.method == "GET":
        return JsonResponse({"schedule": schedules.schedule_snapshot(schedule)})
    body = commanding_body(request) if request.method == "PATCH" else None
    if isinstance(body, JsonResponse):
        return body
    if request.method == "DELETE":
        if not request.user.has_perm(COMMAND):
            return refused()
        schedules.delete_schedule(schedule, request.user)
        return HttpResponse(status=204)
    try:
        schedule = schedules.update_from_console(
            schedule, body, body.get("confirm") is True, request.user
        )
    except ValidationError as error:
        return JsonResponse(error.message_dict, status=400)
    return JsonResponse({"schedule": schedules.schedule_snapshot(schedule)})

"""The operators' alert desk (`/alerts/`): the queue of open alerts, the selected alert with its
rule's procedure and suggested steps, and one POST form per step of its lifecycle.

Thin: every change goes through `supervision.alerts.services`; a refusal (Conflict, a command a device
cannot take) comes back as a message on the page, bad input as field errors (400).
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from equipment.cameras import cameras_seeing
from equipment.models import Command, Equipment
from interventions.models import Intervention
from ondijon.api.errors import Conflict
from supervision.alerts import flood, services
from supervision.log import timeline as log
from supervision.log.kinds import kind_name
from supervision.models import OPEN_ALERT_STATUSES, Alert, AlertSnapshot, Event
from supervision.video.tiles import alert_place
from supervision.wall import state as wall

# Who works the desk: whoever may change alerts (roles.py: operators, supervisors and
# dispatchers). The steps ask more: an intervention, or a command to a device.
WORK_ALERTS = ("supervision.view_alert", "supervision.change_alert")
STEP_PERMISSIONS = {
    "create_intervention": "supervision.create_alert_intervention",
    "send_command": "equipment.add_command",
}
QUEUE_LIMIT = 200
HISTORY_LIMIT = 100
OPEN = "open"


# Anonymous users never get here: LoginRequiredMiddleware sends them to the login page.
desk_view = permission_required(WORK_ALERTS, raise_exception=True)


# --- Forms --------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        label=_("Status"),
        choices=[(OPEN, pgettext_lazy("alerts still open", "Open")), *Alert.Status.choices],
    )
    severity = forms.TypedChoiceField(
        required=False,
        label=_("Severity at least"),
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *sorted(Alert.Severity.choices, reverse=True)],
    )
    category = forms.ChoiceField(required=False, label=_("Category"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = Alert.objects.order_by("category").values_list("category", flat=True)
        self.fields["category"].choices = [("", "—")] + [(c, c) for c in categories.distinct()]

    def filters(self) -> dict:
        """The cleaned filters; the defaults (open alerts, every severity and category) when
        the query is invalid, so a stale bookmark still shows the queue."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "status": data.get("status") or OPEN,
            "severity": data.get("severity"),
            "category": data.get("category") or "",
        }


def queue_query(filters: dict) -> str:
    """The filters as a query string (only what differs from the defaults)."""
    return urlencode(
        {
            name: value
            for name, value in filters.items()
            if value not in (None, "") and not (name == "status" and value == OPEN)
        }
    )


def queue(filters: dict):
    alerts = Alert.objects.all()
    if filters["status"] == OPEN:
        # One cause, one row: children are listed under their parent; shelved alerts apart.
        alerts = alerts.filter(status__in=OPEN_ALERT_STATUSES, parent=None, shelved_until=None)
    else:
        alerts = alerts.filter(status=filters["status"])
    if filters["severity"]:
        alerts = alerts.filter(severity__gte=filters["severity"])
    if filters["category"]:
        alerts = alerts.filter(category=filters["category"])
    return alerts.order_by("-severity", "-raised_at", "-pk")


class QualifyForm(forms.Form):
    prefix = "qualify"
    severity = forms.TypedChoiceField(
        label=_("Severity"),
        coerce=int,
        choices=sorted(Alert.Severity.choices, reverse=True),
    )
    category = forms.CharField(label=_("Category"), max_length=50)
    intervention = forms.CharField(
        label=_("Link intervention (reference)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "INT-2026-000042"}),
    )

    def clean_intervention(self) -> Intervention | None:
        reference = self.cleaned_data["intervention"].strip()
        if not reference:
            return None
        intervention = Intervention.objects.filter(reference__iexact=reference).first()
        if intervention is None:
            raise ValidationError(_("No intervention %(ref)s."), params={"ref": reference})
        return intervention


class ResolveForm(forms.Form):
    prefix = "resolve"
    note = forms.CharField(
        label=_("How was it resolved?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


SHELVE_MINUTES = [
    (15, _("15 minutes")),
    (60, _("1 hour")),
    (240, _("4 hours")),
    (720, _("12 hours")),
]


class ShelveForm(forms.Form):
    prefix = "shelve"
    minutes = forms.TypedChoiceField(label=_("Shelve for"), coerce=int, choices=SHELVE_MINUTES)
    reason = forms.CharField(label=_("Why?"), max_length=200)


class CloseForm(forms.Form):
    prefix = "close"
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 1}),
    )


class StepForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in services.STEP_TARGETS])
    target = forms.CharField(max_length=60)


# --- The page -----------------------------------------------------------------------------


def queue_snapshot(filters: dict) -> tuple[int, list[Alert], bool]:
    """The queue as of a sequence number: (seq, alerts, truncated). The number is read first:
    an event that lands in between is replayed on top, and replaying a snapshot the page
    already shows is harmless (events carry the whole latest state of their alert)."""
    seq = wall.last_seq()
    alerts = list(queue(filters)[: QUEUE_LIMIT + 1])
    return seq, alerts[:QUEUE_LIMIT], len(alerts) > QUEUE_LIMIT


def step_label(step: dict) -> str:
    if step["action"] == "create_intervention":
        return _("Create intervention (%(service)s)") % {"service": step["service"]}
    params = step.get("params") or {}
    details = ", ".join(f"{name} {value}" for name, value in params.items())
    return _("Send command %(command)s") % {"command": step["command"]} + (
        f" ({details})" if details else ""
    )


def steps_of(alert: Alert, user) -> list[dict]:
    rows = []
    for step in services.suggested_steps(alert):
        problem = services.step_problem(alert, step)
        if not problem and not user.has_perm(STEP_PERMISSIONS[step["action"]]):
            problem = _("Your role cannot do this.")
        rows.append(
            {
                "action": step["action"],
                "target": services.step_target(step),
                "label": step_label(step),
                "problem": problem,
            }
        )
    return rows


def history_of(alert: Alert) -> list[dict]:
    events = Event.objects.filter(subject_type="alert", subject_id=str(alert.pk)).order_by("-seq")
    rows = []
    for event in reversed(events[:HISTORY_LIMIT]):
        payload = event.payload or {}
        parts = []
        if payload.get("note"):
            parts.append(_("note: %(note)s") % {"note": payload["note"]})
        if payload.get("fields"):
            parts.append(_("changed %(fields)s") % {"fields": ", ".join(payload["fields"])})
        if payload.get("reason"):
            parts.append(str(payload["reason"]).replace("_", " "))
        command = payload.get("command")
        if isinstance(command, dict):
            parts.append(
                _("command %(action)s to %(code)s: %(status)s")
                % {
                    "action": command.get("action"),
                    "code": command.get("equipment_code"),
                    "status": log.status_name(command.get("status")),
                }
                + (f" ({command['error']})" if command.get("error") else "")
            )
        rows.append(
            {
                "seq": event.seq,
                "time": event.time,
                "step": kind_name(event.kind),
                "actor": event.actor_label,
                "status": log.status_name((payload.get("alert") or {}).get("status", "")),
                "summary": " · ".join(parts),
            }
        )
    return rows


def readable(value) -> str:
    """A detail's value for people: times in local time, the rest as written."""
    if isinstance(value, str):
        moment = parse_datetime(value) if "T" in value else None
        if moment is not None and timezone.is_aware(moment):
            return date_format(timezone.localtime(moment), "d/m/Y H:i:s")
        return value
    return str(value)


def detail_values(alert: Alert) -> list[tuple[str, str]]:
    """What the alert measured, in words (procedure and steps are shown apart)."""
    hidden = {"procedure", "suggested_steps", "rule"}
    return [
        (name.replace("_", " "), readable(value))
        for name, value in alert.details.items()
        if name not in hidden and value not in (None, "", [], {})
    ]


def nearest_camera_code(alert: Alert) -> str:
    place = alert_place(alert)
    seeing = cameras_seeing(*place, limit=1) if place else []
    return seeing[0].equipment.code if seeing else ""


def desk_context(request: HttpRequest, query: QueryDict, bound: dict | None = None) -> dict:
    """The page: the queue that `query` filters, and the alert it selects (`alert=<id>`);
    `bound` replaces the blank step forms with ones that carry field errors."""
    filter_form = QueueFilterForm(query or None)
    filters = filter_form.filters()
    seq, alerts, truncated = queue_snapshot(filters)
    selected = None
    selected_id = query.get("alert", "")
    if selected_id.isdigit():
        selected = (
            Alert.objects.select_related(
                "equipment__district", "equipment__site", "intervention", "rule", "acknowledged_by"
            )
            .filter(pk=int(selected_id))
            .first()
        )
    filter_query = queue_query(filters)
    context = {
        "filter_form": filter_form,
        "query": filter_query,
        "alerts": alerts,
        "truncated": truncated,
        "selected": selected,
        "flood": flood.in_flood(),
        "shelved": Alert.objects.filter(
            status__in=OPEN_ALERT_STATUSES, shelved_until__isnull=False
        ).order_by("shelved_until")[:50],
        "open_statuses": list(OPEN_ALERT_STATUSES),
        "config": {
            "seq": seq,
            "alerts": [services.alert_snapshot(alert) for alert in alerts],
            "filters": filters,
            "openStatuses": list(OPEN_ALERT_STATUSES),
            "query": filter_query,
            "selected": selected.pk if selected else None,
            "limit": QUEUE_LIMIT,
            "socketPath": "/ws/alerts/",
            "queueUrl": reverse("alert-desk-queue"),
            "deskUrl": reverse("alert-desk"),
            "statuses": {key: str(label) for key, label in Alert.Status.choices},
            "severities": {key: str(label) for key, label in Alert.Severity.choices},
        },
    }
    if context["flood"]:
        context["flood_groups"] = flood.flood_groups()
    if selected:
        context["children"] = selected.children.select_related("equipment").order_by(
            "-severity", "raised_at"
        )[:200]
        forms_ = {
            "qualify_form": QualifyForm(
                initial={
                    "severity": selected.severity,
                    "category": selected.category,
                    "intervention": getattr(selected.intervention, "reference", ""),
                }
            ),
            "resolve_form": ResolveForm(),
            "close_form": CloseForm(),
            "shelve_form": ShelveForm(),
            **(bound or {}),
        }
        context.update(
            forms_,
            procedure=services.alert_procedure(selected),
            steps=steps_of(selected, request.user),
            history=history_of(selected),
            values=detail_values(selected),
            commands=Command.objects.filter(origin=f"alert:{selected.pk}").select_related(
                "equipment"
            )[:20],
            # The frame of its nearest camera at its time, for those who may see video.
            snapshot=AlertSnapshot.objects.filter(alert=selected)
            .exclude(image=b"")
            .defer("image")
            .first()
            if request.user.has_perm("equipment.watch_camera")
            else None,
            # The camera an operator would put on the wall first: the one that sees its place.
            push_camera=nearest_camera_code(selected)
            if request.user.has_perm("equipment.move_camera")
            else "",
            equipment_offline=bool(
                selected.equipment and selected.equipment.status == Equipment.Status.OFFLINE
            ),
        )
    return context


@never_cache
@require_GET
@desk_view
def alert_desk(request: HttpRequest) -> HttpResponse:
    return render(request, "supervision/alerts.html", desk_context(request, request.GET))


@never_cache
@require_GET
@desk_view
def alert_queue(request: HttpRequest) -> JsonResponse:
    """The queue as JSON, for a page too far behind to replay: `{seq, alerts, truncated}`."""
    seq, alerts, truncated = queue_snapshot(QueueFilterForm(request.GET or None).filters())
    return JsonResponse(
        {"seq": seq, "alerts": [services.alert_snapshot(a) for a in alerts], "truncated": truncated}
    )


# --- The steps (POST) ---------------------------------------------------------------------


def back_to(request: HttpRequest, alert: Alert) -> HttpResponse:
    """To the desk with the same filters and this alert selected (filters re-validated)."""
    filters = QueueFilterForm(QueryDict(request.POST.get("filters", ""))).filters()
    query = queue_query(filters)
    return redirect(f"{reverse('alert-desk')}?{query}{'&' if query else ''}alert={alert.pk}")


def invalid(request: HttpRequest, alert: Alert, **bound) -> HttpResponse:
    """The page again, for this alert, with the form's field errors: 400, nothing changed."""
    query = QueryDict(request.POST.get("filters", ""), mutable=True)
    query["alert"] = str(alert.pk)
    messages.error(request, _("Nothing was changed: see the form below."))
    return render(
        request, "supervision/alerts.html", desk_context(request, query, bound), status=400
    )


def carry_out(request: HttpRequest, alert: Alert, step, done: str) -> HttpResponse:
    """Run one service call; its refusal becomes a message on the page, never a 500. `done`
    is the message of success, with the alert's number as %(pk)s."""
    try:
        step()
    except Conflict as error:
        messages.error(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done % {"pk": alert.pk})
    return back_to(request, alert)


@require_POST
@desk_view
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=pk)
    return carry_out(
        request,
        alert,
        lambda: services.acknowledge_alert(alert, request.user),
        _("Alert #%(pk)s acknowledged."),
    )


def form_step(
    request: HttpRequest, pk: int, form_class, form_name: str, step, done: str
) -> HttpResponse:
    """A step that takes a form: field errors show the page again (400), else it is carried
    out with the cleaned data, `step(alert, user, data)`."""
    alert = get_object_or_404(Alert, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return invalid(request, alert, **{form_name: form})
    return carry_out(
        request,
        alert,
        lambda: step(alert, request.user, form.cleaned_data),
        done,
    )


@require_POST
@desk_view
def qualify(request: HttpRequest, pk: int) -> HttpResponse:
    return form_step(
        request,
        pk,
        QualifyForm,
        "qualify_form",
        lambda alert, user, data: services.qualify_alert(alert, user, **data),
        _("Alert #%(pk)s qualified."),
    )


@require_POST
@desk_view
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return form_step(
        request,
        pk,
        ResolveForm,
        "resolve_form",
        lambda alert, user, data: services.resolve_alert(alert, user, note=data["note"]),
        _("Alert #%(pk)s resolved."),
    )


@require_POST
@desk_view
def close(request: HttpRequest, pk: int) -> HttpResponse:
    return form_step(
        request,
        pk,
        CloseForm,
        "close_form",
        lambda alert, user, data: services.close_alert(alert, user, note=data["note"]),
        _("Alert #%(pk)s closed."),
    )


@require_POST
@desk_view
def shelve(request: HttpRequest, pk: int) -> HttpResponse:
    return form_step(
        request,
        pk,
        ShelveForm,
        "shelve_form",
        lambda alert, user, data: services.shelve_alert(
            alert, user, data["minutes"] * 60, data["reason"]
        ),
        _("Alert #%(pk)s shelved."),
    )


@require_POST
@desk_view
def unshelve(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=pk)
    return carry_out(
        request,
        alert,
        lambda: services.unshelve_alert(alert, request.user),
        _("Alert #%(pk)s back on the desk."),
    )


@require_POST
@desk_view
def run_step(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the rule's suggested steps: an intervention, or a command to the equipment."""
    alert = get_object_or_404(Alert, pk=pk)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That step is not one the desk knows."))
        return back_to(request, alert)
    action, target = form.cleaned_data["action"], form.cleaned_data["target"]
    if not request.user.has_perm(STEP_PERMISSIONS[action]):
        raise PermissionDenied
    try:
        outcome = services.run_suggested_step(alert, action, target, actor=request.user)
    except Conflict as error:
        messages.error(request, error.message)
        return back_to(request, alert)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return back_to(request, alert)
    if isinstance(outcome, Intervention):
        messages.success(request, f"Intervention {outcome.reference} created ({outcome.service}).")
    elif outcome.status == Command.Status.FAILED:
        messages.error(request, f"Command {outcome.action} failed: {outcome.error}")
    else:
        messages.success(
            request,
            _("Command %(action)s requested on %(code)s: follow it under Commands.")
            % {"action": outcome.action, "code": outcome.equipment.code},
        )
    return back_to(request, alert)

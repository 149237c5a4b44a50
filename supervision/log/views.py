"""Pages of the events log: timeline with notes and corrections, CSV export, the room at a
past moment. Thin: the work is in `supervision.log.timeline` and `supervision.alerts.services.add_note`."""

from django import forms
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from interventions.models import Intervention, Service
from ondijon import spreadsheet
from supervision.alerts import services
from supervision.log import timeline as log
from supervision.log.kinds import kind_choices, kind_name
from supervision.models import Alert, Event

PAGE_SIZE = 100


class LogFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=kind_choices, label=_("Kind"))
    exclude_kinds = forms.CharField(
        required=False,
        label=_("Leave out kinds starting with"),
        help_text=_("Several, separated by commas: alert., note."),
    )
    movements = forms.BooleanField(
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "inline-check"}),
        label=_("Show vehicle movements and telemetry"),
        help_text=_("Left out by default: the room's events only."),
    )
    service = forms.ChoiceField(
        required=False, choices=[("", "—"), *Service.choices], label=_("Service")
    )
    subject_type = forms.ChoiceField(
        required=False,
        label=_("About"),
        choices=[
            ("", "—"),
            ("alert", _("Alerts")),
            ("intervention", _("Interventions")),
            ("team", _("Teams")),
            ("equipment", _("Equipment")),
            ("call", _("Hotline")),
            ("note", _("Notes")),
        ],
    )
    actor = forms.CharField(required=False, label=_("Actor"))
    since = forms.DateTimeField(
        required=False,
        label=_("Since"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = forms.DateTimeField(
        required=False,
        label=_("Until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    text = forms.CharField(required=False, label=_("Text"))

    def clean_exclude_kinds(self) -> list[str]:
        text = self.cleaned_data.get("exclude_kinds") or ""
        return [part.strip() for part in text.split(",") if part.strip()]


class NoteForm(forms.Form):
    text = forms.CharField(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note")
    )
    service = forms.ChoiceField(required=False, choices=[("", "—"), *Service.choices])
    correction_of = forms.IntegerField(
        required=False, widget=forms.HiddenInput, label=_("Corrects entry")
    )

    def clean_correction_of(self):
        seq = self.cleaned_data.get("correction_of")
        if seq is None:
            return None
        event = Event.objects.filter(seq=seq).first()
        if event is None:
            raise forms.ValidationError(_("No entry #%(seq)s in the log."), params={"seq": seq})
        return event


def _filters(request: HttpRequest) -> tuple[LogFilterForm, dict]:
    form = LogFilterForm(request.GET or None)
    return form, (form.cleaned_data if form.is_valid() else {})


@permission_required("supervision.view_event", raise_exception=True)
def log_page(request: HttpRequest) -> HttpResponse:
    note_form = NoteForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("supervision.add_event"):
            raise PermissionDenied
        if note_form.is_valid():
            data = note_form.cleaned_data
            services.add_note(
                data["text"],
                request.user,
                correction_of=data["correction_of"],
                service=data["service"],
            )
            return redirect(request.get_full_path())
    filter_form, filters = _filters(request)
    page = Paginator(log.timeline(filters), PAGE_SIZE, allow_empty_first_page=True).get_page(
        request.GET.get("page")
    )
    corrected = set(
        Event.objects.filter(correction_of__in=[e.pk for e in page]).values_list(
            "correction_of__seq", flat=True
        )
    )
    service_names = dict(Service.choices)
    rows = [
        (
            event,
            log.summary(event),
            event.seq in corrected,
            service_names.get(event.service),
            kind_name(event.kind),
        )
        for event in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/log.html",
        {
            "filter_form": filter_form,
            "note_form": note_form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
        },
    )


@permission_required("supervision.view_event", raise_exception=True)
def log_export(request: HttpRequest) -> StreamingHttpResponse:
    _, filters = _filters(request)
    response = StreamingHttpResponse(
        log.csv_lines(log.timeline(filters)), content_type=spreadsheet.CONTENT_TYPE
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="main-courante-{stamp}.csv"'
    return response


class MomentForm(forms.Form):
    time = forms.DateTimeField(
        label=_("What did the room know at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}),
        input_formats=[
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
        ],
    )


@permission_required("supervision.view_event", raise_exception=True)
def log_at(request: HttpRequest) -> HttpResponse:
    form = MomentForm(request.GET or None)
    state = log.room_state_at(form.cleaned_data["time"]) if form.is_valid() else None
    if state:
        for alert in state.alerts:
            readable_snapshot(alert, Alert.Status, "raised_at")
            alert["severity_label"] = dict(Alert.Severity.choices).get(alert.get("severity"), "")
        for item in state.interventions:
            readable_snapshot(item, Intervention.Status, "target_at")
    return render(request, "supervision/log_at.html", {"form": form, "state": state})


def readable_snapshot(snapshot: dict, statuses: type, time_key: str) -> None:
    """A snapshot from the log as a person reads it: its status named in the page's language,
    its time a datetime (the template shows it in Paris time, French format)."""
    snapshot["status_label"] = dict(statuses.choices).get(snapshot.get("status"), "")
    moment = snapshot.get(time_key)
    snapshot[f"{time_key}_time"] = parse_datetime(moment) if isinstance(moment, str) else None

"""Pages of the events log: timeline with notes and corrections, CSV export, the room at a
past moment. Thin: the work is in `supervision.log.timeline` and `supervision.alerts.services.add_note`."""

from django import forms
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
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


class KindsField(forms.MultipleChoiceField):
    """Kinds chosen by their names (a family, `alert.`, or one kind); a link written by hand
    may still give codes separated by commas (`?exclude_kinds=team.,note.`)."""

    def to_python(self, value) -> list[str]:
        return [
            part.strip()
            for item in super().to_python(value)
            for part in item.split(",")
            if part.strip()
        ]


def exclude_choices() -> list:
    return [choice for choice in kind_choices() if choice[0]]


class LogFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=kind_choices, label=_("Kind"))
    exclude_kinds = KindsField(
        required=False,
        choices=exclude_choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("Leave out kinds"),
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

    def chosen_exclusions(self) -> list[str]:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["exclude_kinds"]
        return []

    def exclude_groups(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """The kinds a person may leave out, family by family, each by its name and whether it
        is chosen: the page draws them as check boxes."""
        chosen = set(self.chosen_exclusions())
        return [
            (str(family), [(code, str(name), code in chosen) for code, name in choices])
            for family, choices in exclude_choices()
        ]

    def left_out(self) -> list[str]:
        """The names of the kinds chosen to be left out, for the page to say what it hides."""
        names = {code: name for _family, choices in exclude_choices() for code, name in choices}
        return [str(names[code]) for code in self.chosen_exclusions()]


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


def _filters(request: HttpRequest) -> tuple[LogFilterForm, dict | None]:
    """The filters asked for; None when one of them is wrong (never "everything" instead)."""
    form = LogFilterForm(request.GET or None)
    if not form.is_bound:
        return form, {}
    return form, (form.cleaned_data if form.is_valid() else None)


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
    events = log.timeline(filters) if filters is not None else Event.objects.none()
    page = Paginator(events, PAGE_SIZE, allow_empty_first_page=True).get_page(
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
    # The room's view and the whole log are one click apart, the other filters kept.
    toggled = query.copy()
    if toggled.pop("movements", None) is None:
        toggled["movements"] = "on"
    return render(
        request,
        "supervision/log.html",
        {
            "filter_form": filter_form,
            "note_form": note_form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "toggle_query": toggled.urlencode(),
        },
        status=400 if filters is None else 200,
    )


@permission_required("supervision.view_event", raise_exception=True)
def log_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
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

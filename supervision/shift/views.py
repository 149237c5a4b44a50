"""The shift page (`/shift/`), its handover, and the reports of a shift and of a day.

Thin: starting and ending go through `supervision.shift.services`; a refusal comes back as a
message on the page, bad input as field errors (400). Reports are printable pages (the
browser prints them) and CSV files of the period's events log; the crisis unit's reports (the
situation report, after-action reports of a period or of a crisis activation) are also PDF
files (supervision/shift/pdf.py).
"""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ondijon import spreadsheet
from ondijon.api.errors import Conflict
from supervision.log.timeline import csv_lines, summary, timeline
from supervision.models import ModeActivation, Shift
from supervision.shift import pdf, reports, services

VIEW = "supervision.view_shift"
REPORTS = (VIEW, "supervision.view_event")
LOG_ROWS = 200


class StartForm(forms.Form):
    handover_read = forms.BooleanField(
        label=_("I have read the handover of the last shift"), required=False
    )


class EndForm(forms.Form):
    note = forms.CharField(
        label=_("Handover note for the next team"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class DayForm(forms.Form):
    day = forms.DateField(label=_("Day"), required=False)


def shift_log(shift: Shift) -> list[dict]:
    """The shift's entries of the events log, newest first."""
    entries = timeline({"since": shift.started_at})[:LOG_ROWS]
    return [{"event": event, "summary": summary(event)} for event in entries]


@require_GET
@permission_required(VIEW, raise_exception=True)
def shift_page(request: HttpRequest) -> HttpResponse:
    current = services.current_shift()
    context = {
        "current": current,
        "pending": services.pending_handover(),
        "log": shift_log(current) if current else [],
        "start_form": StartForm(),
        "end_form": EndForm(),
        "past": Shift.objects.exclude(ended_at=None).select_related("started_by", "ended_by")[:20],
    }
    return render(request, "supervision/shift.html", context)


def refused(request: HttpRequest, form: forms.Form) -> HttpResponse:
    current = services.current_shift()
    context = {
        "current": current,
        "pending": services.pending_handover(),
        "log": shift_log(current) if current else [],
        "start_form": form if isinstance(form, StartForm) else StartForm(),
        "end_form": form if isinstance(form, EndForm) else EndForm(),
        "past": Shift.objects.exclude(ended_at=None)[:20],
    }
    return render(request, "supervision/shift.html", context, status=400)


@require_POST
@permission_required("supervision.add_shift", raise_exception=True)
def shift_start(request: HttpRequest) -> HttpResponse:
    form = StartForm(request.POST)
    if not form.is_valid():
        return refused(request, form)
    try:
        services.start_shift(request.user, form.cleaned_data["handover_read"])
    except Conflict as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Shift started: the room is yours."))
    return redirect("shift")


@require_POST
@permission_required("supervision.change_shift", raise_exception=True)
def shift_end(request: HttpRequest, pk: int) -> HttpResponse:
    shift = get_object_or_404(Shift, pk=pk)
    form = EndForm(request.POST)
    if not form.is_valid():
        return refused(request, form)
    try:
        services.end_shift(shift, request.user, form.cleaned_data["note"])
    except Conflict as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Shift ended: the handover waits for the next team."))
    return redirect("shift")


def shift_period(shift: Shift) -> tuple[datetime, datetime]:
    """The shift's hours as a report's [start, end): its handover, logged at its end, is its
    last entry."""
    if shift.ended_at is None:
        return shift.started_at, timezone.now()
    return shift.started_at, shift.ended_at + timedelta(microseconds=1)


@require_GET
@permission_required(REPORTS, raise_exception=True)
def shift_report(request: HttpRequest, pk: int) -> HttpResponse:
    shift = get_object_or_404(Shift, pk=pk)
    report = reports.period_report(*shift_period(shift))
    context = {"report": report, "shift": shift, "csv_url": "shift-report-csv", "csv_pk": pk}
    return render(request, "supervision/report.html", context)


def csv_response(start: datetime, end: datetime, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(timeline({"since": start, "until": end})), content_type=spreadsheet.CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@permission_required(REPORTS, raise_exception=True)
def shift_report_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    shift = get_object_or_404(Shift, pk=pk)
    start, end = shift_period(shift)
    stamp = timezone.localtime(start).strftime("%Y%m%d-%H%M")
    return csv_response(start, end, f"shift-{stamp}.csv")


def day_period(request: HttpRequest) -> tuple[datetime, datetime] | DayForm:
    form = DayForm(request.GET)
    if not form.is_valid():
        return form
    day = form.cleaned_data.get("day") or timezone.localdate()
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@require_GET
@permission_required(REPORTS, raise_exception=True)
def daily_report(request: HttpRequest) -> HttpResponse:
    period = day_period(request)
    if isinstance(period, DayForm):
        return render(request, "supervision/report.html", {"day_form": period}, status=400)
    report = reports.period_report(*period)
    context = {"report": report, "day_form": DayForm(initial={"day": period[0].date()})}
    return render(request, "supervision/report.html", context)


@require_GET
@permission_required(REPORTS, raise_exception=True)
def daily_report_csv(request: HttpRequest) -> HttpResponse:
    period = day_period(request)
    if isinstance(period, DayForm):
        errors = "; ".join(f"{name}: {' '.join(e)}" for name, e in period.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    stamp = timezone.localtime(period[0]).strftime("%Y%m%d")
    return csv_response(*period, f"day-{stamp}.csv")


# --- The crisis unit's reports: the city now (SITREP) and after action -----------------------

SUPERVISORS = "supervision.view_reports"
PDF = "application/pdf"
# An after-action review reads the log of a crisis, not of a season: a bound on the period
# keeps one request from reading the whole log.
LONGEST_PERIOD = timedelta(days=31)


class PeriodForm(forms.Form):
    start = forms.DateTimeField(label=_("From"))
    end = forms.DateTimeField(label=_("To"))

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end <= start:
                self.add_error("end", _("The end must come after the start."))
            elif end - start > LONGEST_PERIOD:
                self.add_error("end", _("An after-action report covers at most 31 days."))
        return cleaned


def pdf_response(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=PDF)
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def stamp(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y%m%d-%H%M")


@require_GET
@permission_required(SUPERVISORS, raise_exception=True)
def situation_report(request: HttpRequest) -> HttpResponse:
    sitrep = reports.situation_report()
    return render(request, "supervision/sitrep.html", {"sitrep": sitrep})


@require_GET
@permission_required(SUPERVISORS, raise_exception=True)
def situation_report_pdf(request: HttpRequest) -> HttpResponse:
    sitrep = reports.situation_report()
    return pdf_response(pdf.situation_pdf(sitrep), f"sitrep-{stamp(sitrep['now'])}.pdf")


def after_action_period(request: HttpRequest) -> PeriodForm:
    """The period asked for; none given: the last 24 hours."""
    if not request.GET:
        end = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
        return PeriodForm({"start": end - timedelta(days=1), "end": end})
    return PeriodForm(request.GET)


@require_GET
@permission_required(SUPERVISORS, raise_exception=True)
def after_action(request: HttpRequest) -> HttpResponse:
    form = after_action_period(request)
    if not form.is_valid():
        return render(request, "supervision/after_action.html", {"form": form}, status=400)
    report = reports.period_report(form.cleaned_data["start"], form.cleaned_data["end"])
    activations = ModeActivation.objects.select_related("mode")[:20]
    context = {"form": form, "report": report, "activations": activations}
    return render(request, "supervision/after_action.html", context)


@require_GET
@permission_required(SUPERVISORS, raise_exception=True)
def after_action_pdf(request: HttpRequest) -> HttpResponse:
    form = after_action_period(request)
    if not form.is_valid():
        errors = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    body = pdf.period_pdf(_("After-action report"), reports.period_report(start, end))
    return pdf_response(body, f"after-action-{stamp(start)}.pdf")


@require_GET
@permission_required(SUPERVISORS, raise_exception=True)
def activation_after_action(request: HttpRequest, pk: int) -> HttpResponse:
    activation = get_object_or_404(ModeActivation.objects.select_related("mode"), pk=pk)
    context = {"report": reports.activation_report(activation), "activation": activation}
    return render(request, "supervision/after_action.html", context)


@require_GET
@permission_required(SUPERVISORS, raise_exception=True)
def activation_after_action_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    activation = get_object_or_404(ModeActivation.objects.select_related("mode"), pk=pk)
    title = _("After-action report: %(mode)s") % {"mode": activation.mode.name}
    body = pdf.period_pdf(title, reports.activation_report(activation))
    return pdf_response(
        body, f"after-action-{activation.mode.code}-{stamp(activation.activated_at)}.pdf"
    )

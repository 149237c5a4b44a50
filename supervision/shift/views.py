"""The shift page (`/shift/`), its handover, and the reports of a shift and of a day.

Thin: starting and ending go through `supervision.shift.services`; a refusal comes back as a
message on the page, bad input as field errors (400). Reports are printable pages (the
browser prints them) and CSV files of the period's events log.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ondijon import spreadsheet
from ondijon.api.errors import Conflict
from supervision.log.timeline import csv_lines, summary, timeline
from supervision.models import Shift
from supervision.shift import reports, services

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

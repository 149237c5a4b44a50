"""The alarm KPIs page (`/alerts/kpis/`) and its CSV, for supervisors: thin views on
`supervision.alerts.kpis`, which reads the events log."""

import io
from datetime import timedelta

from django import forms
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ondijon import spreadsheet
from supervision.alerts import kpis

VIEW_KPIS = "supervision.view_alarm_kpis"
DEFAULT_PERIOD = timedelta(hours=24)
LONGEST_PERIOD = timedelta(days=31)
CHART_HEIGHT = 120


class KpiPeriodForm(forms.Form):
    """The period of the figures: the last 24 hours unless said otherwise."""

    start = forms.DateTimeField(label=_("From"), required=False)
    end = forms.DateTimeField(label=_("To"), required=False)

    def clean(self):
        data = super().clean()
        end = data.get("end") or timezone.now()
        start = data.get("start") or end - DEFAULT_PERIOD
        if start >= end:
            raise ValidationError({"end": _("The end must come after the start.")})
        if end - start > LONGEST_PERIOD:
            raise ValidationError({"start": _("Choose a period of at most 31 days.")})
        data["start"], data["end"] = start, end
        return data


def form_errors(form: forms.Form) -> dict:
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def chart(slots: list, limit: float) -> dict:
    """Bars of a rate per slot, with the target line, as SVG coordinates (no inline style)."""
    top = max([rate for _, rate in slots] + [limit, 1])
    width = 600 / max(len(slots), 1)
    bars = [
        {
            "x": round(index * width + 1, 1),
            "width": round(max(width - 2, 1), 1),
            "height": round(CHART_HEIGHT * rate / top, 1),
            "y": round(CHART_HEIGHT - CHART_HEIGHT * rate / top, 1),
            "over": rate > limit,
            "start": start,
            "rate": rate,
        }
        for index, (start, rate) in enumerate(slots)
    ]
    return {"bars": bars, "limit_y": round(CHART_HEIGHT - CHART_HEIGHT * limit / top, 1)}


@require_GET
@permission_required(VIEW_KPIS, raise_exception=True)
def kpis_page(request: HttpRequest) -> HttpResponse:
    form = KpiPeriodForm(request.GET)
    if not form.is_valid():
        return render(
            request, "supervision/alarm_kpis.html", {"form": form, "errors": True}, status=400
        )
    figures = kpis.alarm_kpis(form.cleaned_data["start"], form.cleaned_data["end"])
    context = {
        "form": form,
        "kpis": figures,
        "hourly": chart(figures.per_hour, kpis.MANAGEABLE_PER_HOUR),
        "ten_minutes": chart(figures.per_ten_minutes, figures.flood_threshold),
        "acceptable": kpis.ACCEPTABLE_PER_HOUR,
        "manageable": kpis.MANAGEABLE_PER_HOUR,
        "flood_percent": round(figures.flood_share * 100, 1),
    }
    return render(request, "supervision/alarm_kpis.html", context)


@require_GET
@permission_required(VIEW_KPIS, raise_exception=True)
def kpis_csv(request: HttpRequest) -> HttpResponse:
    """The rate per position per 10 minutes and per hour, one row a slot, for a spreadsheet."""
    form = KpiPeriodForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            "\n".join(f"{name}: {'; '.join(m)}" for name, m in form_errors(form).items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    figures = kpis.alarm_kpis(form.cleaned_data["start"], form.cleaned_data["end"])
    out = io.StringIO()
    out.write(spreadsheet.BOM)
    writer = spreadsheet.writer(out)
    writer.writerow(["slot", "start", "alarms_per_position"])
    for name, slots in (("hour", figures.per_hour), ("10min", figures.per_ten_minutes)):
        for start, rate in slots:
            writer.writerow([name, spreadsheet.local_time(start), spreadsheet.decimal(f"{rate:g}")])
    response = HttpResponse(out.getvalue(), content_type=spreadsheet.CONTENT_TYPE)
    stamp = figures.start.strftime("%Y%m%dT%H%M")
    response["Content-Disposition"] = f'attachment; filename="alarm-kpis-{stamp}.csv"'
    return response

"""The room's reports over a period (a shift, a day): read from the events log and the rows it
describes, for a printed page and a spreadsheet. Nothing here writes."""

from collections import Counter
from datetime import datetime, timedelta
from statistics import median

from django.db.models import Count, Q

from hotline.models import Call
from interventions.models import Intervention
from supervision.alerts import kpis
from supervision.log.timeline import timeline
from supervision.models import Event, ModeActivation

TIMELINE_ROWS = 500  # printed; the CSV holds every entry
COMMAND_KINDS = {
    "command.acknowledged": "acknowledged",
    "command.failed": "failed",
    "command.timed_out": "failed",
    "command.expired": "failed",
}


def minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def intervention_figures(start: datetime, end: datetime) -> dict:
    """Interventions reported in the period, and how fast teams reached them against their
    target time."""
    reported = Intervention.objects.filter(reported_at__gte=start, reported_at__lt=end)
    reached = list(
        reported.exclude(on_site_at=None).values_list("reported_at", "on_site_at", "target_at")
    )
    waits = [minutes(on_site - at) for at, on_site, _ in reached]
    with_target = [(on_site, target) for _, on_site, target in reached if target]
    return {
        "reported": reported.count(),
        "by_status": dict(reported.values_list("status").annotate(n=Count("id")).order_by()),
        "reached": len(reached),
        "median_minutes_to_site": median(waits) if waits else None,
        "on_time": sum(on_site <= target for on_site, target in with_target),
        "with_target": len(with_target),
    }


def period_report(start: datetime, end: datetime) -> dict:
    events = Event.objects.filter(time__gte=start, time__lt=end)
    alarms = kpis.alarm_kpis(start, end)
    alerts_by_category = Counter(
        (event.payload.get("alert") or {}).get("category") or "—"
        for event in events.filter(kind="alert.raised").only("payload")
        if kpis.is_alarm(event)
    )
    commands = Counter()
    for kind, n in (
        events.filter(kind__in=COMMAND_KINDS)
        .values_list("kind")
        .annotate(n=Count("seq"))
        .order_by()
    ):
        commands[COMMAND_KINDS[kind]] += n
    calls = (
        Call.objects.filter(started_at__gte=start, started_at__lt=end)
        .values_list("category__name")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    crisis = ModeActivation.objects.filter(
        Q(deactivated_at=None) | Q(deactivated_at__gte=start), activated_at__lt=end
    ).select_related("mode")
    entries = timeline({"since": start, "until": end})
    total = entries.count()
    return {
        "start": start,
        "end": end,
        "events": total,
        "alarms": alarms,
        "alerts_by_category": alerts_by_category.most_common(),
        "calls": [(name or "—", n) for name, n in calls],
        "calls_total": sum(n for _, n in calls),
        "interventions": intervention_figures(start, end),
        "commands": {"acknowledged": commands["acknowledged"], "failed": commands["failed"]},
        "crisis": [
            {"mode": a.mode.name, "from": a.activated_at, "to": a.deactivated_at} for a in crisis
        ],
        # Oldest first, as a report reads; the CSV holds the whole period.
        "timeline": list(reversed(entries[:TIMELINE_ROWS])),
        "timeline_left_out": max(0, total - TIMELINE_ROWS),
    }

"""The room's reports: over a period (a shift, a day, an after-action review of any period or of
one crisis activation) and of the city now (the situation report, SITREP). Read from the events
log and the rows it describes; one place computes the figures, the printed page, the PDF
(supervision/shift/pdf.py) and the spreadsheet render them. Nothing here writes."""

from collections import Counter
from datetime import datetime, timedelta
from statistics import median

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from equipment.models import Command, Equipment
from hotline.models import Call
from interventions.models import Intervention, Team
from supervision.alerts import kpis
from supervision.alerts.flood import in_flood
from supervision.log.kinds import kind_name
from supervision.log.timeline import timeline
from supervision.models import OPEN_ALERT_STATUSES, Alert, Event, ModeActivation

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
    # Oldest first, as a report reads; the CSV holds the whole period.
    shown = list(reversed(entries[:TIMELINE_ROWS]))
    for event in shown:
        event.kind_label = kind_name(event.kind)
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
            {"mode": a.mode.name, "from": a.activated_at, "to": a.deactivated_at, "pk": a.pk}
            for a in crisis
        ],
        "command_log": command_figures(
            Command.objects.filter(requested_at__gte=start, requested_at__lt=end)
        ),
        "timeline": shown,
        "targets": {
            "acceptable": kpis.ACCEPTABLE_PER_HOUR,
            "manageable": kpis.MANAGEABLE_PER_HOUR,
        },
        "timeline_left_out": max(0, total - TIMELINE_ROWS),
    }


FAILED_COMMANDS = (Command.Status.FAILED, Command.Status.TIMED_OUT, Command.Status.EXPIRED)
IN_FLIGHT_COMMANDS = (Command.Status.REQUESTED, Command.Status.SENT)


def command_figures(commands) -> dict:
    """Commands asked for, how many the devices acknowledged, failed or still owe, and how fast
    they acknowledged (request to acknowledgement, median seconds)."""
    by_status = dict(commands.values_list("status").annotate(n=Count("id")).order_by())
    acknowledged = commands.filter(status=Command.Status.ACKNOWLEDGED).exclude(finished_at=None)
    waits = [
        (finished - requested).total_seconds()
        for requested, finished in acknowledged.values_list("requested_at", "finished_at")
    ]
    return {
        "requested": sum(by_status.values()),
        "acknowledged": by_status.get(Command.Status.ACKNOWLEDGED, 0),
        "failed": sum(by_status.get(status, 0) for status in FAILED_COMMANDS),
        "in_flight": sum(by_status.get(status, 0) for status in IN_FLIGHT_COMMANDS),
        "median_seconds_to_acknowledge": round(median(waits), 1) if waits else None,
    }


def activation_period(activation: ModeActivation) -> tuple[datetime, datetime]:
    """A crisis activation's hours, its deactivation included (the end's events are its last
    entries); still active: up to now."""
    if activation.deactivated_at is None:
        return activation.activated_at, timezone.now()
    return activation.activated_at, activation.deactivated_at + timedelta(microseconds=1)


def activation_report(activation: ModeActivation) -> dict:
    """The after-action report of one crisis activation: the period's report, with the
    commands its playbook sent (origin "crisis:<id>") and its steps."""
    report = period_report(*activation_period(activation))
    report["activation"] = {
        "pk": activation.pk,
        "mode": activation.mode.name,
        "reason": activation.reason,
        "activated_by": str(activation.activated_by or ""),
        "deactivated_by": str(activation.deactivated_by or ""),
        "activated_at": activation.activated_at,
        "deactivated_at": activation.deactivated_at,
        "steps": [
            {
                "position": step.get("position"),
                "summary": step.get("summary", ""),
                # kept in the log's words (crisis.services.STEP_STATUSES), read translated
                "status": gettext(step.get("status", "")),
            }
            for step in activation.steps
        ],
    }
    report["command_log"] = command_figures(
        Command.objects.filter(origin=f"crisis:{activation.pk}")
    )
    return report


SITREP_ALERTS = 10
CLOSED_INTERVENTIONS = (
    Intervention.Status.RESOLVED,
    Intervention.Status.CLOSED,
    Intervention.Status.CANCELLED,
)
OPERATIONAL = (Equipment.Status.OK, Equipment.Status.DEGRADED)


def situation_report(now: datetime | None = None) -> dict:
    """The city now (SITREP): the mode it is in, what is open (alerts one per cause, the
    interventions and how late they are), the means at hand (teams, equipment), and the day so
    far (calls, commands, alarm load)."""
    now = now or timezone.now()
    worked = Alert.objects.filter(status__in=OPEN_ALERT_STATUSES, parent=None)
    on_desk = worked.filter(shelved_until=None)
    by_severity = dict(on_desk.values_list("severity").annotate(n=Count("id")).order_by())
    interventions = Intervention.objects.exclude(status__in=CLOSED_INTERVENTIONS)
    equipment = Equipment.objects.values_list("kind").annotate(
        total=Count("id"), operational=Count("id", filter=Q(status__in=OPERATIONAL))
    )
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(now), datetime.min.time()))
    active = ModeActivation.objects.filter(deactivated_at=None).select_related("mode")
    return {
        "now": now,
        "crisis": [
            {"mode": a.mode.name, "from": a.activated_at, "reason": a.reason, "pk": a.pk}
            for a in active.order_by("activated_at")
        ],
        "flood": in_flood(),
        "alerts": {
            "open": on_desk.count(),
            "shelved": worked.exclude(shelved_until=None).count(),
            "by_severity": [(level, by_severity.get(level, 0)) for level in range(5, 0, -1)],
            "by_category": list(
                on_desk.values_list("category").annotate(n=Count("id")).order_by("-n", "category")
            ),
            "top": list(on_desk.order_by("-severity", "-raised_at")[:SITREP_ALERTS]),
        },
        "interventions": {
            "open": interventions.count(),
            "by_status": labelled(
                Intervention.Status,
                interventions.values_list("status").annotate(n=Count("id")).order_by("status"),
            ),
            "late": interventions.filter(target_at__lt=now, on_site_at=None).count(),
        },
        "teams": labelled(
            Team.Status, Team.objects.values_list("status").annotate(n=Count("id")).order_by()
        ),
        "equipment": [
            (label_of(Equipment.Kind, kind), total, operational)
            for kind, total, operational in equipment.order_by("kind")
        ],
        "today": period_report(midnight, now),
    }


def label_of(choices, code: str) -> str:
    """A choice's name in the active language; a code outside the choices as it is."""
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def labelled(choices, rows) -> list[tuple[str, int]]:
    return [(label_of(choices, code), n) for code, n in rows]

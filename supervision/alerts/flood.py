"""Flood mode: when alerts come faster than an operator can work them.

ISA-18.2, IEC 62682 and EEMUA 191 call more than 10 new alarms in 10 minutes per operator a
flood. The rate counts one alert per cause (a parent and its children are one), over the
operator positions of the room (`ALARM_POSITIONS`). A periodic job (`check_flood`) compares
it with the threshold and tells the room by an event when a flood starts and when it ends;
the events log is the flood's state, so every process agrees and a restart loses nothing.
During a flood the desk shows the flood view (`flood_groups`): the open alerts grouped by
cause, district and kind, counts by severity, the highest priority first.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from ondijon import bus
from supervision.models import OPEN_ALERT_STATUSES, Alert, Event

FLOOD_STARTED = "alarm.flood_started"
FLOOD_ENDED = "alarm.flood_ended"


def alarm_rate(now: datetime | None = None) -> float:
    """New alerts per position over the flood window, one per cause."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.ALARM_FLOOD_WINDOW_SECONDS)
    raised = Alert.objects.filter(raised_at__gt=since, raised_at__lte=now, parent=None).count()
    return raised / max(settings.ALARM_POSITIONS, 1)


def in_flood() -> bool:
    last = Event.objects.filter(kind__in=(FLOOD_STARTED, FLOOD_ENDED)).order_by("-seq").first()
    return last is not None and last.kind == FLOOD_STARTED


@transaction.atomic
def check_flood(now: datetime | None = None) -> bool:
    """Start or end the flood as the rate says; whether the room is in a flood now."""
    now = now or timezone.now()
    rate = alarm_rate(now)
    flooding = in_flood()
    threshold = settings.ALARM_FLOOD_THRESHOLD
    payload = {
        "rate": rate,
        "threshold": threshold,
        "window_seconds": settings.ALARM_FLOOD_WINDOW_SECONDS,
        "positions": settings.ALARM_POSITIONS,
    }
    if not flooding and rate > threshold:
        bus.emit(
            FLOOD_STARTED, subject_type="platform", subject_label="Alarm flood", payload=payload
        )
        return True
    if flooding and rate <= threshold:
        bus.emit(FLOOD_ENDED, subject_type="platform", subject_label="Alarm flood", payload=payload)
        return False
    return flooding


def flood_groups(limit: int = 30) -> list[dict]:
    """The open alerts (one per cause) by category, district and rule; most severe first."""
    rows = (
        Alert.objects.filter(status__in=OPEN_ALERT_STATUSES, parent=None, shelved_until=None)
        .values("category", "equipment__district__name", "rule__name")
        .annotate(
            total=Count("id"),
            highest=Max("severity"),
            **{f"s{level}": Count("id", filter=Q(severity=level)) for level in range(1, 6)},
        )
        .order_by("-highest", "-total")
    )
    return [
        {
            "category": row["category"],
            "district": row["equipment__district__name"] or "",
            "rule": row["rule__name"] or "",
            "total": row["total"],
            "highest": row["highest"],
            "by_severity": [row[f"s{level}"] for level in range(5, 0, -1)],
        }
        for row in rows[:limit]
    ]

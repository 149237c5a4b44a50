"""Alarm KPIs, read from the events log over a chosen period (ISA-18.2 / IEC 62682 / EEMUA 191).

An alarm, for these figures, is an alert that reached the desk by itself: its `alert.raised`
event shows no parent (an alert grouped under its cause when it was raised is a line under
that cause, not one more alarm for the operator). The rate is per operator position
(`ALARM_POSITIONS`). The targets are the standards' own: about 6 alarms an hour per position
is "very likely acceptable", 12 "maximum manageable", more than 10 in 10 minutes a flood.

Everything here reads events; nothing writes (the KPIs page and API are views on the log).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from django.conf import settings
from django.utils.dateparse import parse_datetime

from equipment.models import Equipment
from supervision.alerts.flood import FLOOD_ENDED, FLOOD_STARTED
from supervision.models import AlertRule, Event

ACCEPTABLE_PER_HOUR = 6  # ISA-18.2: "very likely acceptable"
MANAGEABLE_PER_HOUR = 12  # ISA-18.2: "maximum manageable"
# An alert raised again this often is chattering (ISA-18.2: 3 or more in a minute).
CHATTER_RETURNS = 3
CHATTER_WINDOW = timedelta(seconds=60)
STANDING_AFTER = timedelta(hours=24)  # EEMUA 191: an alarm standing longer than a day
TOP = 10
ENDING_KINDS = ("alert.resolved", "alert.closed")


@dataclass
class AlarmKpis:
    start: datetime
    end: datetime
    positions: int
    alarms: int = 0
    per_hour: list[tuple[datetime, float]] = field(default_factory=list)
    per_ten_minutes: list[tuple[datetime, float]] = field(default_factory=list)
    flood_share: float = 0.0
    flood_threshold: int = 10
    top_rules: list[tuple[str, int]] = field(default_factory=list)
    top_devices: list[tuple[str, int]] = field(default_factory=list)
    chattering: list[tuple[str, int]] = field(default_factory=list)
    standing: list[tuple[str, datetime]] = field(default_factory=list)
    acknowledged: int = 0
    acknowledge_median_s: float | None = None
    acknowledge_p90_s: float | None = None

    @property
    def hours(self) -> float:
        return max((self.end - self.start).total_seconds() / 3600, 1e-9)

    @property
    def average_per_hour(self) -> float:
        """Alarms per position per hour over the whole period."""
        return self.alarms / self.positions / self.hours

    @property
    def peak_per_hour(self) -> float:
        return max((rate for _, rate in self.per_hour), default=0.0)

    @property
    def peak_per_ten_minutes(self) -> float:
        return max((rate for _, rate in self.per_ten_minutes), default=0.0)

    @property
    def verdict(self) -> str:
        """Where the average stands against the targets: acceptable, manageable or overloaded."""
        rate = self.average_per_hour
        if rate <= ACCEPTABLE_PER_HOUR:
            return "acceptable"
        return "manageable" if rate <= MANAGEABLE_PER_HOUR else "overloaded"

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "positions": self.positions,
            "alarms": self.alarms,
            "average_per_hour": round(self.average_per_hour, 2),
            "peak_per_hour": round(self.peak_per_hour, 2),
            "peak_per_ten_minutes": round(self.peak_per_ten_minutes, 2),
            "per_hour": [{"start": t.isoformat(), "rate": round(r, 2)} for t, r in self.per_hour],
            "per_ten_minutes": [
                {"start": t.isoformat(), "rate": round(r, 2)} for t, r in self.per_ten_minutes
            ],
            "flood_share": round(self.flood_share, 4),
            "flood_threshold": self.flood_threshold,
            "top_rules": [{"name": n, "alarms": c} for n, c in self.top_rules],
            "top_devices": [{"name": n, "alarms": c} for n, c in self.top_devices],
            "chattering": [{"alert": n, "returns": c} for n, c in self.chattering],
            "standing": [{"alert": n, "raised_at": t.isoformat()} for n, t in self.standing],
            "acknowledged": self.acknowledged,
            "acknowledge_median_s": self.acknowledge_median_s,
            "acknowledge_p90_s": self.acknowledge_p90_s,
            "targets": {
                "acceptable_per_hour": ACCEPTABLE_PER_HOUR,
                "manageable_per_hour": MANAGEABLE_PER_HOUR,
                "flood_per_ten_minutes": self.flood_threshold,
            },
            "verdict": self.verdict,
        }


def is_alarm(event: Event) -> bool:
    """An `alert.raised` that reached the desk by itself (not under a cause)."""
    return not (event.payload.get("alert") or {}).get("parent")


def buckets(
    times: list[datetime], start: datetime, end: datetime, width: timedelta, positions: int
) -> list[tuple[datetime, float]]:
    """Alarms per position in each slot of `width` from `start` (the last slot may be short)."""
    counts: Counter[int] = Counter(int((t - start) / width) for t in times)
    slots = []
    slot_start, index = start, 0
    while slot_start < end:
        slots.append((slot_start, counts[index] / positions))
        index += 1
        slot_start = start + index * width
    return slots


def flood_share(start: datetime, end: datetime) -> float:
    """Share of the period the room spent in a flood, from the flood events."""
    before = (
        Event.objects.filter(kind__in=(FLOOD_STARTED, FLOOD_ENDED), time__lt=start)
        .order_by("-seq")
        .values_list("kind", flat=True)
        .first()
    )
    flooding_since = start if before == FLOOD_STARTED else None
    flooded = timedelta()
    changes = Event.objects.filter(
        kind__in=(FLOOD_STARTED, FLOOD_ENDED), time__gte=start, time__lt=end
    ).values_list("kind", "time")
    for kind, time in changes:
        if kind == FLOOD_STARTED and flooding_since is None:
            flooding_since = time
        elif kind == FLOOD_ENDED and flooding_since is not None:
            flooded += time - flooding_since
            flooding_since = None
    if flooding_since is not None:
        flooded += end - flooding_since
    return flooded / (end - start) if end > start else 0.0


def chattering_alerts(start: datetime, end: datetime) -> list[tuple[str, int]]:
    """Alerts raised or returning `CHATTER_RETURNS` times within a minute, with their count."""
    times: dict[str, list[datetime]] = defaultdict(list)
    labels: dict[str, str] = {}
    events = Event.objects.filter(
        subject_type="alert",
        time__gte=start,
        time__lt=end,
        kind__in=("alert.raised", "alert.updated"),
    ).values_list("kind", "subject_id", "subject_label", "time", "payload__reason")
    for kind, subject, label, time, reason in events:
        if kind == "alert.raised" or reason == "condition_returned":
            times[subject].append(time)
            labels[subject] = label
    found = []
    for subject, stamps in times.items():
        stamps.sort()
        if any(
            stamps[i + CHATTER_RETURNS - 1] - stamps[i] <= CHATTER_WINDOW
            for i in range(len(stamps) - CHATTER_RETURNS + 1)
        ):
            found.append((labels[subject], len(stamps)))
    return sorted(found, key=lambda pair: -pair[1])[:TOP]


def standing_alarms(end: datetime, limit: int = TOP) -> list[tuple[str, datetime]]:
    """Alarms raised more than `STANDING_AFTER` before `end` and still not resolved then."""
    before = end - STANDING_AFTER
    raised = dict(
        Event.objects.filter(
            kind="alert.raised", subject_type="alert", time__lt=before
        ).values_list("subject_id", "time")
    )
    if not raised:
        return []
    ended = set(
        Event.objects.filter(kind__in=ENDING_KINDS, subject_type="alert", time__lt=end).values_list(
            "subject_id", flat=True
        )
    )
    standing = sorted((t, s) for s, t in raised.items() if s not in ended)[:limit]
    labels = dict(
        Event.objects.filter(
            kind="alert.raised", subject_id__in=[s for _, s in standing]
        ).values_list("subject_id", "subject_label")
    )
    return [(labels.get(s, s), t) for t, s in standing]


def acknowledge_times(start: datetime, end: datetime) -> list[float]:
    """Seconds from raise to acknowledgement, for alarms acknowledged by themselves."""
    seconds = []
    events = Event.objects.filter(
        kind="alert.acknowledged", time__gte=start, time__lt=end
    ).values_list("time", "payload")
    for time, payload in events:
        if payload.get("parent"):
            continue  # acknowledged with its cause: one act, counted once
        raised = parse_datetime((payload.get("alert") or {}).get("raised_at") or "")
        if raised is not None:
            seconds.append((time - raised).total_seconds())
    return seconds


def alarm_kpis(start: datetime, end: datetime, positions: int | None = None) -> AlarmKpis:
    """The room's alarm KPIs over [start, end), from the events log."""
    positions = max(positions or settings.ALARM_POSITIONS, 1)
    kpis = AlarmKpis(start, end, positions, flood_threshold=settings.ALARM_FLOOD_THRESHOLD)
    raised = [
        event
        for event in Event.objects.filter(
            kind="alert.raised", subject_type="alert", time__gte=start, time__lt=end
        ).only("time", "payload", "subject_label")
        if is_alarm(event)
    ]
    kpis.alarms = len(raised)
    times = [event.time for event in raised]
    kpis.per_hour = buckets(times, start, end, timedelta(hours=1), positions)
    kpis.per_ten_minutes = buckets(times, start, end, timedelta(minutes=10), positions)
    kpis.flood_share = flood_share(start, end)
    by_rule = Counter((event.payload.get("alert") or {}).get("rule") for event in raised)
    names = dict(
        AlertRule.objects.filter(pk__in=[r for r in by_rule if r]).values_list("pk", "name")
    )
    kpis.top_rules = [
        (names.get(rule, str(rule)) if rule else "—", count)
        for rule, count in by_rule.most_common(TOP)
    ]
    by_device = Counter((event.payload.get("alert") or {}).get("equipment") for event in raised)
    by_device.pop(None, None)
    codes = dict(Equipment.objects.filter(pk__in=list(by_device)).values_list("pk", "code"))
    kpis.top_devices = [
        (codes.get(device, str(device)), count) for device, count in by_device.most_common(TOP)
    ]
    kpis.chattering = chattering_alerts(start, end)
    kpis.standing = standing_alarms(end)
    seconds = sorted(acknowledge_times(start, end))
    kpis.acknowledged = len(seconds)
    if seconds:
        kpis.acknowledge_median_s = round(median(seconds), 1)
        kpis.acknowledge_p90_s = round(seconds[min(len(seconds) - 1, int(0.9 * len(seconds)))], 1)
    return kpis

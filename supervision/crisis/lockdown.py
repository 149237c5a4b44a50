"""Telesurveillance of locked buildings: a door or intrusion event at a building whose access
controller is locked raises a high-severity alert, unless an allowed person badged in within
their time window."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from equipment.models import Command, Equipment, Reading
from supervision.alerts.services import raise_alert, update_alert
from supervision.models import Alert

DOOR_EVENTS = {"open", "opened", "forced"}
SCAN_WINDOW = timedelta(minutes=10)


def is_access_event(metrics: dict) -> bool:
    return (
        str(metrics.get("door", "")).lower() in DOOR_EVENTS
        or bool(metrics.get("intrusion"))
        or str(metrics.get("event", "")).lower() in {"door_open", "door_forced", "intrusion"}
    )


def allowed_entry(device: Equipment, reading: Reading) -> bool:
    """A badge of the allow-list, used within its daily window (local time), is no alarm."""
    badge = str(reading.metrics.get("badge") or "")
    if not badge or reading.metrics.get("intrusion"):
        return False
    clock = timezone.localtime(reading.time).strftime("%H:%M")
    return any(
        person.get("badge") == badge and person["from"] <= clock <= person["until"]
        for person in device.state.get("allow") or []
    )


def locked_since(device: Equipment):
    """When the device acknowledged its latest lock command."""
    return Command.objects.filter(
        equipment=device, action="lock", status=Command.Status.ACKNOWLEDGED
    ).aggregate(at=Max("finished_at"))["at"]


def condition_key(device: Equipment) -> str:
    return f"lockdown:{device.code}"


def watch_locked_buildings() -> int:
    """The periodic job: alerts for new door or intrusion events at locked buildings."""
    raised = 0
    now = timezone.now()
    for device in Equipment.objects.filter(kind=Equipment.Kind.BUILDING_ACCESS).select_related(
        "site"
    ):
        if device.state.get("locked") is not True:
            continue
        since = locked_since(device) or now - SCAN_WINDOW
        raised += check_device(device, max(since, now - SCAN_WINDOW))
    return raised


@transaction.atomic
def check_device(device: Equipment, since) -> int:
    alerts = Alert.objects.filter(condition_key=condition_key(device))
    seen = max((a.details.get("last_reading", 0) for a in alerts), default=0)
    events = [
        reading
        for reading in Reading.objects.filter(
            equipment=device, pk__gt=seen, time__gte=since
        ).order_by("pk")
        if is_access_event(reading.metrics) and not allowed_entry(device, reading)
    ]
    if not events:
        return 0
    details = {
        "last_reading": events[-1].pk,
        "events": len(events),
        "last_event": events[-1].metrics,
        "last_event_at": events[-1].time.isoformat(),
    }
    open_alert = alerts.exclude(status__in=[Alert.Status.RESOLVED, Alert.Status.CLOSED]).first()
    if open_alert:
        details["events"] += open_alert.details.get("events", 0)
        update_alert(open_alert, {"details": {**open_alert.details, **details}})
        return 0
    place = device.site.name if device.site else device.code
    raise_alert(
        {
            "title": _("Door or intrusion at locked building %(place)s") % {"place": place},
            "source": Alert.Source.DEVICE,
            "severity": Alert.Severity.HIGH,
            "category": "intrusion",
            "condition_key": condition_key(device),
            "equipment": device,
            "details": details,
        }
    )
    return 1

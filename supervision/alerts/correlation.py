"""Correlation: one cause, one alert on the desk.

When a lighting cabinet (its gateway, its power) fails, the 50 lamps it feeds fall silent
too: their alerts are the consequences of one cause. The city's own topology says so
(`Equipment.parent`: the cabinet that feeds a lamp, the controller of a junction's priority
point), so a new alert is grouped under the open alert of the equipment that feeds it, and an
alert raised for that equipment takes the open alerts of what it feeds as its children,
whichever came first. Without a topological cause, a storm of one rule over one site or
district (`AlertRule.group_by`, from `group_threshold` open alerts) becomes the children of
one group alert.

Children are listed under their parent and worked with it: acknowledging, resolving or
closing the parent does the same to the children that follow it, and clearing it clears them
(supervision/alerts/services.py, rules.py). Every change returns its event records, emitted
by the caller with the rest of its batch (one door).
"""

from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from equipment.models import District, Equipment, Site
from ondijon import bus
from supervision.alerts.services import alert_record
from supervision.models import OPEN_ALERT_STATUSES, Alert, AlertRule

GROUP_KEY_PREFIX = "group:"


def open_top_level() -> "Q":
    return Q(status__in=OPEN_ALERT_STATUSES, parent=None)


def group_key(rule: AlertRule, place: str, place_id: int) -> str:
    return f"{GROUP_KEY_PREFIX}rule:{rule.pk}:{place}:{place_id}"


def correlate(alert: Alert, now: datetime) -> list[bus.EventRecord]:
    """Group a newly raised alert: under its cause, over its consequences, or into a storm."""
    if alert.equipment_id is None and not alert.details.get("site"):
        return []
    equipment = alert.equipment
    records: list[bus.EventRecord] = []
    cause = None
    if equipment is not None and equipment.parent_id:
        cause = (
            Alert.objects.filter(open_top_level(), equipment_id=equipment.parent_id)
            .order_by("-severity", "raised_at")
            .first()
        )
    if cause is not None:
        records += attach(cause, [alert], now)
    if equipment is not None:
        # A topological cause beats a storm: alerts grouped by place move under it.
        fed = list(
            Alert.objects.filter(
                Q(parent=None) | Q(parent__condition_key__startswith=GROUP_KEY_PREFIX),
                status__in=OPEN_ALERT_STATUSES,
                equipment__parent_id=equipment.pk,
            ).exclude(pk=alert.pk)
        )
        if fed and alert.parent_id is None:
            records += attach(alert, fed, now)
    if alert.parent_id is None and alert.rule_id and not alert.details.get("children"):
        records += group_storm(alert, now)
    return records


def attach(parent: Alert, children: list[Alert], now: datetime) -> list[bus.EventRecord]:
    """The children follow `parent` from now on; the parent's title counts them."""
    records = []
    for child in children:
        child.parent, child.updated_at = parent, now
        child.save(update_fields=["parent", "updated_at"])
        records.append(alert_record("alert.grouped", child, parent=parent.pk))
    count = parent.children.count()
    parent.details = {
        **parent.details,
        "children": count,
        "headline": parent.details.get("headline") or parent.title,
    }
    parent.title = headline(parent, count)[:200]
    parent.updated_at = now
    parent.save(update_fields=["details", "title", "updated_at"])
    records.append(alert_record("alert.updated", parent, reason="children", children=count))
    return records


def headline(parent: Alert, count: int) -> str:
    """What the desk reads for a parent: the cause and how much it takes down."""
    equipment = parent.equipment
    if equipment is not None and equipment.kind == Equipment.Kind.LIGHTING_CABINET:
        return ngettext(
            "Cabinet %(code)s offline: %(count)d streetlight affected",
            "Cabinet %(code)s offline: %(count)d streetlights affected",
            count,
        ) % {"code": equipment.code, "count": count}
    return ngettext(
        "%(title)s: %(count)d alert grouped",
        "%(title)s: %(count)d alerts grouped",
        count,
    ) % {"title": parent.details.get("headline") or parent.title, "count": count}


def group_storm(alert: Alert, now: datetime) -> list[bus.EventRecord]:
    """A rule raising over and over in one place: its alerts there become one group."""
    rule = alert.rule
    if rule is None or not rule.group_by:
        return []
    place_id = place_of(alert, rule.group_by)
    if place_id is None:
        return []
    key = group_key(rule, rule.group_by, place_id)
    group = Alert.objects.filter(condition_key=key, status__in=OPEN_ALERT_STATUSES).first()
    if group is not None:
        if group.cleared_at is not None:
            # The storm had calmed down and starts again: the group holds once more.
            group.cleared_at = None
            group.save(update_fields=["cleared_at"])
        return attach(group, [alert], now)
    place_filter = (
        Q(equipment__district_id=place_id)
        if rule.group_by == AlertRule.GroupBy.DISTRICT
        else Q(details__site=place_id) | Q(equipment__site_id=place_id)
    )
    storm = list(
        Alert.objects.filter(open_top_level(), place_filter, rule=rule, cleared_at=None).exclude(
            details__has_key="children"
        )
    )
    if len(storm) < max(rule.group_threshold, 2):
        return []
    place = (
        District.objects.get(pk=place_id)
        if rule.group_by == AlertRule.GroupBy.DISTRICT
        else Site.objects.get(pk=place_id)
    )
    group = Alert.objects.create(
        title=_("%(rule)s in %(place)s") % {"rule": rule.name, "place": place.name},
        source=Alert.Source.RULE,
        severity=max(a.severity for a in storm),
        category=rule.category,
        condition_key=key,
        latitude=getattr(place, "center_latitude", None) or getattr(place, "latitude", None),
        longitude=getattr(place, "center_longitude", None) or getattr(place, "longitude", None),
        rule=rule,
        raised_at=now,
        updated_at=now,
        details={"rule": rule.name, "group": rule.group_by, "place": place.name},
    )
    group.details["headline"] = group.title
    return [alert_record("alert.raised", group), *attach(group, storm, now)]


def place_of(alert: Alert, group_by: str) -> int | None:
    equipment = alert.equipment
    if group_by == AlertRule.GroupBy.DISTRICT:
        return equipment.district_id if equipment else None
    return alert.details.get("site") or (equipment.site_id if equipment else None)


def clear_followers(parent: Alert, now: datetime) -> list[bus.EventRecord]:
    """The cause is gone: so are the consequences that followed it."""
    records = []
    for child in parent.children.filter(status__in=OPEN_ALERT_STATUSES, cleared_at=None):
        child.cleared_at = child.updated_at = now
        child.save(update_fields=["cleared_at", "updated_at"])
        records.append(alert_record("alert.cleared", child, reason="parent_cleared"))
    return records


def clear_finished_group(child: Alert, now: datetime) -> list[bus.EventRecord]:
    """A storm's group alert clears once none of its children still holds."""
    parent = child.parent
    if parent is None or not parent.condition_key.startswith(GROUP_KEY_PREFIX):
        return []
    if parent.cleared_at or parent.children.filter(cleared_at=None).exists():
        return []
    parent.cleared_at = parent.updated_at = now
    parent.save(update_fields=["cleared_at", "updated_at"])
    return [alert_record("alert.cleared", parent, reason="children_cleared")]

"""Alert rules: evaluated in memory on each telemetry batch, and periodically for time.

A rule's condition for one device (or site) lives in a `RuleCondition` row only while it
holds or is ending, so a batch of normal readings writes nothing here. The lifecycle:

- the condition starts (pending) -> it lasts `duration_seconds` -> the alert is raised once;
- it lasts on -> the alert is updated (at most every ALERT_UPDATE_SECONDS);
- it ends -> after `clear_after_seconds` without coming back the alert is cleared (a
  flapping sensor that comes back in between keeps the same alert: hysteresis in time),
  and `clear_value` gives hysteresis in value;
- it comes back while the alert is still open (not closed) -> the same alert is updated.

Every step returns event records; the caller emits them once for the whole batch.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from equipment import services as equipment_services
from equipment.catalogue import CATALOGUE
from equipment.ingest import DeviceUpdate
from equipment.models import Equipment, Site
from interventions.models import Service
from ondijon import bus
from supervision.alerts import correlation
from supervision.alerts.services import alert_record
from supervision.models import OPEN_ALERT_STATUSES, Alert, AlertRule, RuleCondition

ALERT_UPDATE_SECONDS = 60
# ISA-18.2's chattering alarm: raised again and again in a short time, folded into one alert.
CHATTER_RETURNS = 3
CHATTER_WINDOW_SECONDS = 60
ABSENCE_CHECK_LIMIT = 2000  # devices marked offline per check: a network outage spreads out
STEP_ACTIONS = {"create_intervention": "service", "send_command": "command"}

Kind = AlertRule.Kind


# --- the rules ----------------------------------------------------------------------------


def active_rules() -> list[AlertRule]:
    """The enabled rules as the caller's transaction sees them.

    Read afresh for every batch and every periodic check (one query on a small table, about
    what a version check would cost): so a rule edited, disabled or deleted, by the admin, a
    bulk update or a shell, applies from the next batch in every process, and an edit rolled
    back never applies. A rule kept in memory could outlive its row, and the batch's conditions
    and alerts would then point at a rule that no longer exists.
    """
    return list(AlertRule.objects.filter(enabled=True))


def rule_problems(rule: AlertRule) -> dict[str, str]:
    """What an administrator must fix before a rule can be saved."""
    problems = {}
    watches_metric = rule.kind in (Kind.THRESHOLD, Kind.OCCUPANCY, Kind.COUNTER, Kind.DETECTION)
    if watches_metric and not rule.metric:
        problems["metric"] = _("This kind of rule watches a metric.")
    equals = rule.comparison == AlertRule.Comparison.EQUALS
    if rule.kind == Kind.THRESHOLD and equals and not rule.match_text:
        problems["match_text"] = _("Give the text the metric must equal, for example flash.")
    if rule.kind == Kind.THRESHOLD and not equals and rule.value is None:
        problems["value"] = _("A threshold rule needs a value.")
    if rule.kind == Kind.THRESHOLD and None not in (rule.value, rule.clear_value) and not equals:
        above = rule.comparison == AlertRule.Comparison.ABOVE
        if (rule.clear_value > rule.value) if above else (rule.clear_value < rule.value):
            problems["clear_value"] = _("The clear value must lie on the normal side of the value.")
    if rule.kind == Kind.DETECTION and not rule.match_text:
        problems["match_text"] = _("Name the detection type, for example bus_lane.")
    if rule.kind == Kind.ABSENCE and rule.duration_seconds < 60:
        problems["duration_seconds"] = _("Silence shorter than a minute is not an absence.")
    steps = rule.suggested_steps
    if not isinstance(steps, list) or not all(
        isinstance(step, dict)
        and step.get("action") in STEP_ACTIONS
        and isinstance(step.get(STEP_ACTIONS[step["action"]]), str)
        for step in steps
    ):
        problems["suggested_steps"] = _(
            'Each step is {"action": "create_intervention", "service": "..."} '
            'or {"action": "send_command", "command": "..."}.'
        )
    else:
        unusable = [step_catalogue_problem(rule, step) for step in steps]
        if any(unusable):
            problems["suggested_steps"] = " ".join(problem for problem in unusable if problem)
    return problems


def step_catalogue_problem(rule: AlertRule, step: dict) -> str:
    """Why a well-formed step could never be carried out from an alert of this rule."""
    if step["action"] == "create_intervention":
        if step["service"] not in Service.values:
            return _("Unknown service %(service)r: one of %(value)s.") % {
                "service": step["service"],
                "value": ", ".join(Service.values),
            }
        return ""
    if not rule.equipment_kind:
        return _("A command step needs the rule to name an equipment kind.")
    actions = CATALOGUE.get(rule.equipment_kind, {})
    action = actions.get(step["command"])
    if action is None:
        takes = ", ".join(actions) or _("no command")
        return _("%(equipment_kind)s devices take %(takes)s, not %(command)r.") % {
            "equipment_kind": rule.equipment_kind,
            "takes": takes,
            "command": step["command"],
        }
    if any(parameter.required for parameter in action.parameters):
        return _("%(command)r needs parameters, which a one-click step cannot give.") % {
            "command": step["command"]
        }
    return ""


def applies_to(rule: AlertRule, equipment_kind: str) -> bool:
    return not rule.equipment_kind or rule.equipment_kind == equipment_kind


def equipment_key(rule: AlertRule, equipment_id: int) -> str:
    return f"rule:{rule.pk}:equipment:{equipment_id}"


def site_key(rule: AlertRule, site_id: int) -> str:
    return f"rule:{rule.pk}:site:{site_id}"


@dataclass
class Subject:
    """What an alert is about: a device or a site."""

    label: str
    latitude: float | None
    longitude: float | None
    equipment_id: int | None = None
    site_id: int | None = None
    # Equipment in maintenance raises nothing (ISA-18.2 suppression by design).
    in_maintenance: bool = False


def equipment_subject(equipment: dict) -> Subject:
    return Subject(
        equipment["code"],
        equipment["latitude"],
        equipment["longitude"],
        equipment_id=equipment["id"],
        in_maintenance=equipment.get("status") == Equipment.Status.MAINTENANCE,
    )


def site_subject(site: Site) -> Subject:
    return Subject(site.name, site.latitude, site.longitude, site_id=site.pk)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def observe(rule: AlertRule, metrics: dict, active: bool) -> tuple[bool, Any] | None:
    """Whether a reading shows the condition; None when the reading says nothing about it."""
    value = metrics.get(rule.metric)
    if value is None:
        return None
    if rule.kind == Kind.THRESHOLD:
        if rule.comparison == AlertRule.Comparison.EQUALS:
            return value == rule.match_text, value
        if not is_number(value):
            return None
        return crosses(rule, value, active), value
    if rule.kind == Kind.OCCUPANCY:
        return bool(value), value
    if rule.kind == Kind.DETECTION:
        # A detection is a moment: silence afterwards ends it (see `end_quiet_detections`).
        return (True, value) if value == rule.match_text else None
    return None


def crosses(rule: AlertRule, value: float, active: bool) -> bool:
    above = rule.comparison == AlertRule.Comparison.ABOVE
    if (value > rule.value) if above else (value < rule.value):
        return True
    if active and rule.clear_value is not None:
        # Between the value and the clear value an ongoing condition goes on.
        return (value > rule.clear_value) if above else (value < rule.clear_value)
    return False


# --- conditions and alerts ------------------------------------------------------------


class ConditionBook:
    """The conditions one evaluation reads and changes, written back in bulk at the end."""

    def __init__(self, conditions: Iterable[RuleCondition], now: datetime):
        self.now = now  # the clock of alert timestamps; conditions follow reading times
        self.by_key = {condition.key: condition for condition in conditions}
        self.created: dict[str, RuleCondition] = {}
        self.changed: set[str] = set()
        self.deleted: set[str] = set()
        self.records: list[bus.EventRecord] = []
        self.subjects: dict[str, Subject] = {}

    def get(self, key: str) -> RuleCondition | None:
        return self.by_key.get(key)

    def observe(
        self,
        rule: AlertRule,
        key: str,
        subject: Subject,
        when: datetime,
        holds: bool,
        value: Any,
    ) -> None:
        condition = self.by_key.get(key)
        self.subjects[key] = subject
        if holds:
            if condition is None:
                condition = RuleCondition(
                    rule=rule,
                    key=key,
                    equipment_id=subject.equipment_id,
                    site_id=subject.site_id,
                    since=when,
                    last_true_at=when,
                    value=value,
                )
                self.by_key[key] = self.created[key] = condition
                self.deleted.discard(key)
                return
            if not condition.active:
                condition.active, condition.ended_at = True, None
                if condition.alert_id is None:
                    condition.since = when  # a new occurrence; the old one never raised
            condition.last_true_at = max(condition.last_true_at, when)
            condition.value = value
            self.changed.add(key)
        elif condition is not None and condition.active:
            condition.active, condition.ended_at, condition.value = False, when, value
            self.changed.add(key)

    def settle(self, rule: AlertRule, key: str, subject: Subject, when: datetime) -> None:
        """Raise, update or clear the alert of a condition, as time (`when`) says."""
        now = self.now
        condition = self.by_key.get(key)
        if condition is None:
            return
        alert = condition.alert if condition.alert_id else None
        if alert is not None and alert.status not in OPEN_ALERT_STATUSES:
            condition.alert, alert = None, None  # closed or resolved: the next one is new
            self.changed.add(key)
        if condition.active:
            if alert is None:
                if subject.in_maintenance:
                    return  # the condition is kept; it raises once the work is over
                if held(rule, condition, when) >= timedelta(seconds=rule.duration_seconds):
                    condition.alert = self.raise_alert(rule, condition, subject, now)
                    self.changed.add(key)
            elif alert.cleared_at is not None:
                self.update_alert(alert, condition, now, returned=True)
            elif now - alert.updated_at >= timedelta(seconds=ALERT_UPDATE_SECONDS):
                self.update_alert(alert, condition, now)
        elif alert is None:
            self.delete(key)
        elif when - condition.ended_at >= timedelta(seconds=rule.clear_after_seconds):
            alert.cleared_at = alert.updated_at = now
            alert.details = {**alert.details, "value": condition.value}
            alert.save(update_fields=["cleared_at", "updated_at", "details"])
            self.records.append(alert_record("alert.cleared", alert))
            self.records += correlation.clear_followers(alert, now)
            self.records += correlation.clear_finished_group(alert, now)
            self.delete(key)

    def raise_alert(
        self, rule: AlertRule, condition: RuleCondition, subject: Subject, now: datetime
    ) -> Alert:
        """Raised once per condition: an alert still open for it is taken up again."""
        alert = (
            Alert.objects.filter(condition_key=condition.key, status__in=OPEN_ALERT_STATUSES)
            .order_by("-raised_at")
            .first()
        )
        if alert is not None:
            self.update_alert(alert, condition, now, returned=True)
            return alert
        alert = Alert.objects.create(
            title=f"{rule.name}: {subject.label}",
            source=Alert.Source.RULE,
            severity=rule.severity,
            category=rule.category,
            condition_key=condition.key,
            equipment_id=subject.equipment_id,
            latitude=subject.latitude,
            longitude=subject.longitude,
            rule=rule,
            raised_at=now,
            updated_at=now,
            details={
                "rule": rule.name,
                "metric": rule.metric,
                "value": condition.value,
                "since": condition.since.isoformat(),
                "site": subject.site_id,
                "procedure": rule.procedure,
                "suggested_steps": rule.suggested_steps,
                "occurrences": 1,
            },
        )
        # The raised event tells whether the alert reached the desk by itself or under a
        # cause (the alarm rate and the KPIs count the former): correlate first.
        grouped = correlation.correlate(alert, now)
        alert.refresh_from_db(fields=["parent", "title", "details", "updated_at"])
        self.records += [alert_record("alert.raised", alert), *grouped]
        return alert

    def update_alert(
        self, alert: Alert, condition: RuleCondition, now: datetime, returned: bool = False
    ) -> None:
        details = {**alert.details, "value": condition.value}
        if returned:
            details["occurrences"] = details.get("occurrences", 1) + 1
            window = now - timedelta(seconds=CHATTER_WINDOW_SECONDS)
            returns = [t for t in details.get("returns", []) if t >= window.isoformat()]
            details["returns"] = [*returns, now.isoformat()][-CHATTER_RETURNS:]
            if len(details["returns"]) >= CHATTER_RETURNS:
                details["chattering"] = True
        alert.details, alert.updated_at = details, now
        alert.cleared_at = None
        alert.save(update_fields=["details", "updated_at", "cleared_at"])
        reason = "condition_returned" if returned else "condition_lasts"
        self.records.append(alert_record("alert.updated", alert, reason=reason))

    def delete(self, key: str) -> None:
        condition = self.by_key.pop(key, None)
        if condition is None:
            return
        self.created.pop(key, None)
        self.changed.discard(key)
        if condition.pk:
            self.deleted.add(key)

    def save(self) -> None:
        if self.deleted:
            RuleCondition.objects.filter(key__in=self.deleted).delete()
        if self.created:
            RuleCondition.objects.bulk_create(self.created.values())
        changed = sorted(
            (self.by_key[key] for key in self.changed if key not in self.created),
            key=lambda condition: condition.pk,
        )
        if changed:
            RuleCondition.objects.bulk_update(
                changed, ["active", "since", "last_true_at", "ended_at", "value", "alert"]
            )


def held(rule: AlertRule, condition: RuleCondition, when: datetime) -> timedelta:
    """How long the condition has held, for the rule's on-delay. A detection is a moment: it
    holds from its first sighting to its latest (a vehicle that stays is sighted again and
    again), not until the quiet that ends it, so a vehicle passing through raises nothing
    under an on-delay."""
    if rule.kind == Kind.DETECTION:
        return condition.last_true_at - condition.since
    return when - condition.since


def load_book(keys: Iterable[str] | Q, now: datetime) -> ConditionBook:
    if not isinstance(keys, Q) and not keys:
        return ConditionBook([], now)
    query = keys if isinstance(keys, Q) else Q(key__any_of=list(keys))
    return ConditionBook(
        RuleCondition.objects.filter(query).select_related("alert", "rule", "equipment", "site"),
        now,
    )


# --- on each telemetry batch ------------------------------------------------------------


def evaluate_batch(updates: list[DeviceUpdate], now: datetime) -> list[bus.EventRecord]:
    """Called by `equipment.ingest` inside the batch's transaction; returns alert events."""
    rules = active_rules()
    if not rules or not updates:
        return []
    device_rules = [r for r in rules if r.kind in (Kind.THRESHOLD, Kind.OCCUPANCY, Kind.DETECTION)]
    status_rules = [r for r in rules if r.kind == Kind.STATUS]
    absence_rules = [r for r in rules if r.kind == Kind.ABSENCE]
    counter_rules = [r for r in rules if r.kind == Kind.COUNTER]
    work: list[tuple[AlertRule, DeviceUpdate]] = []
    for update in updates:
        kind = update.equipment["kind"]
        for rule in device_rules:
            if applies_to(rule, kind) and any(rule.metric in m for _, m in update.readings):
                work.append((rule, update))
        for rule in status_rules:
            status = update.equipment["status"]
            watched = rule.match_text or Equipment.Status.FAULT
            if applies_to(rule, kind) and watched in (status, update.previous_status):
                work.append((rule, update))
        for rule in absence_rules:
            if applies_to(rule, kind) and update.previous_status == Equipment.Status.OFFLINE:
                work.append((rule, update))
    sites = {
        (rule, update.equipment["site_id"])
        for rule in counter_rules
        for update in updates
        if update.equipment["site_id"]
        and applies_to(rule, update.equipment["kind"])
        and any(rule.metric in m or rule.subtract_metric in m for _, m in update.readings)
    }
    if not work and not sites:
        return []
    keys = keys_to_load(work, sites)
    book = load_book(keys, now)
    loaded = set(keys)
    for rule, update in work:
        if equipment_key(rule, update.equipment["id"]) in loaded:
            evaluate_device(book, rule, update, now)
    for rule, site_id in sorted(sites, key=lambda pair: (pair[0].pk, pair[1])):
        evaluate_site(book, rule, Site.objects.get(pk=site_id), now)
    book.save()
    return book.records


def keys_to_load(
    work: list[tuple[AlertRule, DeviceUpdate]], sites: set[tuple[AlertRule, int]]
) -> list[str]:
    """The conditions an evaluation may touch: those that exist for the batch's devices and
    those a reading may start. In the common case (all is well, no condition exists) that is
    one narrow query on integers instead of loading a thousand keys that match nothing."""
    device_ids = {update.equipment["id"] for _, update in work}
    existing = set(
        RuleCondition.objects.filter(equipment__id__any_of=device_ids).values_list("key", flat=True)
    )
    keys = {site_key(rule, site_id) for rule, site_id in sites}
    for rule, update in work:
        key = equipment_key(rule, update.equipment["id"])
        if key in existing or rule.kind in (Kind.STATUS, Kind.ABSENCE) or starts(rule, update):
            keys.add(key)
    return sorted(keys)


def starts(rule: AlertRule, update: DeviceUpdate) -> bool:
    """Whether one of the update's readings shows the rule's condition (none being active)."""
    return any(
        (seen := observe(rule, metrics, False)) and seen[0] for _, metrics in update.readings
    )


def evaluate_device(book: ConditionBook, rule: AlertRule, update: DeviceUpdate, now) -> None:
    key = equipment_key(rule, update.equipment["id"])
    latest = update.readings[-1][0]
    if rule.kind in (Kind.STATUS, Kind.ABSENCE):
        status = update.equipment["status"]
        watched = rule.match_text or Equipment.Status.FAULT
        holds = rule.kind == Kind.STATUS and status == watched
        book.observe(rule, key, equipment_subject(update.equipment), latest, holds, status)
    elif book.get(key) is None and not starts(rule, update):
        return  # the common case: nothing is happening, nothing to write
    else:
        subject = equipment_subject(update.equipment)
        for when, metrics in update.readings:
            condition = book.get(key)
            seen = observe(rule, metrics, bool(condition and condition.active))
            if seen is not None:
                book.observe(rule, key, subject, when, *seen)
    book.settle(rule, key, equipment_subject(update.equipment), latest)


def site_count(rule: AlertRule, site: Site) -> float:
    total = 0.0
    devices = Equipment.objects.filter(site=site)
    if rule.equipment_kind:
        devices = devices.filter(kind=rule.equipment_kind)
    for state in devices.values_list("state", flat=True):
        added, removed = state.get(rule.metric, 0), state.get(rule.subtract_metric, 0)
        total += (added if is_number(added) else 0) - (removed if is_number(removed) else 0)
    return total


def evaluate_site(book: ConditionBook, rule: AlertRule, site: Site, now: datetime) -> None:
    limit = rule.value if rule.value is not None else site.capacity
    if not limit:
        return
    key = site_key(rule, site.pk)
    condition = book.get(key)
    count = site_count(rule, site)
    holds = count >= limit or bool(
        condition
        and condition.active
        and rule.clear_value is not None
        and count >= rule.clear_value
    )
    subject = site_subject(site)
    book.observe(rule, key, subject, now, holds, count)
    book.settle(rule, key, subject, now)


# --- periodic checks ------------------------------------------------------------------


def run_checks(now: datetime | None = None) -> list:
    """What only time reveals: silent devices, durations reached, conditions long gone."""
    now = now or timezone.now()
    with transaction.atomic():
        rules = active_rules()
        records: list[bus.EventRecord] = []
        silent: list[tuple[AlertRule, dict]] = []
        for rule in rules:
            if rule.kind == Kind.ABSENCE:
                devices, device_records = equipment_services.mark_silent_devices_offline(
                    rule.equipment_kind,
                    now - timedelta(seconds=rule.duration_seconds),
                    now,
                    ABSENCE_CHECK_LIMIT,
                )
                records.extend(device_records)
                silent.extend((rule, device) for device in devices)
        book = load_book(
            Q(active=False)
            | Q(active=True, alert=None)
            | Q(active=True, rule__kind=Kind.DETECTION)
            | Q(key__in=[equipment_key(rule, device["id"]) for rule, device in silent]),
            now,
        )
        for rule, device in silent:
            key = equipment_key(rule, device["id"])
            book.observe(rule, key, equipment_subject(device), device["last_seen_at"], True, None)
        end_quiet_detections(book, now)
        for condition in list(book.by_key.values()):
            subject = book.subjects.get(condition.key) or condition_subject(condition)
            book.settle(condition.rule, condition.key, subject, now)
        book.save()
        records.extend(book.records)
        return bus.emit_many(records)


def end_quiet_detections(book: ConditionBook, now: datetime) -> None:
    for condition in list(book.by_key.values()):
        rule = condition.rule
        quiet = timedelta(seconds=rule.clear_after_seconds)
        if (
            rule.kind == Kind.DETECTION
            and condition.active
            and now - condition.last_true_at >= quiet
        ):
            condition.active, condition.ended_at = False, condition.last_true_at
            book.changed.add(condition.key)


def condition_subject(condition: RuleCondition) -> Subject:
    if condition.equipment_id:
        equipment = condition.equipment
        return Subject(
            equipment.code,
            equipment.latitude,
            equipment.longitude,
            equipment_id=equipment.pk,
            in_maintenance=equipment.status == Equipment.Status.MAINTENANCE,
        )
    return site_subject(condition.site)

"""Alerts and the events log's hand-written entries."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from equipment.catalogue import CATALOGUE, InvalidCommand
from equipment.commands import request_command
from equipment.models import Command
from interventions.models import Intervention, Service
from interventions.services import create_intervention
from ondijon import bus
from ondijon.api.errors import Conflict
from ondijon.deletion import refuse_while_referenced
from supervision.models import OPEN_ALERT_STATUSES, Alert, AlertRule, Event

# Which service handles what an alert is about, when the alert does not say (details.service).
SERVICE_FOR_EQUIPMENT_KIND = {
    "streetlight": "lighting",
    "lighting_cabinet": "lighting",
    "traffic_signal": "roads",
    "bollard": "roads",
    "delivery_bay": "police",
    "priority_point": "roads",
    "bus": "roads",
    "camera": "police",
    "water_sensor": "water",
    "water_valve": "water",
    "building_access": "buildings",
    "market_gate": "police",
}
# Alert severity (5 critical .. 1 info) to intervention priority (1 critical .. 4 low).
PRIORITY_FOR_SEVERITY = {5: 1, 4: 2, 3: 3, 2: 4, 1: 4}


def alert_snapshot(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "title": alert.title,
        "severity": alert.severity,
        "category": alert.category,
        "status": alert.status,
        "source": alert.source,
        "equipment": alert.equipment_id,
        "intervention": alert.intervention_id,
        "lat": alert.latitude,
        "lon": alert.longitude,
        "raised_at": alert.raised_at.isoformat(),
        "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None,
        "rule": alert.rule_id,
        "updated_at": alert.updated_at.isoformat() if alert.updated_at else None,
        "occurrences": alert.details.get("occurrences", 1),
        "parent": alert.parent_id,
        "children": alert.details.get("children", 0),
        "shelved_until": alert.shelved_until.isoformat() if alert.shelved_until else None,
    }


def alert_record(kind: str, alert: Alert, actor=None, **payload) -> bus.EventRecord:
    """The event of one lifecycle step, for callers that emit a batch of events at once."""
    return bus.EventRecord(
        kind=kind,
        subject_type="alert",
        subject_id=alert.pk,
        subject_label=alert.title,
        payload={"alert": alert_snapshot(alert), **payload},
        actor=actor,
    )


def record_alert_event(kind: str, alert: Alert, actor=None, **payload) -> None:
    bus.emit_many([alert_record(kind, alert, actor, **payload)])


@transaction.atomic
def raise_alert(data: dict, actor=None) -> Alert:
    alert = Alert(**data)
    now = timezone.now()
    alert.raised_at = alert.updated_at = now
    equipment = alert.equipment
    if equipment and alert.latitude is None:
        alert.latitude, alert.longitude = equipment.latitude, equipment.longitude
    alert.full_clean()
    alert.save()
    record_alert_event("alert.raised", alert, actor)
    return alert


@transaction.atomic
def acknowledge_alert(alert: Alert, actor) -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.RAISED:
        raise Conflict(
            _("Alert is %(status)s, not raised.") % {"status": alert.get_status_display().lower()}
        )
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_at = alert.updated_at = timezone.now()
    alert.acknowledged_by = actor
    alert.save()
    records = [alert_record("alert.acknowledged", alert, actor)]
    for child in alert.children.filter(status=Alert.Status.RAISED):
        child.status = Alert.Status.ACKNOWLEDGED
        child.acknowledged_at = child.updated_at = alert.updated_at
        child.acknowledged_by = actor
        child.save()
        records.append(alert_record("alert.acknowledged", child, actor, parent=alert.pk))
    bus.emit_many(records)
    return alert


def finish_followers(alert: Alert, status: str, stamp: str, kind: str, actor, note: str):
    """A parent worked as one: its open children follow it to resolved or closed."""
    records = []
    for child in alert.children.filter(status__in=OPEN_ALERT_STATUSES):
        child.status = status
        setattr(child, stamp, alert.updated_at)
        child.updated_at = alert.updated_at
        child.save()
        records.append(alert_record(kind, child, actor, note=note, parent=alert.pk))
    bus.emit_many(records)


def locked_alert(alert: Alert, allowed: tuple[str, ...], step: str) -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status not in allowed:
        raise Conflict(
            _("Alert is %(status)s: it cannot be %(step)s.")
            % {"status": alert.get_status_display().lower(), "step": step},
            code=step,
        )
    return alert


@transaction.atomic
def qualify_alert(
    alert: Alert,
    actor,
    severity: int | None = None,
    category: str | None = None,
    intervention=None,
) -> Alert:
    """The operator confirms the alert, adjusts severity and category, links an intervention."""
    alert = locked_alert(alert, OPEN_ALERT_STATUSES, "qualified")
    now = timezone.now()
    changes = {"severity": severity, "category": category, "intervention": intervention}
    for name, value in changes.items():
        if value is not None:
            setattr(alert, name, value)
    alert.status = Alert.Status.QUALIFIED
    alert.qualified_at = alert.updated_at = now
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, actor
    alert.full_clean()
    alert.save()
    fields = sorted(name for name, value in changes.items() if value is not None)
    record_alert_event("alert.qualified", alert, actor, fields=fields)
    return alert


@transaction.atomic
def resolve_alert(alert: Alert, actor, note: str = "") -> Alert:
    alert = locked_alert(alert, OPEN_ALERT_STATUSES, "resolved")
    alert.status = Alert.Status.RESOLVED
    alert.resolved_at = alert.updated_at = timezone.now()
    alert.save()
    record_alert_event("alert.resolved", alert, actor, note=note)
    finish_followers(alert, Alert.Status.RESOLVED, "resolved_at", "alert.resolved", actor, note)
    return alert


@transaction.atomic
def close_alert(alert: Alert, actor, note: str = "") -> Alert:
    """Closed for good: if the condition comes back, the rules raise a new alert."""
    alert = locked_alert(alert, (*OPEN_ALERT_STATUSES, Alert.Status.RESOLVED), "closed")
    alert.status = Alert.Status.CLOSED
    alert.closed_at = alert.updated_at = timezone.now()
    alert.save()
    record_alert_event("alert.closed", alert, actor, note=note)
    finish_followers(alert, Alert.Status.CLOSED, "closed_at", "alert.closed", actor, note)
    return alert


# --- Shelving (ISA-18.2): off the desk for a while, with a reason ------------------------

MAX_SHELVE_SECONDS = 7 * 24 * 3600


@transaction.atomic
def shelve_alert(alert: Alert, actor, seconds: int, reason: str) -> Alert:
    """Taken off the desk for `seconds`, for a reason; it returns by itself then."""
    alert = locked_alert(alert, OPEN_ALERT_STATUSES, "shelved")
    if not 60 <= seconds <= MAX_SHELVE_SECONDS:
        raise Conflict(_("Shelve for a minute to a week."), code="shelve_duration")
    if not reason.strip():
        raise Conflict(_("Say why the alert is shelved."), code="shelve_reason")
    now = timezone.now()
    alert.shelved_until = now + timedelta(seconds=seconds)
    alert.shelved_reason, alert.shelved_by = reason.strip()[:200], actor
    alert.updated_at = now
    alert.save()
    record_alert_event("alert.shelved", alert, actor, reason=alert.shelved_reason)
    return alert


@transaction.atomic
def unshelve_alert(alert: Alert, actor=None, reason: str = "operator") -> Alert:
    """Back on the desk: by an operator, or because its shelving time is over."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.shelved_until is None:
        raise Conflict(_("The alert is not shelved."), code="not_shelved")
    back_on_desk(alert, actor, reason, timezone.now())
    return alert


def back_on_desk(alert: Alert, actor, reason: str, now) -> None:
    alert.shelved_until, alert.shelved_reason, alert.shelved_by = None, "", None
    alert.updated_at = now
    alert.save()
    record_alert_event("alert.unshelved", alert, actor, reason=reason)


def unshelve_due_alerts(now=None) -> int:
    """The periodic job: shelved alerts whose time is over come back to the desk."""
    now = now or timezone.now()
    due = list(Alert.objects.filter(shelved_until__lte=now).values_list("pk", flat=True))
    for pk in due:
        with transaction.atomic():
            alert = Alert.objects.select_for_update().get(pk=pk)
            if alert.shelved_until is None or alert.shelved_until > now:
                continue
            back_on_desk(alert, None, "time_over", now)
    return len(due)


@transaction.atomic
def update_alert(alert: Alert, changes: dict, actor=None) -> Alert:
    for name, value in changes.items():
        setattr(alert, name, value)
    alert.updated_at = timezone.now()
    alert.full_clean()
    alert.save()
    record_alert_event("alert.updated", alert, actor, fields=sorted(changes))
    return alert


# --- Alert rules ------------------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "enabled",
    "kind",
    "equipment_kind",
    "metric",
    "comparison",
    "value",
    "clear_value",
    "match_text",
    "subtract_metric",
    "duration_seconds",
    "clear_after_seconds",
    "severity",
    "category",
    "procedure",
    "suggested_steps",
    "group_by",
    "group_threshold",
)


def rule_snapshot(rule: AlertRule) -> dict:
    return {"id": rule.pk, **{name: getattr(rule, name) for name in RULE_FIELDS}}


def rule_record(kind: str, rule: AlertRule, snapshot: dict | None, actor, **payload):
    return bus.EventRecord(
        kind=kind,
        subject_type="alert_rule",
        subject_id=rule.pk,
        subject_label=rule.name,
        payload={"alert_rule": snapshot, **payload},
        actor=actor,
    )


@transaction.atomic
def create_alert_rule(data: dict, actor=None) -> AlertRule:
    rule = AlertRule(**data)
    rule.full_clean()
    rule.save()
    bus.emit_many([rule_record("alert_rule.created", rule, rule_snapshot(rule), actor)])
    return rule


@transaction.atomic
def update_alert_rule(rule: AlertRule, changes: dict, actor=None) -> AlertRule:
    """A rule changed (or switched on or off): the change is logged with what it changed."""
    rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.full_clean()
    rule.save()
    snapshot = rule_snapshot(rule)
    bus.emit_many(
        [rule_record("alert_rule.updated", rule, snapshot, actor, fields=sorted(changes))]
    )
    return rule


@transaction.atomic
def delete_alert_rule(rule: AlertRule, actor=None) -> None:
    """Only a rule that never raised an alert: one that did stays on record, disabled."""
    rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
    refuse_while_referenced(rule, ("supervision.rulecondition",), _("Disable it instead."))
    record = rule_record("alert_rule.deleted", rule, None, actor, deleted=rule_snapshot(rule))
    rule.delete()
    bus.emit_many([record])


def add_note(text: str, actor, correction_of: Event | None = None, service: str = "") -> Event:
    """An operator's hand-written entry; a correction references the entry it corrects."""
    return bus.emit(
        "note.correction" if correction_of else "note.added",
        subject_type="note",
        subject_label=text[:200],
        payload={"text": text},
        actor=actor,
        service=service,
        correction_of_id=correction_of.pk if correction_of else None,
    )


def service_for_alert(alert: Alert) -> str:

    for candidate in (alert.details.get("service"), alert.category):
        if candidate in Service.values:
            return candidate
    kind = alert.equipment.kind if alert.equipment else ""
    return SERVICE_FOR_EQUIPMENT_KIND.get(kind, Service.ROADS)


@transaction.atomic
def create_intervention_from_alert(
    alert: Alert, actor=None, service: str | None = None
) -> "Intervention":
    """One click from an alert: an intervention at its place, on its equipment, with the
    proposed actions in its description; the alert is linked and qualified.

    `service` is the one a rule's suggested step names; without it, the alert's own.
    """

    if service is not None and service not in Service.values:
        raise Conflict(
            _(
                "The rule suggests an unknown service %(service)r: an administrator must fix the rule's suggested steps."
            )
            % {"service": service},
            code="unknown_service",
        )
    alert = (
        Alert.objects.select_for_update(of=("self",)).select_related("equipment").get(pk=alert.pk)
    )
    if alert.intervention_id:
        raise Conflict(
            _("This alert already has intervention %(reference)s.")
            % {"reference": alert.intervention.reference},
            code="already_linked",
        )
    if alert.status in (Alert.Status.RESOLVED, Alert.Status.CLOSED):
        raise Conflict(_("Alert is %(status)s.") % {"status": alert.get_status_display().lower()})
    if alert.latitude is None:
        raise Conflict(_("The alert has no location; create the intervention from the map."))
    actions = alert.details.get("proposed_actions") or []
    description = "\n".join(
        [f"From alert #{alert.pk}: {alert.title}", *(f"- {action}" for action in actions)]
    )
    intervention = create_intervention(
        {
            "title": alert.title,
            "category": alert.category,
            "service": service or service_for_alert(alert),
            "priority": PRIORITY_FOR_SEVERITY.get(alert.severity, 3),
            "description": description,
            "latitude": alert.latitude,
            "longitude": alert.longitude,
            "district": alert.equipment.district if alert.equipment else None,
            "equipment": [alert.equipment] if alert.equipment else [],
        },
        actor=actor,
    )
    alert.intervention = intervention
    if alert.status in (Alert.Status.RAISED, Alert.Status.ACKNOWLEDGED):
        alert.status = Alert.Status.QUALIFIED
    alert.updated_at = timezone.now()
    alert.save()
    record_alert_event("alert.updated", alert, actor, fields=["intervention", "status"])
    return intervention


# --- The rule's procedure and suggested steps (the alert desk) ----------------------------

STEP_TARGETS = {"create_intervention": "service", "send_command": "command"}


def alert_procedure(alert: Alert) -> str:
    """The standard procedure: the rule's current text (an administrator may have improved it
    since), or the copy the alert kept when its rule is gone."""
    if alert.rule is not None:
        return alert.rule.procedure
    return str(alert.details.get("procedure") or "")


def suggested_steps(alert: Alert) -> list[dict]:
    """The steps the rule suggests now, or the alert's copy when its rule is gone; only
    well-formed ones ({"action": ..., and its service or command})."""
    steps = (
        alert.rule.suggested_steps
        if alert.rule is not None
        else alert.details.get("suggested_steps")
    )
    if not isinstance(steps, list):
        return []
    return [
        step
        for step in steps
        if isinstance(step, dict)
        and step.get("action") in STEP_TARGETS
        and isinstance(step.get(STEP_TARGETS[step["action"]]), str)
    ]


def step_target(step: dict) -> str:
    """What a step acts with: the service of an intervention, the command of a device."""
    return step[STEP_TARGETS[step["action"]]]


def step_problem(alert: Alert, step: dict) -> str:
    """Why a suggested step cannot be carried out as things stand ("" when it can)."""

    if alert.status not in OPEN_ALERT_STATUSES:
        return _("The alert is %(status)s.") % {"status": alert.get_status_display().lower()}
    if step["action"] == "create_intervention":
        if alert.intervention_id:
            return _("Intervention %(reference)s is already linked.") % {
                "reference": alert.intervention.reference
            }
        if step["service"] not in Service.values:
            return _("Unknown service %(service)r: the rule needs fixing.") % {
                "service": step["service"]
            }
        if alert.latitude is None:
            return _("The alert has no location.")
        return ""
    equipment = alert.equipment
    if equipment is None:
        return _("The alert names no equipment.")
    actions = CATALOGUE.get(equipment.kind, {})
    if step["command"] not in actions:
        takes = ", ".join(actions) or _("no command")
        return _("%(kind)s devices take %(takes)s, not %(command)r.") % {
            "kind": equipment.get_kind_display(),
            "takes": takes,
            "command": step["command"],
        }
    return ""


@transaction.atomic
def run_suggested_step(
    alert: Alert, action: str, target: str, actor=None
) -> "Intervention | Command":
    """Carry out one of the steps the alert's rule suggests.

    `create_intervention` -> the Intervention (the alert is linked and qualified);
    `send_command` -> the Command asked of the alert's equipment, with a reason naming the
    alert. A device that is offline fails its command at once: the failed Command comes back
    (status `failed`, `error`), recorded like any other. A step the rule does not suggest, or
    an alert that is no longer open, is a Conflict.
    """

    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("equipment", "rule")
        .get(pk=alert.pk)
    )
    if alert.status not in OPEN_ALERT_STATUSES:
        raise Conflict(
            _("Alert is %(status)s: its suggested steps are over.")
            % {"status": alert.get_status_display().lower()},
            code="alert_not_open",
        )
    step = next(
        (s for s in suggested_steps(alert) if s["action"] == action and step_target(s) == target),
        None,
    )
    if step is None:
        raise Conflict(
            _(
                "The rule of this alert does not suggest %(value)s %(target)r (it may have changed): reload the alert."
            )
            % {"value": action.replace("_", " "), "target": target},
            code="not_suggested",
        )
    if action == "create_intervention":
        return create_intervention_from_alert(alert, actor, service=target)
    if alert.equipment is None:
        raise Conflict(
            _("This alert names no equipment to send a command to."), code="no_equipment"
        )
    try:
        command = request_command(
            alert.equipment,
            target,
            step.get("params"),
            reason=f"Alert #{alert.pk}: {alert.title}",
            actor=actor,
            origin=f"alert:{alert.pk}",
        )
    except InvalidCommand as error:
        raise Conflict(
            _("%(code)s cannot take the command %(target)r: ")
            % {"code": alert.equipment.code, "target": target}
            + " ".join(invalid_command_messages(error.errors)),
            code="invalid_command",
        ) from error
    record_alert_event(
        "alert.command_requested",
        alert,
        actor,
        command={
            "id": command.pk,
            "equipment_code": alert.equipment.code,
            "action": command.action,
            "status": command.status,
            "error": command.error,
        },
    )
    return command


def invalid_command_messages(errors) -> list[str]:
    if isinstance(errors, dict):
        return [message for inner in errors.values() for message in invalid_command_messages(inner)]
    if isinstance(errors, list | tuple):
        return [str(message) for message in errors]
    return [str(errors)]

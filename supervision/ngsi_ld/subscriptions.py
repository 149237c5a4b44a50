"""NGSI-LD subscriptions: a partner asks to be told when entities change; a background job
(Celery beat in production, the in-process jobs on the embedded default) reads the events log
past what each subscription was last told, and POSTs the changed entities. The cursor moves
only on a 2xx answer, so a change is notified at least once; a failed delivery is retried
with a growing back-off."""

import hashlib
import json
import re
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlparse

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from equipment.models import Equipment
from ondijon import bus
from supervision.models import Event, NgsiSubscription
from supervision.ngsi_ld import entities as model
from supervision.ngsi_ld import query as queries

# Events whose subject is an entity of ours.
SUBJECTS = {"equipment", "alert"}
EVENTS_PER_RUN = 2000
TIMEOUT_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 300


def owner_of(key: str | None) -> str:
    return hashlib.sha256(key.encode()).hexdigest() if key else ""


def _strings(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValidationError({name: _("A list of names is expected.")})
    return value


def _selectors(value: Any) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValidationError({"entities": _("A list of entity selectors is expected.")})
    selectors = []
    for selector in value:
        picked = {k: selector[k] for k in ("id", "idPattern", "type") if k in selector}
        if not picked or not all(isinstance(v, str) for v in picked.values()):
            raise ValidationError({"entities": _("A selector names an id, idPattern or type.")})
        if "type" in picked:
            picked["type"] = queries._short_type(picked["type"])
        if "idPattern" in picked:
            try:
                re.compile(picked["idPattern"])
            except re.error:
                raise ValidationError(
                    {"entities": _("idPattern is a regular expression.")}
                ) from None
        selectors.append(picked)
    return selectors


@transaction.atomic
def create_subscription(body: Any, owner: str = "") -> NgsiSubscription:
    """A subscription from its NGSI-LD JSON body; it is told of the changes from now on."""
    if not isinstance(body, dict) or body.get("type") != "Subscription":
        raise ValidationError({"type": _("A Subscription is expected.")})
    notification = body.get("notification")
    endpoint = notification.get("endpoint") if isinstance(notification, dict) else None
    uri = endpoint.get("uri") if isinstance(endpoint, dict) else None
    if not isinstance(uri, str) or urlparse(uri).scheme not in ("http", "https"):
        raise ValidationError({"notification.endpoint.uri": _("An http or https URI.")})
    entities = _selectors(body.get("entities"))
    watched = _strings(body.get("watchedAttributes"), "watchedAttributes")
    if not entities and not watched:
        raise ValidationError({"entities": _("Select entities or watch attributes.")})
    q = unquote(body.get("q") or "")
    if q:
        try:
            queries.parse_terms(q)
        except queries.BadQuery as problem:
            raise ValidationError({"q": str(problem)}) from None
    fmt = notification.get("format", NgsiSubscription.Format.NORMALIZED)
    if fmt not in NgsiSubscription.Format.values:
        raise ValidationError({"notification.format": _("normalized or keyValues.")})
    subscription_id = body.get("id") or f"urn:ngsi-ld:Subscription:{uuid.uuid4()}"
    if not isinstance(subscription_id, str) or not subscription_id.startswith("urn:"):
        raise ValidationError({"id": _("A subscription id is a URN.")})
    if NgsiSubscription.objects.filter(subscription_id=subscription_id).exists():
        raise ValidationError({"id": _("A subscription with this id exists.")}, code="exists")
    subscription = NgsiSubscription(
        subscription_id=subscription_id,
        owner=owner,
        name=str(body.get("name") or "")[:200],
        description=str(body.get("description") or ""),
        entities=entities,
        watched_attributes=watched,
        q=q,
        attributes=_strings(notification.get("attributes"), "notification.attributes"),
        format=fmt,
        endpoint=uri,
        accept=str(endpoint.get("accept") or "application/json")[:40],
        active=body.get("isActive", True) is not False,
        notified_seq=bus.last_seq(),
    )
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def delete_subscription(subscription: NgsiSubscription) -> None:
    subscription.delete()


def _when(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def subscription_record(subscription: NgsiSubscription) -> dict:
    notification: dict[str, Any] = {
        "format": subscription.format,
        "endpoint": {"uri": subscription.endpoint, "accept": subscription.accept},
        "status": "failed" if subscription.failures else "ok",
        "timesSent": subscription.times_sent,
    }
    if subscription.attributes:
        notification["attributes"] = subscription.attributes
    for name, value in (
        ("lastNotification", subscription.last_notification),
        ("lastSuccess", subscription.last_success),
        ("lastFailure", subscription.last_failure),
    ):
        if value:
            notification[name] = _when(value)
    record: dict[str, Any] = {
        "id": subscription.subscription_id,
        "type": "Subscription",
        "isActive": subscription.active,
        "status": "active" if subscription.active else "paused",
        "notification": notification,
    }
    for name, value in (
        ("name", subscription.name),
        ("description", subscription.description),
        ("entities", subscription.entities),
        ("watchedAttributes", subscription.watched_attributes),
        ("q", subscription.q),
    ):
        if value:
            record[name] = value
    return record


# --- Notifying ---------------------------------------------------------------------------------


def _selected(subscription: NgsiSubscription, entity: dict) -> bool:
    if not subscription.entities:
        return True
    for selector in subscription.entities:
        if "type" in selector and selector["type"] != entity["type"]:
            continue
        if "id" in selector and selector["id"] != entity["id"]:
            continue
        if "idPattern" in selector and not re.fullmatch(selector["idPattern"], entity["id"]):
            continue
        return True
    return False


def _touched(kinds: set[str]) -> set[str] | None:
    """The attributes the events changed, where their kind says (None: any of them)."""
    if kinds == {"equipment.status_changed"}:
        return {"status", "deviceState", "serviceStatus"}
    return None


def changes_for(subscription: NgsiSubscription, events: list) -> list[dict]:
    """The entities, as they are now, that these events changed and the subscription wants."""
    kinds_of: dict[tuple[str, str], set[str]] = {}
    for event in events:
        kinds_of.setdefault((event.subject_type, event.subject_id), set()).add(event.kind)
    # The events' kinds by the entity they changed (its URN).
    kinds_by_urn: dict[str, set[str]] = {}
    for (subject_type, subject_id), kinds in kinds_of.items():
        if subject_type == "alert":
            kinds_by_urn[model.urn(model.ALERT, subject_id)] = kinds
    equipment_pks = [int(s) for (t, s) in kinds_of if t == "equipment" and s.isdigit()]
    for equipment in Equipment.objects.filter(pk__in=equipment_pks).only("pk", "code", "kind"):
        entity_id = model.urn(model.equipment_type(equipment), equipment.code)
        kinds_by_urn[entity_id] = kinds_of[("equipment", str(equipment.pk))]
    terms = queries.parse_terms(subscription.q) if subscription.q else []
    changed = []
    for entity in queries.entities_of(kinds_by_urn):
        if not _selected(subscription, entity):
            continue
        touched = _touched(kinds_by_urn[entity["id"]])
        watched = set(subscription.watched_attributes)
        if watched and touched is not None and not watched & touched:
            continue
        if not all(queries.term_holds(entity, term) for term in terms):
            continue
        entity = queries.project(entity, subscription.attributes)
        if subscription.format == NgsiSubscription.Format.KEY_VALUES:
            entity = model.key_values(entity)
        changed.append(entity)
    return changed


def post(url: str, body: dict) -> None:
    """POST the notification; anything but a 2xx answer raises (the delivery is retried)."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"HTTP {response.status}")


def notify(subscription: NgsiSubscription, now=None) -> str:
    """One delivery round for one subscription: "sent", "nothing", "failed" or "waiting"."""
    now = now or timezone.now()
    if subscription.next_attempt_at and subscription.next_attempt_at > now:
        return "waiting"
    events = list(
        Event.objects.filter(seq__gt=subscription.notified_seq, subject_type__in=SUBJECTS)
        .order_by("seq")
        .only("seq", "kind", "subject_type", "subject_id")[:EVENTS_PER_RUN]
    )
    if not events:
        return "nothing"
    head = events[-1].seq
    changed = changes_for(subscription, events)
    if not changed:
        NgsiSubscription.objects.filter(pk=subscription.pk).update(notified_seq=head)
        return "nothing"
    body = {
        "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
        "type": "Notification",
        "subscriptionId": subscription.subscription_id,
        "notifiedAt": now.isoformat(),
        "data": changed,
    }
    try:
        post(subscription.endpoint, body)
    except (OSError, urllib.error.URLError, ValueError) as problem:
        failures = subscription.failures + 1
        NgsiSubscription.objects.filter(pk=subscription.pk).update(
            failures=failures,
            last_notification=now,
            last_failure=now,
            last_error=str(problem)[:300],
            next_attempt_at=now + timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2**failures)),
        )
        return "failed"
    NgsiSubscription.objects.filter(pk=subscription.pk).update(
        notified_seq=head,
        times_sent=subscription.times_sent + 1,
        failures=0,
        next_attempt_at=None,
        last_notification=now,
        last_success=now,
        last_error="",
    )
    return "sent"


def deliver_notifications(now=None) -> dict[str, int]:
    """Every active subscription's round (the periodic job)."""
    counts: dict[str, int] = {}
    for subscription in NgsiSubscription.objects.filter(active=True):
        outcome = notify(subscription, now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts

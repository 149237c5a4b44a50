"""One action to a selection of devices, for everyday work: picked by a rectangle or a polygon on the map
or by district, site, kind and status; previewed (how many, which cannot take it); sent in
batches with its progress; rolled back in one click.

It goes the way a crisis playbook goes (supervision/crisis/services.py): a short transaction
records the plan, a background job (`supervision.tasks.send_selection`) creates the commands
batch after batch through the same loop (`equipment.commands.send_in_batches`: each batch its
own transaction, so the events log's numbering lock is never held for the whole selection),
and a rollback puts back what the commands' own `previous_state` says, through the same
restoring orders as a crisis mode's end (`equipment.commands.restoring_orders`).
"""

from collections import Counter
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from equipment import catalogue, commands
from equipment.catalogue import InvalidCommand
from equipment.models import FINISHED_COMMAND_STATUSES, Command, District, Equipment, Site
from ondijon import bus, jobs
from ondijon.api.errors import Conflict
from ondijon.geo import inside_polygon
from supervision.console import services
from supervision.models import CommandSelection

Status = CommandSelection.Status
FAILED = (Command.Status.FAILED, Command.Status.TIMED_OUT, Command.Status.EXPIRED)
OFFLINE_SHOWN = 50


# --- Which devices ---------------------------------------------------------------------------


def number(value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError
    value = float(value)
    if not low <= value <= high:
        raise ValueError
    return value


def clean_criteria(criteria: Any) -> dict:
    """The selection as given, checked: `kind` (required), `district` and `site` (codes),
    `status`, `box` [south, west, north, east] in degrees, `polygon` [[latitude, longitude],
    ...] drawn on the map. InvalidCommand with field errors."""
    if not isinstance(criteria, dict):
        raise InvalidCommand({"selection": [_("Must be an object.")]})
    errors: dict[str, list] = {}
    cleaned: dict[str, Any] = {}
    kind = criteria.get("kind")
    if kind not in Equipment.Kind.values:
        errors["kind"] = [_("Choose the kind of device the action goes to.")]
    elif not catalogue.CATALOGUE.get(kind):
        errors["kind"] = [_("This kind of device takes no commands.")]
    else:
        cleaned["kind"] = kind
    status = criteria.get("status") or ""
    if status and status not in Equipment.Status.values:
        errors["status"] = [_("Unknown status.")]
    elif status:
        cleaned["status"] = status
    for name, model in (("district", District), ("site", Site)):
        code = criteria.get(name) or ""
        if code and not model.objects.filter(code=code).exists():
            errors[name] = [_("Unknown code.")]
        elif code:
            cleaned[name] = str(code)
    box = criteria.get("box")
    if box:
        try:
            if not isinstance(box, list | tuple) or len(box) != 4:
                raise ValueError
            south, west, north, east = (
                number(box[0], -90, 90),
                number(box[1], -180, 180),
                number(box[2], -90, 90),
                number(box[3], -180, 180),
            )
            if south >= north or west >= east:
                raise ValueError
            cleaned["box"] = [south, west, north, east]
        except ValueError:
            errors["box"] = [_("A rectangle is [south, west, north, east], south of north.")]
    polygon = criteria.get("polygon")
    if polygon:
        try:
            cleaned["polygon"] = clean_polygon(polygon)
        except ValueError:
            errors["polygon"] = [
                _("A polygon is a list of %(low)s to %(high)s corners [latitude, longitude].")
                % {"low": 3, "high": POLYGON_CORNERS}
            ]
    if errors:
        raise InvalidCommand(errors)
    return cleaned


POLYGON_CORNERS = 500


def clean_polygon(polygon: Any) -> list[list[float]]:
    """A polygon drawn on the map: 3 to POLYGON_CORNERS corners [latitude, longitude]."""
    if not isinstance(polygon, list | tuple) or not 3 <= len(polygon) <= POLYGON_CORNERS:
        raise ValueError
    corners = []
    for corner in polygon:
        if not isinstance(corner, list | tuple) or len(corner) != 2:
            raise ValueError
        corners.append([number(corner[0], -90, 90), number(corner[1], -180, 180)])
    if len({tuple(corner) for corner in corners}) < 3:
        raise ValueError
    return corners


def selected(criteria: dict) -> QuerySet:
    """The devices a cleaned selection names, in a stable order."""
    devices = Equipment.objects.filter(kind=criteria["kind"]).order_by("pk")
    if criteria.get("status"):
        devices = devices.filter(status=criteria["status"])
    if criteria.get("district"):
        devices = devices.filter(district__code=criteria["district"])
    if criteria.get("site"):
        devices = devices.filter(site__code=criteria["site"])
    if criteria.get("box"):
        south, west, north, east = criteria["box"]
        devices = devices.filter(latitude__range=(south, north), longitude__range=(west, east))
    if criteria.get("polygon"):
        # The polygon's bounding box in the database, its outline here: a selection is a
        # district's streetlights at most, a few thousand points.
        ring = criteria["polygon"]
        latitudes, longitudes = [c[0] for c in ring], [c[1] for c in ring]
        near = devices.filter(
            latitude__range=(min(latitudes), max(latitudes)),
            longitude__range=(min(longitudes), max(longitudes)),
        ).values_list("pk", "latitude", "longitude")
        devices = devices.filter(
            pk__in=[pk for pk, lat, lon in near if inside_polygon(lat, lon, ring)]
        )
    return devices


def preview(criteria: Any, action: str, params: Any) -> dict[str, Any]:
    """What sending would do: devices selected, those that cannot take it (offline), those
    it would change and those already so."""
    cleaned = clean_criteria(criteria)
    target = catalogue.expected_state(
        cleaned["kind"], action, catalogue.clean_params(cleaned["kind"], action, params)
    )
    total = offline = changing = 0
    offline_codes = []
    for code, status, state in selected(cleaned).values_list("code", "status", "state"):
        total += 1
        if status == Equipment.Status.OFFLINE:
            offline += 1
            if len(offline_codes) < OFFLINE_SHOWN:
                offline_codes.append(code)
        elif any(state.get(key) != value for key, value in target.items()):
            changing += 1
    return {
        "criteria": cleaned,
        "devices": total,
        "offline": offline,
        "offline_codes": offline_codes,
        "will_change": changing,
        "unchanged": total - offline - changing,
        "confirm": cleaned["kind"] in services.PUBLIC_SAFETY_KINDS,
    }


# --- Sending -----------------------------------------------------------------------------------


def selection_snapshot(selection: CommandSelection) -> dict:
    return {
        "id": selection.pk,
        "kind": selection.kind,
        "action": selection.action,
        "params": selection.params,
        "reason": selection.reason,
        "criteria": selection.criteria,
        "devices": len(selection.devices),
        "status": selection.status,
        "created_at": selection.created_at.isoformat(),
        "rolled_back_at": (
            selection.rolled_back_at.isoformat() if selection.rolled_back_at else None
        ),
    }


def selection_event(kind: str, selection: CommandSelection, actor=None, **payload) -> None:
    bus.emit(
        kind,
        subject_type="selection",
        subject_id=selection.pk,
        subject_label=f"{selection.action} → {len(selection.devices)} {selection.kind}",
        payload={"selection": selection_snapshot(selection), **payload},
        actor=actor,
    )


def send_to_selection(
    criteria: Any, action: str, params: Any, *, reason: str, confirmed: bool, actor
) -> CommandSelection:
    """Record the selection and its plan; its commands go out in batches afterwards."""
    errors: dict[str, Any] = {}
    cleaned = None
    try:
        cleaned = clean_criteria(criteria)
    except InvalidCommand as error:
        errors = error.errors
    cleaned_params = services.checked_command(
        cleaned["kind"] if cleaned else None,
        action,
        params,
        reason=reason,
        confirmed=confirmed,
        errors=errors,
    )
    devices = list(selected(cleaned).values_list("pk", flat=True))
    if not devices:
        raise InvalidCommand({"selection": [_("No device matches this selection.")]})
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        selection = CommandSelection.objects.create(
            kind=cleaned["kind"],
            action=action,
            params=cleaned_params,
            reason=reason.strip()[:300],
            criteria=cleaned,
            devices=devices,
            created_by=user,
            created_at=timezone.now(),
        )
        selection_event("selection.sending", selection, actor)
        transaction.on_commit(lambda: start_sending(selection.pk))
    return selection


def start_sending(selection_id: int) -> None:
    jobs.run_later("supervision.tasks.send_selection", selection_id)


def send_selection(selection_id: int) -> dict[str, Any]:
    """Create the selection's commands (or its rollback's), batch after batch, each batch its
    own transaction; running it twice is harmless (batches take the row's lock and go on
    from its cursor)."""
    return commands.send_in_batches(
        lambda: send_next_batch(selection_id),
        lambda error: record_send_error(selection_id, error),
        f"Selection {selection_id}",
    )


def record_send_error(selection_id: int, error: Exception) -> None:
    CommandSelection.objects.filter(pk=selection_id).update(
        send_error=f"{type(error).__name__}: {error}"[:500]
    )


def send_next_batch(selection_id: int) -> bool:
    """Create the next batch of the phase under way (sending, or rolling back); True while
    more remain."""
    selection = (
        CommandSelection.objects.select_for_update(of=("self",))
        .select_related("created_by", "rolled_back_by")
        .get(pk=selection_id)
    )
    if selection.status == Status.SENDING:
        orders = [(pk, selection.action, selection.params) for pk in selection.devices]
        cursor, done, event = "sent", Status.SENT, "selection.sent"
        actor, reason, origin = selection.created_by, selection.reason, selection.origin
    elif selection.status == Status.ROLLING_BACK:
        orders = selection.restore_orders
        cursor, done, event = "restored", Status.ROLLED_BACK, "selection.rolled_back"
        actor, origin = selection.rolled_back_by, selection.restore_origin
        reason = _("Rollback: %(reason)s") % {"reason": selection.reason}
    else:
        return False
    position = getattr(selection, cursor)
    rows = orders[position : position + settings.CONSOLE_SELECTION_BATCH]
    devices = Equipment.objects.in_bulk([row[0] for row in rows])
    commands.create_commands(
        [(devices[pk], action, params) for pk, action, params in rows if pk in devices],
        reason,
        actor,
        origin,
    )
    setattr(selection, cursor, position + len(rows))
    if getattr(selection, cursor) >= len(orders):
        selection.status = done
    selection.save(update_fields=[cursor, "status"])
    if selection.status == done:
        selection_event(event, selection, actor)
        return False
    return True


# --- Progress and rollback --------------------------------------------------------------------


def phase_progress(origin: str, planned: int) -> dict[str, Any]:
    """n of m acknowledged (m: every planned command, created or not yet), and failures."""
    rows = Command.objects.filter(origin=origin)
    counts = Counter(rows.values_list("status", flat=True))
    created = sum(counts.values())
    acknowledged = counts[Command.Status.ACKNOWLEDGED]
    failed = sum(counts[s] for s in FAILED)
    failures = [
        {"command": pk, "equipment": code, "status": status, "error": error}
        for pk, code, status, error in rows.filter(status__in=FAILED)
        .order_by("pk")
        .values_list("pk", "equipment__code", "status", "error")[:OFFLINE_SHOWN]
    ]
    return {
        "total": planned,
        "created": created,
        "acknowledged": acknowledged,
        "failed": failed,
        "pending": planned - acknowledged - failed,
        "failures": failures,
    }


def progress(selection: CommandSelection) -> dict[str, Any]:
    report = {
        "selection": selection_snapshot(selection),
        "apply": phase_progress(selection.origin, len(selection.devices)),
        "error": selection.send_error,
    }
    if selection.status in (Status.ROLLING_BACK, Status.ROLLED_BACK):
        report["restore"] = phase_progress(selection.restore_origin, len(selection.restore_orders))
    return report


def roll_back(selection: CommandSelection, actor) -> CommandSelection:
    """Put every device of the selection back as it was before the selection's commands:
    planned here (from the commands' own `previous_state`), sent in batches afterwards.
    Commands of the selection not created yet never are; those not sent yet are dropped."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        selection = CommandSelection.objects.select_for_update(of=("self",)).get(pk=selection.pk)
        if selection.status not in (Status.SENDING, Status.SENT):
            raise Conflict(_("This selection is already rolled back."), code="rolled_back")
        now = timezone.now()
        mine = Command.objects.filter(origin=selection.origin)
        # Not gone out yet: dropped as expired rather than delivered after the rollback.
        mine.filter(status=Command.Status.REQUESTED).update(expires_at=now)
        before = commands.states_before(
            mine.exclude(status__in=(Command.Status.FAILED, Command.Status.EXPIRED))
            .order_by("pk")
            .values_list("equipment_id", "previous_state")
        )
        in_flight = set(
            mine.exclude(status__in=FINISHED_COMMAND_STATUSES).values_list(
                "equipment_id", flat=True
            )
        )
        orders = commands.restoring_orders(before, in_flight)
        selection.restore_orders = [list(order) for order in orders]
        selection.status = Status.ROLLING_BACK if orders else Status.ROLLED_BACK
        selection.rolled_back_at, selection.rolled_back_by = now, user
        selection.save(
            update_fields=["restore_orders", "status", "rolled_back_at", "rolled_back_by"]
        )
        selection_event("selection.rolling_back", selection, actor, restore_commands=len(orders))
        if orders:
            transaction.on_commit(lambda: start_sending(selection.pk))
    return selection

"""The operators' device console: find a device, read its state and history, command it.

Commanding goes through the commands' own lifecycle (`equipment.commands`): the console adds
the confirmation that actions on public safety need, and nothing else. The reason travels
with the command into its events (`command.requested` and the rest).
"""

import unicodedata
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from equipment import catalogue, commands
from equipment.cameras import cameras_seeing
from equipment.catalogue import InvalidCommand
from equipment.models import Command, District, Equipment, Site
from interventions.models import Intervention
from ondijon.geo import distance_m
from supervision.models import Alert, WallScreen

SEARCH_LIMIT = 25
# The cameras a device's page names: the nearest that see it.
COVERING_CAMERAS = 3
Kind = Equipment.Kind
# Actions on these kinds change what people in the street may do or where they may go:
# the operator confirms before they are sent.
PUBLIC_SAFETY_KINDS = frozenset({Kind.BOLLARD, Kind.TRAFFIC_SIGNAL, Kind.BUILDING_ACCESS})
FINISHED_ALERT_STATUSES = (Alert.Status.RESOLVED, Alert.Status.CLOSED)


# --- Finding a device --------------------------------------------------------------------------


def device_row(device: Equipment) -> dict:
    return {
        "code": device.code,
        "name": device.name,
        "kind": device.kind,
        "kind_label": device.get_kind_display(),
        "status": device.status,
        "status_label": device.get_status_display(),
        "district": device.district.name,
        "site": device.site.name if device.site_id else "",
        "address": device.site.address if device.site_id else "",
        "latitude": device.latitude,
        "longitude": device.longitude,
    }


ROW_FIELDS = (
    "code", "name", "kind", "status", "latitude", "longitude",
    "district__name", "site__name", "site__address",
)  # fmt: skip


def filtered(kind: str = "", status: str = "", district: str = "") -> QuerySet:
    devices = Equipment.objects.select_related("district", "site").only(*ROW_FIELDS)
    if kind:
        devices = devices.filter(kind=kind)
    if status:
        devices = devices.filter(status=status)
    if district:
        devices = devices.filter(
            district_id__in=list(
                District.objects.filter(code=district).values_list("pk", flat=True)
            )
        )
    return devices


def folded(text: str) -> str:
    """`text` as a search compares it: without accents, case folded, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def code_prefix(text: str) -> Q:
    """Codes starting with `text` (codes are upper case). The range lets every database use
    the code's own index; `startswith` keeps the answer exact whatever the collation."""
    prefix = text.upper()
    return Q(code__gte=prefix, code__lt=prefix + "\uffff", code__startswith=prefix)


def search_devices(
    text: str, kind: str = "", status: str = "", district: str = "", limit: int = SEARCH_LIMIT
) -> dict[str, Any]:
    """Devices whose code starts with `text`, then those of the sites (name, address) and of
    the districts (name, code) it names, at most `limit`; `more` says there are others. Each
    way of matching is one indexed query read no further than `limit` rows, so the answer
    stays fast over the whole city (bench/device_console.py)."""
    text = str(text or "").strip()[:100]
    devices = filtered(kind, status, district).order_by("code")
    if not text and not (kind or status or district):
        return {"results": [], "matches": {}, "more": False}
    ways = [("filter", lambda: devices)]
    if text:
        # Sites and districts are few (a few hundred): matched here, accents and case aside
        # ("republique" finds "Place de la République"), their ids then let each device query
        # use the (district, kind) and (site, code) indexes whatever the planner knows. Read
        # only when the codes did not fill the answer: a code typed costs one query.
        wanted = folded(text)

        def by_site() -> QuerySet:
            sites = [
                pk
                for pk, name, address, code in Site.objects.values_list(
                    "pk", "name", "address", "code"
                )
                if wanted in folded(name) or wanted in folded(address) or wanted == folded(code)
            ][:200]
            return devices.filter(site_id__in=sites)

        def by_district() -> QuerySet:
            districts = [
                pk
                for pk, name, code in District.objects.values_list("pk", "name", "code")
                if wanted in folded(name) or wanted == folded(code)
            ]
            return devices.filter(district_id__in=districts)

        ways = [
            ("code", lambda: devices.filter(code_prefix(text))),
            ("site", by_site),
            ("district", by_district),
        ]
    results: list[Equipment] = []
    seen: set[int] = set()
    matches: dict[str, int] = {}
    more = False
    for way, query in ways:
        if len(results) >= limit:
            more = True
            break
        rows = list(query()[: limit + 1])
        matches[way] = len(rows)
        more = more or len(rows) > limit
        for device in rows:
            if device.pk not in seen and len(results) < limit:
                seen.add(device.pk)
                results.append(device)
    return {"results": [device_row(d) for d in results], "matches": matches, "more": more}


# --- A device's page -----------------------------------------------------------------------------


def parameter_form(parameter: catalogue.Parameter) -> dict:
    return {
        "name": parameter.name,
        "required": parameter.required,
        "default": parameter.default,
        **getattr(parameter.check, "spec", {"type": "text"}),
    }


def actions_of(kind: str) -> list[dict]:
    """Every action the kind takes, with its parameters as a form draws them."""
    return [
        {
            "name": action.name,
            "label": _(action.label),
            "confirm": kind in PUBLIC_SAFETY_KINDS,
            "parameters": [parameter_form(p) for p in action.parameters],
        }
        for action in catalogue.CATALOGUE.get(kind, {}).values()
    ]


def command_row(command: Command) -> dict:
    return {
        **commands.command_snapshot(command),
        "status_label": command.get_status_display(),
        "requested_by": command.requested_by.get_username() if command.requested_by else "",
    }


def recent_commands(device: Equipment, limit: int = 20) -> list[dict]:
    rows = device.commands.select_related("equipment", "requested_by").order_by(
        "-requested_at", "-pk"
    )[:limit]
    return [command_row(c) for c in rows]


def screens_showing(codes: set[str]) -> dict[str, list[dict]]:
    """The active wall screens whose video tiles show each camera of `codes`."""
    shown: dict[str, list[dict]] = {}
    screens = WallScreen.objects.filter(active=True).order_by("name")
    for screen in screens.only("slug", "name", "panels", "video_tiles"):
        if WallScreen.Panel.VIDEO not in screen.panels:
            continue
        on_screen = {code for tile in screen.video_tiles for code in tile.get("cameras", [])}
        for code in sorted(on_screen & codes):
            shown.setdefault(code, []).append({"slug": screen.slug, "name": screen.name})
    return shown


def covering_cameras(device: Equipment, user) -> list[dict]:
    """The cameras whose field of view covers the device (within their range, in their angle
    of view; a PTZ camera turns to it), nearest first, each with the wall screens whose video
    tiles show it live, for those who may watch them."""
    seeing = [
        camera
        for camera in cameras_seeing(device.latitude, device.longitude, COVERING_CAMERAS + 1)
        if camera.pk != device.pk
    ][:COVERING_CAMERAS]
    watches = user.has_perms(("equipment.watch_camera", "supervision.view_wall"))
    screens = screens_showing({c.equipment.code for c in seeing}) if seeing and watches else {}
    return [
        {
            "code": camera.equipment.code,
            "name": camera.equipment.name,
            "status": camera.equipment.get_status_display(),
            "ptz": camera.ptz,
            "distance_m": round(
                distance_m(
                    device.latitude,
                    device.longitude,
                    camera.equipment.latitude,
                    camera.equipment.longitude,
                )
            ),
            "screens": screens.get(camera.equipment.code, []),
        }
        for camera in seeing
    ]


def device_page(device: Equipment, user) -> dict[str, Any]:
    """What the device's page shows to `user`: commands only to those who may read them."""
    alerts = Alert.objects.filter(equipment=device)
    return {
        "device": device,
        "open_alerts": list(alerts.exclude(status__in=FINISHED_ALERT_STATUSES)[:20]),
        "recent_alerts": list(
            alerts.filter(status__in=FINISHED_ALERT_STATUSES).order_by("-raised_at")[:10]
        ),
        "interventions": list(
            Intervention.objects.filter(equipment=device).order_by("-reported_at")[:10]
        ),
        "cameras": covering_cameras(device, user),
        "commands": recent_commands(device) if user.has_perm("equipment.view_command") else [],
        "actions": actions_of(device.kind) if user.has_perm("equipment.add_command") else [],
    }


# --- Commanding it ------------------------------------------------------------------------------


def unconfirmed(kind: str, confirmed: bool) -> dict[str, list]:
    """The field error of a public-safety action sent without its confirmation (else none)."""
    if kind in PUBLIC_SAFETY_KINDS and not confirmed:
        return {"confirm": [_("This action affects public safety: confirm it before sending.")]}
    return {}


def checked_command(
    kind: str | None,
    action: str,
    params: Any,
    *,
    reason: str,
    confirmed: bool,
    errors: dict | None = None,
) -> dict | None:
    """The cleaned parameters of a command sent from the console, or InvalidCommand with
    every field error at once (after `errors` found before): an unknown action, bad
    parameters, a missing reason, a public-safety action not confirmed. Without a kind (a
    selection that names none) only the reason can be checked."""
    errors = dict(errors or {})
    cleaned = None
    if kind:
        try:
            cleaned = catalogue.clean_params(kind, action, params)
        except InvalidCommand as error:
            errors.update(error.errors)
        errors.update(unconfirmed(kind, confirmed))
    if not str(reason or "").strip():
        errors["reason"] = [_("Say why this command is sent.")]
    if errors:
        raise InvalidCommand(errors)
    return cleaned


def command_device(
    device: Equipment,
    action: str,
    params: Any,
    *,
    reason: str,
    confirmed: bool,
    actor,
) -> Command:
    """One command from the console. Field errors (InvalidCommand) as `checked_command`."""
    checked_command(device.kind, action, params, reason=reason, confirmed=confirmed)
    return commands.request_command(
        device, action, params, reason=reason, actor=actor, origin="console"
    )

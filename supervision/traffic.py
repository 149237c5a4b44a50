"""Priority at signalised junctions for emergency vehicles en route and for late buses.

A periodic job works out, for each vehicle, the junctions it should have priority at now:
- an emergency vehicle en route: junctions within `PRIORITY_CORRIDOR_M` of its route by road
  (the straight path from its position to the incident when no road graph is loaded), ahead
  of it and within `PRIORITY_AHEAD_M` along it, requested in the order the vehicle reaches
  them, each from the side the route comes from;
- a bus late by `BUS_PRIORITY_DELAY_S` or more: junctions within `BUS_PRIORITY_RADIUS_M`.
A junction is released once the vehicle has passed it (no longer wanted), when the run ends,
or after `PRIORITY_TIMEOUT_S`, and goes back to the mode it had before.
"""

import itertools
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from equipment import catalogue, commands
from equipment.models import Command, Equipment
from interventions import routing
from interventions.models import Assignment, Intervention
from ondijon import bus
from supervision.models import PriorityRequest

ORIGIN = "priority"
METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class Wanted:
    junction: Equipment
    approach: str
    along_m: float  # distance from the vehicle, along its way


def local_xy(lat0: float, lon0: float, lat: float, lon: float) -> tuple[float, float]:
    """Metres east and north of (lat0, lon0); exact enough across a city."""
    return (
        (lon - lon0) * METRES_PER_DEGREE_LAT * math.cos(math.radians(lat0)),
        (lat - lat0) * METRES_PER_DEGREE_LAT,
    )


def approach_from(junction: Equipment, lat: float, lon: float) -> str:
    """The side of the junction the vehicle comes from."""
    east, north = local_xy(junction.latitude, junction.longitude, lat, lon)
    if abs(north) >= abs(east):
        return "north" if north > 0 else "south"
    return "east" if east > 0 else "west"


def junctions_on_the_way(
    junctions: list[Equipment], start: tuple[float, float], end: tuple[float, float]
) -> list[Wanted]:
    """Junctions near the straight path start→end, ahead of start, nearest first."""
    path_x, path_y = local_xy(*start, *end)
    length_sq = path_x**2 + path_y**2
    found = []
    for junction in junctions:
        x, y = local_xy(*start, junction.latitude, junction.longitude)
        t = (x * path_x + y * path_y) / length_sq if length_sq else 0.0
        if not 0.0 <= t <= 1.0:
            continue  # behind the vehicle, or beyond the incident
        off_path = math.hypot(x - t * path_x, y - t * path_y)
        along = t * math.sqrt(length_sq)
        if off_path <= settings.PRIORITY_CORRIDOR_M and along <= settings.PRIORITY_AHEAD_M:
            found.append(Wanted(junction, approach_from(junction, *start), along))
    return sorted(found, key=lambda wanted: wanted.along_m)


def junctions_on_the_route(junctions: list[Equipment], route: list[list[float]]) -> list[Wanted]:
    """Junctions near a route ([lon, lat] from the vehicle to the incident), by distance
    along it; each approached from the route's point before it."""
    best: dict[int, Wanted] = {}
    walked = 0.0
    for (lon0, lat0), (lon1, lat1) in itertools.pairwise(route):
        path_x, path_y = local_xy(lat0, lon0, lat1, lon1)
        length = math.hypot(path_x, path_y)
        if walked > settings.PRIORITY_AHEAD_M:
            break
        for junction in junctions:
            x, y = local_xy(lat0, lon0, junction.latitude, junction.longitude)
            t = (x * path_x + y * path_y) / (length * length) if length else 0.0
            t = min(max(t, 0.0), 1.0)
            off_route = math.hypot(x - t * path_x, y - t * path_y)
            along = walked + t * length
            if off_route > settings.PRIORITY_CORRIDOR_M or along > settings.PRIORITY_AHEAD_M:
                continue
            if junction.pk in best and best[junction.pk].along_m <= along:
                continue
            best[junction.pk] = Wanted(junction, approach_from(junction, lat0, lon0), along)
        walked += length
    return sorted(best.values(), key=lambda wanted: wanted.along_m)


def signal_junctions() -> list[Equipment]:
    return list(
        Equipment.objects.filter(kind=Equipment.Kind.TRAFFIC_SIGNAL).exclude(
            status=Equipment.Status.OFFLINE
        )
    )


def emergency_runs():
    """(team, intervention) for every emergency vehicle currently en route."""
    assignments = Assignment.objects.filter(
        released_at__isnull=True,
        team__emergency_vehicle=True,
        team__latitude__isnull=False,
        intervention__status=Intervention.Status.EN_ROUTE,
    ).select_related("team", "intervention")
    return [(a.team, a.intervention) for a in assignments]


def priority_snapshot(request: PriorityRequest) -> dict:
    return {
        "id": request.pk,
        "junction": request.junction.code,
        "requester_type": request.requester_type,
        "requester": request.requester_code,
        "approach": request.approach,
        # Where the wall draws the junction holding priority.
        "lat": request.junction.latitude,
        "lon": request.junction.longitude,
        "requested_at": request.requested_at.isoformat(),
        "released_at": request.released_at.isoformat() if request.released_at else None,
        "release_reason": request.release_reason,
    }


def wall_priorities() -> dict[str, dict]:
    """Junctions holding priority now, as a wall screen keeps them, keyed by request id."""
    active = PriorityRequest.objects.filter(released_at__isnull=True).select_related("junction")
    return {str(request.pk): priority_snapshot(request) for request in active.order_by("pk")}


def priority_event(kind: str, request: PriorityRequest) -> None:
    bus.emit(
        kind,
        subject_type="priority",
        subject_id=request.pk,
        subject_label=f"{request.requester_code} at {request.junction.code}",
        payload={"priority": priority_snapshot(request)},
        service="traffic",
    )


def request_priority(requester_type: str, code: str, wanted: Wanted, reason: str) -> None:
    now = timezone.now()
    request = PriorityRequest.objects.create(
        junction=wanted.junction,
        requester_type=requester_type,
        requester_code=code,
        approach=wanted.approach,
        requested_at=now,
    )
    commands.request_command(
        wanted.junction, "priority", {"approach": wanted.approach}, reason=reason, origin=ORIGIN
    )
    priority_event("priority.requested", request)


def release_priority(request: PriorityRequest, why: str) -> None:
    """Give the junction back: the signal returns to the mode it had before priority."""
    request.released_at, request.release_reason = timezone.now(), why
    request.save(update_fields=["released_at", "release_reason"])
    asked = (
        Command.objects.filter(equipment=request.junction, action="priority", origin=ORIGIN)
        .filter(requested_at__gte=request.requested_at)
        .order_by("pk")
        .first()
    )
    # Priority leaves the plan alone: the plan in force is the one to go back to.
    before = {"plan": request.junction.state.get("plan") or 1}
    if asked and asked.previous_state.get("mode") not in (None, "priority"):
        before.update(asked.previous_state)
    else:
        before["mode"] = "normal"
    kind = request.junction.kind
    for action, params in catalogue.restoring_actions(kind, before):
        commands.request_command(
            request.junction,
            action,
            catalogue.clean_params(kind, action, params),
            reason=_("Priority for %(requester_code)s released (%(why)s)")
            % {"requester_code": request.requester_code, "why": why},
            origin=ORIGIN,
        )
    priority_event("priority.released", request)


def lock_junctions(junction_ids: set[int]) -> None:
    """Lock the junctions a change of priorities will command, in key order, before its
    first event: each release or request logs events, and a junction's command inserted
    after one would lock the junction while holding the events sequence, against the
    acknowledgement listener or a telemetry batch holding the junction (ondijon/bus.py)."""
    list(
        Equipment.objects.select_for_update(no_key=True)
        .filter(pk__in=junction_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def sync_requests(
    requester_type: str, code: str, wanted: list[Wanted], reason: str
) -> dict[str, int]:
    """Bring one vehicle's priority requests in line with the junctions it needs now."""
    now = timezone.now()
    timeout = timedelta(seconds=settings.PRIORITY_TIMEOUT_S)
    mine = PriorityRequest.objects.select_related("junction").filter(
        requester_type=requester_type, requester_code=code
    )
    active = {r.junction_id: r for r in mine.filter(released_at__isnull=True)}
    wanted_ids = {w.junction.pk for w in wanted}
    lock_junctions(set(active) | wanted_ids)
    released = 0
    for junction_id, request in active.items():
        if junction_id not in wanted_ids:
            release_priority(request, "passed")
            released += 1
        elif now - request.requested_at > timeout:
            release_priority(request, "timeout")
            released += 1
    timed_out = set(
        mine.filter(release_reason="timeout", requested_at__gte=now - 10 * timeout).values_list(
            "junction_id", flat=True
        )
    )
    held = set(
        PriorityRequest.objects.filter(released_at__isnull=True).values_list(
            "junction_id", flat=True
        )
    )
    requested = 0
    for item in wanted:  # nearest first: the order the vehicle reaches them
        if item.junction.pk in held or item.junction.pk in timed_out:
            continue
        request_priority(requester_type, code, item, reason)
        held.add(item.junction.pk)
        requested += 1
    return {"requested": requested, "released": released}


def release_finished(requester_type: str, still_running: set[str], why: str) -> int:
    """Release what vehicles no longer running (arrived, back on time) still hold."""
    finished = PriorityRequest.objects.select_related("junction").filter(
        requester_type=requester_type, released_at__isnull=True
    )
    count = 0
    with transaction.atomic():
        finished = list(finished.exclude(requester_code__in=still_running))
        lock_junctions({request.junction_id for request in finished})
        for request in finished:
            release_priority(request, why)
            count += 1
    return count


def update_emergency_priorities() -> dict[str, int]:
    junctions = signal_junctions()
    totals = {"requested": 0, "released": 0}
    running = set()
    for team, intervention in emergency_runs():
        running.add(team.call_sign)
        # The junctions of its route by road; the straight path without a road graph.
        road = routing.road_directions(
            team.latitude,
            team.longitude,
            intervention.latitude,
            intervention.longitude,
            team.service,
            "",
        )
        wanted = (
            junctions_on_the_route(junctions, road["route"]["coordinates"])
            if road is not None
            else junctions_on_the_way(
                junctions,
                (team.latitude, team.longitude),
                (intervention.latitude, intervention.longitude),
            )
        )
        result = sync_requests(
            PriorityRequest.Requester.EMERGENCY_VEHICLE,
            team.call_sign,
            wanted,
            _("Emergency vehicle %(call_sign)s to %(reference)s")
            % {"call_sign": team.call_sign, "reference": intervention.reference},
        )
        for key in totals:
            totals[key] += result[key]
    totals["released"] += release_finished(
        PriorityRequest.Requester.EMERGENCY_VEHICLE, running, "arrived"
    )
    return totals


def update_bus_priorities() -> dict[str, int]:
    junctions = signal_junctions()
    totals = {"requested": 0, "released": 0}
    late = set()
    buses = Equipment.objects.filter(kind=Equipment.Kind.BUS).exclude(
        status=Equipment.Status.OFFLINE
    )
    for bus_device in buses:
        if int(bus_device.state.get("delay_s") or 0) < settings.BUS_PRIORITY_DELAY_S:
            continue
        late.add(bus_device.code)
        here = (bus_device.latitude, bus_device.longitude)
        near = [
            Wanted(j, approach_from(j, *here), distance)
            for j in junctions
            if (distance := math.hypot(*local_xy(*here, j.latitude, j.longitude)))
            <= settings.BUS_PRIORITY_RADIUS_M
        ]
        wanted = sorted(near, key=lambda w: w.along_m)
        result = sync_requests(
            PriorityRequest.Requester.BUS,
            bus_device.code,
            wanted,
            _("Bus %(code)s late by %(delay_s)s s")
            % {"code": bus_device.code, "delay_s": bus_device.state["delay_s"]},
        )
        for key in totals:
            totals[key] += result[key]
    totals["released"] += release_finished(PriorityRequest.Requester.BUS, late, _("on time"))
    return totals


def update_priorities() -> dict[str, dict[str, int]]:
    """The periodic job."""
    return {"emergency": update_emergency_priorities(), "bus": update_bus_priorities()}

"""Market regulation: occupancy from the gates' in/out counters, gates showing "full" at
capacity and "open" again once occupancy falls under a lower threshold (hysteresis)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from equipment import commands
from equipment.models import FINISHED_COMMAND_STATUSES, Command, Equipment, Site
from ondijon import bus

from .models import MarketOccupancy

ORIGIN = "market-regulation"


def occupancy_from_gates(gates) -> int:
    """People inside: everyone counted in minus everyone counted out, never below zero."""
    entered = sum(int(gate.state.get("in") or 0) for gate in gates)
    left = sum(int(gate.state.get("out") or 0) for gate in gates)
    return max(0, entered - left)


def should_be_full(occupancy: int, capacity: int, currently_full: bool) -> bool:
    if occupancy >= capacity:
        return True
    if occupancy < capacity * settings.MARKET_REOPEN_RATIO:
        return False
    return currently_full  # between the thresholds nothing changes


def market_snapshot(site: Site, record: MarketOccupancy) -> dict:
    return {
        "id": site.pk,
        "code": site.code,
        "name": site.name,
        "capacity": site.capacity,
        "occupancy": record.occupancy,
        "full": record.full,
        "lat": site.latitude,
        "lon": site.longitude,
    }


def regulate_market(site: Site) -> MarketOccupancy:
    """Work out one market's occupancy, log a change, and set its gates' displays."""
    gates = list(site.equipment.filter(kind=Equipment.Kind.MARKET_GATE).order_by("pk"))
    with transaction.atomic():
        record, _ = MarketOccupancy.objects.select_for_update().get_or_create(
            site=site, defaults={"updated_at": timezone.now()}
        )
        occupancy = occupancy_from_gates(gates)
        full = should_be_full(occupancy, site.capacity, record.full)
        if (occupancy, full) != (record.occupancy, record.full):
            record.occupancy, record.full, record.updated_at = occupancy, full, timezone.now()
            record.save()
            bus.emit(
                "market.occupancy_changed",
                subject_type="market",
                subject_id=site.pk,
                subject_label=site.name,
                payload={"market": market_snapshot(site, record)},
            )
        set_gate_displays(site, gates, "full" if full else "open", occupancy)
    return record


def set_gate_displays(site: Site, gates: list[Equipment], display: str, occupancy: int) -> None:
    """Command the gates whose display differs; skip offline ones and those already busy."""
    busy = set(
        Command.objects.filter(equipment__in=gates)
        .exclude(status__in=FINISHED_COMMAND_STATUSES)
        .values_list("equipment_id", flat=True)
    )
    to_change = [
        gate
        for gate in gates
        if gate.state.get("display") != display
        and gate.status != Equipment.Status.OFFLINE
        and gate.pk not in busy
    ]
    if to_change:
        commands.request_commands(
            to_change,
            display,
            reason=f"{site.name}: {occupancy} of {site.capacity} people inside",
            origin=ORIGIN,
        )


def regulate_markets() -> dict[str, int]:
    """The periodic job: every market with a capacity."""
    markets = Site.objects.filter(kind=Site.Kind.MARKET, capacity__isnull=False)
    return {site.code: regulate_market(site).occupancy for site in markets}


def public_markets() -> list[dict]:
    """Occupancy of every market as the public page shows it (live from the counters)."""
    rows = []
    for site in Site.objects.filter(kind=Site.Kind.MARKET, capacity__isnull=False).prefetch_related(
        "equipment"
    ):
        gates = [e for e in site.equipment.all() if e.kind == Equipment.Kind.MARKET_GATE]
        occupancy = occupancy_from_gates(gates)
        full = any(gate.state.get("display") == "full" for gate in gates) or (
            occupancy >= site.capacity
        )
        rows.append(
            {
                "name": site.name,
                "capacity": site.capacity,
                "occupancy": occupancy,
                "percent": min(100, round(100 * occupancy / site.capacity)) if site.capacity else 0,
                "full": full,
            }
        )
    return rows

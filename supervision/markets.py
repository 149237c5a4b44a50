"""Market regulation: occupancy from the gates' in/out counters, gates showing "full" at
capacity and "open" again once occupancy falls under a lower threshold (hysteresis)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from equipment import commands
from equipment.models import FINISHED_COMMAND_STATUSES, Command, Equipment, Site
from ondijon import bus
from supervision.models import MarketOccupancy

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


def market_sites():
    """The markets that are regulated: those with a capacity."""
    return Site.objects.filter(kind=Site.Kind.MARKET, capacity__isnull=False)


def settle_occupancy(site: Site) -> tuple[MarketOccupancy, bus.EventRecord | None, bool]:
    """Work out a market's occupancy from its gates' counters, inside the caller's transaction.

    Returns the record, the event to log when occupancy or the full flag changed, and whether
    the full flag changed (the gates' displays must follow). The record's row is locked, so
    two batches counting at two gates of one market take turns and the second sees both.
    """
    record, _ = MarketOccupancy.objects.select_for_update().get_or_create(
        site=site, defaults={"updated_at": timezone.now()}
    )
    gates = site.equipment.filter(kind=Equipment.Kind.MARKET_GATE)
    occupancy = occupancy_from_gates(gates)
    full = should_be_full(occupancy, site.capacity, record.full)
    if (occupancy, full) == (record.occupancy, record.full):
        return record, None, False
    full_changed = full != record.full
    record.occupancy, record.full, record.updated_at = occupancy, full, timezone.now()
    record.save()
    event = bus.EventRecord(
        kind="market.occupancy_changed",
        subject_type="market",
        subject_id=site.pk,
        subject_label=site.name,
        payload={"market": market_snapshot(site, record)},
    )
    return record, event, full_changed


def regulate_market(site: Site) -> MarketOccupancy:
    """Work out one market's occupancy, log a change, and set its gates' displays."""
    with transaction.atomic():
        # The gates first, as a telemetry batch locks them before the occupancy, and both
        # before the events sequence (the last lock a transaction takes): the gates' commands
        # are logged after the occupancy's event.
        gates = list(
            site.equipment.select_for_update()
            .filter(kind=Equipment.Kind.MARKET_GATE)
            .order_by("pk")
        )
        record, event, _ = settle_occupancy(site)
        if event:
            bus.emit_many([event])
        set_gate_displays(site, gates, "full" if record.full else "open", record.occupancy)
    return record


def counts_people(update) -> bool:
    """Whether a device update from a telemetry batch moved a market gate's counters."""
    return (
        update.equipment["kind"] == Equipment.Kind.MARKET_GATE
        and bool(update.equipment.get("site_id"))
        and any("in" in metrics or "out" in metrics for _, metrics in update.readings)
    )


def evaluate_batch(updates: list, now) -> list[bus.EventRecord]:
    """Telemetry batch handler (`TELEMETRY_BATCH_HANDLERS`): occupancy follows the gates.

    Runs inside the ingest transaction, so the wall and the public page see a market's new
    occupancy with the counts that caused it, not at the next periodic regulation. When a
    market fills up or reopens, its gates' displays are set right after the batch commits
    (the periodic `regulate_markets` remains the safety net for gates that missed it).
    """
    site_ids = sorted({u.equipment["site_id"] for u in updates if counts_people(u)})
    if not site_ids:
        return []
    events, flipped = [], []
    for site in market_sites().filter(pk__in=site_ids).order_by("pk"):
        _, event, full_changed = settle_occupancy(site)
        if event:
            events.append(event)
        if full_changed:
            flipped.append(site.pk)
    if flipped:
        transaction.on_commit(
            lambda: [regulate_market(s) for s in market_sites().filter(pk__in=flipped)]
        )
    return events


def is_regulated(kind: str, capacity: int | None) -> bool:
    """Whether a site is a market the wall shows: a market with a capacity (`market_sites`)."""
    return kind == Site.Kind.MARKET and capacity is not None


def site_changed(before: dict | None, after: Site | None, actor=None) -> list[bus.EventRecord]:
    """Site change handler (`SITE_CHANGE_HANDLERS`): a market renamed, moved or given another
    capacity is redrawn on the wall with its occupancy settled against the new capacity (its
    gates follow once the change commits); a site that stops being one leaves the wall."""
    if after is not None and is_regulated(after.kind, after.capacity):
        record, _, full_changed = settle_occupancy(after)
        if full_changed:
            site_id = after.pk
            transaction.on_commit(
                lambda: [regulate_market(s) for s in market_sites().filter(pk=site_id)]
            )
        snapshot = market_snapshot(after, record)
        return [market_record("market.updated", after.pk, after.name, snapshot, actor)]
    if before is not None and is_regulated(before["kind"], before["capacity"]):
        return [market_record("market.removed", before["id"], before["name"], None, actor)]
    return []


def market_record(
    kind: str, site_id: int, name: str, snapshot: dict | None, actor=None
) -> bus.EventRecord:
    """A market's new state on the wall (None: it leaves the wall)."""
    return bus.EventRecord(
        kind=kind,
        subject_type="market",
        subject_id=site_id,
        subject_label=name,
        payload={"market": snapshot},
        actor=actor,
    )


def wall_markets() -> dict[str, dict]:
    """Every regulated market as a wall screen keeps it, keyed by site id.

    A market not yet regulated shows what its first regulation starts from (nobody inside,
    open), so a screen's snapshot plus the events that follow stays equal to a fresh one.
    """
    records = {record.site_id: record for record in MarketOccupancy.objects.all()}
    return {
        str(site.pk): market_snapshot(
            site, records.get(site.pk) or MarketOccupancy(site=site, occupancy=0, full=False)
        )
        for site in market_sites().order_by("pk")
    }


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
            reason=_("%(name)s: %(occupancy)s of %(capacity)s people inside")
            % {"name": site.name, "occupancy": occupancy, "capacity": site.capacity},
            origin=ORIGIN,
        )


def regulate_markets() -> dict[str, int]:
    """The periodic job: every market with a capacity."""
    return {site.code: regulate_market(site).occupancy for site in market_sites()}


def public_markets() -> list[dict]:
    """Occupancy of every market as the public page shows it (live from the counters)."""
    rows = []
    for site in market_sites().prefetch_related("equipment"):
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
                "lat": site.latitude,
                "lon": site.longitude,
            }
        )
    return rows

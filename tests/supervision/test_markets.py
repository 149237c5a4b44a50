"""Market regulation: occupancy from gate counters, gates full at capacity, reopen lower."""

import pytest

from equipment.models import Command, Equipment, Site
from supervision import markets
from supervision.models import Event, MarketOccupancy


@pytest.fixture
def market(district, make_equipment):
    site = Site.objects.create(
        code="halles",
        name="Les Halles",
        kind=Site.Kind.MARKET,
        district=district,
        latitude=47.3233,
        longitude=5.0386,
        capacity=100,
    )
    for n in (1, 2):
        make_equipment(f"MG-{n}", "market_gate", {"in": 0, "out": 0, "display": "open"}, site=site)
    return site


def set_counters(site, entered, left):
    for gate in Equipment.objects.filter(site=site):
        share = 1 if gate.code == "MG-1" else 0
        gate.state = {**gate.state, "in": entered * share, "out": left * share}
        gate.save()


def displays():
    return sorted(
        Equipment.objects.filter(kind="market_gate").values_list("state__display", flat=True)
    )


def test_gates_show_full_at_capacity_and_reopen_below_the_lower_threshold(
    market, django_capture_on_commit_callbacks
):
    set_counters(market, 80, 10)
    with django_capture_on_commit_callbacks(execute=True):
        assert markets.regulate_markets() == {"halles": 70}
    assert displays() == ["open", "open"]

    set_counters(market, 130, 30)
    with django_capture_on_commit_callbacks(execute=True):
        markets.regulate_markets()
    assert displays() == ["full", "full"]
    assert set(Command.objects.values_list("origin", "action")) == {("market-regulation", "full")}
    assert MarketOccupancy.objects.get().full

    set_counters(market, 130, 35)  # 95 inside: still above the reopening threshold (90)
    with django_capture_on_commit_callbacks(execute=True):
        markets.regulate_markets()
    assert displays() == ["full", "full"]

    set_counters(market, 130, 45)  # 85 inside
    with django_capture_on_commit_callbacks(execute=True):
        markets.regulate_markets()
    assert displays() == ["open", "open"]
    occupancy = [e.payload["market"] for e in Event.objects.filter(kind="market.occupancy_changed")]
    assert [(m["occupancy"], m["full"]) for m in occupancy] == [
        (70, False),
        (100, True),
        (95, True),
        (85, False),
    ]


def test_counts_never_go_negative_and_offline_gates_are_left_alone(
    market, django_capture_on_commit_callbacks
):
    set_counters(market, 5, 9)
    assert markets.occupancy_from_gates(Equipment.objects.filter(site=market)) == 0
    Equipment.objects.filter(code="MG-2").update(status=Equipment.Status.OFFLINE)
    set_counters(market, 120, 0)
    with django_capture_on_commit_callbacks(execute=True):
        markets.regulate_markets()
    assert dict(Equipment.objects.values_list("code", "state__display")) == {
        "MG-1": "full",
        "MG-2": "open",
    }
    # A regulation tick while a command is on its way sends nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        markets.regulate_markets()
    assert Command.objects.count() == 1


def count(code, entered, left):
    from django.utils import timezone

    from equipment.ingest import ingest

    reading = {"in": entered, "out": left}
    return ingest([{"device": code, "time": timezone.now().isoformat(), "metrics": reading}])


def test_counts_reported_by_the_gates_update_occupancy_in_the_same_batch(
    market, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        count("MG-1", 60, 0)
        count("MG-2", 30, 5)
    record = MarketOccupancy.objects.get()
    assert (record.occupancy, record.full) == (85, False)
    assert displays() == ["open", "open"]
    # Filling up: the gates show "full" right after the batch, not at the next regulation.
    with django_capture_on_commit_callbacks(execute=True):
        count("MG-1", 80, 0)
    assert MarketOccupancy.objects.get().full
    assert displays() == ["full", "full"]
    changes = [
        (e.payload["market"]["occupancy"], e.payload["market"]["full"])
        for e in Event.objects.filter(kind="market.occupancy_changed")
    ]
    assert changes == [(60, False), (85, False), (105, True)]
    # The same counts again: nothing to log.
    with django_capture_on_commit_callbacks(execute=True):
        count("MG-1", 80, 0)
    assert Event.objects.filter(kind="market.occupancy_changed").count() == 3

"""The simulator makes a living city through the real API; the periodic jobs run in-process."""

import time

import pytest

from equipment.ingest import ingest
from equipment.models import Equipment, Reading, Site
from interventions.models import Team, TeamPosition
from ondijon.demo.simulator import CitySimulator


@pytest.fixture
def small_city(district):
    market = Site.objects.create(
        code="m",
        name="Market",
        kind="market",
        district=district,
        latitude=47.32,
        longitude=5.04,
        capacity=100,
    )
    for code, kind in [
        ("SL-1", "streetlight"),
        ("SL-2", "streetlight"),
        ("TS-1", "traffic_signal"),
        ("WS-1", "water_sensor"),
        ("DB-1", "delivery_bay"),
        ("CAM-1", "camera"),
        ("BUS-1", "bus"),
    ]:
        Equipment.objects.create(
            code=code, kind=kind, district=district, latitude=47.32, longitude=5.04
        )
    Equipment.objects.create(
        code="MG-1",
        kind="market_gate",
        district=district,
        site=market,
        latitude=47.32,
        longitude=5.04,
    )
    Team.objects.create(call_sign="POL-1", service="police", latitude=47.32, longitude=5.04)


def test_every_simulated_reading_is_accepted(small_city):
    simulator = CitySimulator(rate=20, seed=1)
    now = time.time()
    for second in range(5):
        readings = simulator.readings_for_second(now - 60 + second)
        result = ingest(readings)
        assert result.rejected == [] and result.accepted == len(readings)


def test_incidents_start_and_end(small_city):
    simulator = CitySimulator(rate=5, seed=2)
    camera = simulator.code_index["CAM-1"]
    camera.incident, camera.incident_ends = "detection", time.time()
    simulator.ongoing.add("CAM-1")
    assert camera in simulator.incidents(time.time() + 1)
    assert camera.incident is None


def test_simulator_feeds_the_server_and_moves_vehicles(asgi_server, small_city):
    simulator = CitySimulator(rate=10, url=asgi_server, seed=3)
    assert simulator.run(duration=2.5) > 0
    assert Reading.objects.exists()
    assert TeamPosition.objects.exists()


def test_in_process_beat_finds_the_periodic_tasks(db, settings):
    from ondijon.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_every_streetlight_reports_once_a_cycle_through_its_cabinet(district):
    """Healthy lamps are never silent: each cabinet's gateway sends one batch a cycle."""
    cabinets = [
        Equipment.objects.create(
            code=f"LC-{n}", kind="lighting_cabinet", district=district, latitude=47.3, longitude=5
        )
        for n in range(3)
    ]
    for n in range(12):
        Equipment.objects.create(
            code=f"SL-{n}",
            kind="streetlight",
            district=district,
            latitude=47.3,
            longitude=5,
            parent=cabinets[n % 3] if n < 9 else None,
        )
    simulator = CitySimulator(rate=0, seed=4, lighting_cycle=60)
    now = time.time()
    batches = [b for second in range(60) for b in simulator.batches_for_second(now + second)]
    lamp_batches = [{r["device"] for r in b} for b in batches if b[0]["device"][:3] in "LC-SL-"]
    for cabinet in cabinets:
        (batch,) = [b for b in lamp_batches if cabinet.code in b]
        fed = set(cabinet.children.values_list("code", flat=True))
        assert batch == {cabinet.code, *fed}
    reported = set().union(*lamp_batches)
    assert reported >= {f"SL-{n}" for n in range(12)}

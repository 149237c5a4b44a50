"""The demo metropolis: Dijon's published counts, deterministic and idempotent."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from equipment.models import District, Equipment, Site
from interventions.models import Team
from ondijon import bus
from ondijon.demo.seed import DEMO_USERS, SeedReport, seed_demo
from ondijon.geo import distance_m
from supervision.models import Event
from tests.conftest import schema_checked


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> SeedReport:
    """The demo metropolis seeded once, on an empty database, for every test of this module
    (a seeding with the street snapper takes seconds): in a transaction rolled back after the
    module's last test, as Django's setUpTestData does. Each test still runs in a savepoint of
    its own (`db`), so what one test changes (a second seeding) the next does not see. Its
    events are checked against their schemas as a test's are."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(bus, "emit_many", schema_checked(bus.emit_many))
        city = transaction.atomic()
        city.__enter__()
        try:
            yield seed_demo(password="demo-pass-123")
        finally:
            transaction.set_rollback(True)
            city.__exit__(None, None, None)


def test_demo_has_dijon_scale_and_is_idempotent(demo, db):
    first = demo
    snapshot = sorted(
        Equipment.objects.values_list("code", "latitude", "longitude", "district__code")
    )
    second = seed_demo()

    counts = first.counts
    assert counts["districts"] == 23
    assert counts["streetlight"] == 34_000
    assert counts["traffic_signal"] == 113
    assert counts["camera"] == 269
    assert counts["bollard"] == 26
    assert counts["teams"] == 205
    assert counts["bus"] == 180
    assert Site.objects.filter(kind="public_building").count() == 180
    assert Site.objects.filter(kind="market").count() == 3
    assert counts["building_access"] >= 24
    assert second.counts == counts
    assert second.created_users == {}
    assert (
        sorted(Equipment.objects.values_list("code", "latitude", "longitude", "district__code"))
        == snapshot
    )
    assert Event.objects.filter(kind="demo.seeded").count() == 1
    # Every camera is a simulated stream; the video wall's tiles name seeded cameras.
    from equipment.models import Camera
    from supervision.models import WallScreen

    assert Camera.objects.filter(simulated=True).count() == 269
    video = WallScreen.objects.get(slug="video")
    video.full_clean()
    assert video.panels == ["video"] and video.alarm_tile == 4

    # Every role has its demo user, who can log in with the given password.
    assert set(first.created_users) == {
        "admin",
        "supervisor",
        "operator",
        "dispatcher",
        "agent",
        "field",
        "social",
        "wall",
    }
    assert get_user_model().objects.get(username="dispatcher").check_password("demo-pass-123")
    # The demo has three active screens; its kiosk opens the main wall, not their list.
    from ondijon import navigation

    assert WallScreen.objects.filter(active=True).count() == 3
    assert navigation.landing_url(get_user_model().objects.get(username="wall")) == "/wall/main/"

    # The city is centred on Dijon and the bollards guard the pedestrian centre.
    dijon = District.objects.get(code="dijon")
    assert distance_m(dijon.center_latitude, dijon.center_longitude, 47.322, 5.041) < 500
    for lat, lon in Equipment.objects.filter(kind="bollard").values_list("latitude", "longitude"):
        assert distance_m(lat, lon, 47.3218, 5.0395) < 800
    assert Team.objects.filter(service="police", emergency_vehicle=True).count() == 60


def test_streetlights_hang_off_cabinets_in_their_district_area(demo, db):
    light = Equipment.objects.select_related("parent").get(code="SL-00001")
    assert light.parent.kind == "lighting_cabinet"
    assert (
        distance_m(light.latitude, light.longitude, light.parent.latitude, light.parent.longitude)
        < 2000
    )


def test_seed_command_prints_passwords_once(demo, db, capsys):
    # Without its users (as before a first seeding), the command creates them and prints
    # their password; run again, it prints none.
    get_user_model().objects.filter(username__in=[user[0] for user in DEMO_USERS]).delete()
    call_command("seed_demo", password="pw-once-123")
    assert "pw-once-123" in capsys.readouterr().out
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert "Demo users created" not in output
    assert "streetlight 34000" in output


def test_demo_has_named_streets_addresses_on_them_and_equipment_along_them(demo, db):
    from geography import addresses
    from geography.models import Address, Street

    report = demo
    assert report.counts["streets"] == Street.objects.count() > 400
    assert report.counts["addresses"] == Address.objects.count() > 30_000
    liberte = Street.objects.filter(name="Rue de la Liberté").first()
    assert liberte is not None and len(liberte.nodes) == len(liberte.points) > 10
    # The addresses are numbered odd and even along their street, and are found as typed.
    addresses.forget_index()
    found = addresses.index().search("12 r de la liberte dijon")[0]
    assert found.label == "12 Rue de la Liberté, 21000 Dijon"
    nearest_point = min(
        distance_m(found.latitude, found.longitude, lat, lon) for lon, lat in liberte.points
    )
    assert nearest_point < 200
    # Equipment stands on the streets (within a few metres of a street's line).
    segments = [
        (a, b)
        for street in Street.objects.all()
        for a, b in zip(street.points, street.points[1:], strict=False)
    ]
    for camera in Equipment.objects.filter(kind="camera")[:20]:
        assert min(_metres_to_segment(camera.latitude, camera.longitude, *s) for s in segments) < 3
    addresses.forget_index()


def test_a_demo_commune_names_each_street_once_so_a_typed_address_is_one_place():
    from collections import Counter

    from ondijon.demo.seed import COMMUNES, INSEE_CODES
    from ondijon.demo.streets import build

    demo = build(COMMUNES, INSEE_CODES)
    # A street is the grid's line or main road its addresses were numbered along.
    streets = Counter(
        {(a["nom_commune"], a["nom_voie"], a["id"].split("_")[1]) for a in demo.addresses}
    )
    per_commune = Counter((commune, name) for commune, name, _ in streets)
    assert [key for key, count in per_commune.items() if count > 1] == []
    places = Counter(
        (a["code_insee"], a["nom_voie"], a["numero"], a["rep"]) for a in demo.addresses
    )
    assert [key for key, count in places.items() if count > 1] == []
    assert len(per_commune) > 400


def _metres_to_segment(lat: float, lon: float, a: list, b: list) -> float:
    """Planar distance (metres) from a point to the segment a-b ([lon, lat] each)."""
    scale = 111_195.0
    kx = scale * 0.68  # cos(47.3°)
    px, py = lon * kx, lat * scale
    ax, ay, bx, by = a[0] * kx, a[1] * scale, b[0] * kx, b[1] * scale
    dx, dy = bx - ax, by - ay
    t = (
        0.0
        if dx == dy == 0
        else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    )
    return ((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5

"""The demo metropolis: Dijon's published counts, deterministic and idempotent."""

from django.contrib.auth import get_user_model
from django.core.management import call_command

from equipment.models import District, Equipment, Site
from interventions.models import Team
from ondijon.demo.seed import seed_demo
from ondijon.geo import distance_m
from supervision.models import Event


def test_demo_has_dijon_scale_and_is_idempotent(db):
    first = seed_demo(password="demo-pass-123")
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

    # The city is centred on Dijon and the bollards guard the pedestrian centre.
    dijon = District.objects.get(code="dijon")
    assert distance_m(dijon.center_latitude, dijon.center_longitude, 47.322, 5.041) < 500
    for lat, lon in Equipment.objects.filter(kind="bollard").values_list("latitude", "longitude"):
        assert distance_m(lat, lon, 47.3218, 5.0395) < 800
    assert Team.objects.filter(service="police", emergency_vehicle=True).count() == 60


def test_streetlights_hang_off_cabinets_in_their_district_area(db):
    seed_demo(password="x")
    light = Equipment.objects.select_related("parent").get(code="SL-00001")
    assert light.parent.kind == "lighting_cabinet"
    assert (
        distance_m(light.latitude, light.longitude, light.parent.latitude, light.parent.longitude)
        < 2000
    )


def test_seed_command_prints_passwords_once(db, capsys):
    call_command("seed_demo", password="pw-once-123")
    assert "pw-once-123" in capsys.readouterr().out
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert "Demo users created" not in output
    assert "streetlight 34000" in output

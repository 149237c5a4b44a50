"""Equipment, sites and districts changed through the API or the admin: each change is logged
in the same transaction, and a wall that applies the events ends where a fresh one starts."""

import copy

import pytest
from django.test import Client

from equipment import commands
from equipment.models import District, Equipment, Site
from ondijon import roles
from supervision.alerts import services as supervision_services
from supervision.models import Event
from supervision.wall import state as wall
from tests import admin_forms

# These tests read the wording of refusals, in English (the platform's second language).
pytestmark = pytest.mark.usefixtures("english")


def replayed(old: dict) -> dict:
    return wall.apply_frame(
        copy.deepcopy(old), wall.frame_of(old["seq"], wall.events_after(old["seq"]))
    )


def logged(kind: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind).order_by("seq"))


@pytest.fixture
def admin_api(api_client_for):
    return api_client_for(roles.ADMINISTRATOR)


@pytest.fixture
def admin_site(make_user) -> Client:
    client = Client()
    client.force_login(make_user(roles.ADMINISTRATOR, username="site-admin"))
    return client


@pytest.fixture
def market(district) -> Site:
    return Site.objects.create(
        code="halles",
        name="Les Halles",
        kind=Site.Kind.MARKET,
        district=district,
        latitude=47.3233,
        longitude=5.0386,
        capacity=100,
    )


# --- Equipment deleted -------------------------------------------------------------------


def test_deleting_equipment_through_the_api_takes_it_off_every_wall(admin_api, streetlight):
    old = wall.build_snapshot()
    assert str(streetlight.pk) in old["equipment"]
    response = admin_api.delete(f"/api/v1/equipment/{streetlight.pk}/")
    assert response.status_code == 204
    assert not Equipment.objects.filter(pk=streetlight.pk).exists()
    [event] = logged("equipment.deleted")
    assert (event.subject_id, event.subject_label) == (str(streetlight.pk), "SL-TEST-1")
    fresh = wall.build_snapshot()
    assert str(streetlight.pk) not in fresh["equipment"]
    assert replayed(old) == fresh


def test_equipment_with_commands_on_record_is_not_deleted(admin_api, streetlight):
    commands.request_command(streetlight, "dim", {"level": 30}, reason="Energy saving")
    before = wall.last_seq()
    response = admin_api.delete(f"/api/v1/equipment/{streetlight.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "referenced"
    assert "command" in response.json()["detail"]
    assert Equipment.objects.filter(pk=streetlight.pk).exists()
    assert wall.last_seq() == before


def test_deleting_equipment_in_the_admin_is_logged(admin_site, streetlight, make_equipment):
    other = make_equipment("CAM-2", Equipment.Kind.CAMERA)
    old = wall.build_snapshot()
    url = f"/admin/equipment/equipment/{streetlight.pk}/delete/"
    assert admin_site.post(url, {"post": "yes"}).status_code == 302
    admin_forms.bulk_delete(admin_site, "/admin/equipment/equipment/", [other.pk])
    assert not Equipment.objects.exists()
    assert [e.subject_label for e in logged("equipment.deleted")] == ["SL-TEST-1", "CAM-2"]
    assert replayed(old) == wall.build_snapshot()


def test_a_refused_admin_deletion_says_why_and_deletes_nothing(
    admin_site, streetlight, make_equipment
):
    held = make_equipment("CAM-3", Equipment.Kind.CAMERA)
    supervision_services.raise_alert(
        {"title": "Camera down", "category": "video", "source": "rule", "equipment": held}
    )
    before = wall.last_seq()
    url = f"/admin/equipment/equipment/{held.pk}/delete/"
    response = admin_site.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"]]
    assert "1 alert" in message and "maintenance" in message
    # The others selected with it come first, and are deleted only if all can be.
    response = admin_forms.bulk_delete(
        admin_site, "/admin/equipment/equipment/", [streetlight.pk, held.pk]
    )
    assert response.status_code == 302  # back to the list, with the reason
    assert Equipment.objects.count() == 2
    assert wall.last_seq() == before


def test_the_admin_lists_the_commands_that_keep_a_device_on_record(admin_site, streetlight):
    commands.request_command(streetlight, "dim", {"level": 30}, reason="Energy saving")
    url = f"/admin/equipment/equipment/{streetlight.pk}/delete/"
    response = admin_site.post(url, {"post": "yes"})
    assert response.status_code == 200  # the confirmation page, with what protects it
    assert response.context["protected"]
    assert Equipment.objects.filter(pk=streetlight.pk).exists()


# --- Sites (markets) -----------------------------------------------------------------------


def test_renaming_a_market_through_the_api_reaches_the_wall(admin_api, market):
    old = wall.build_snapshot()
    response = admin_api.patch(
        f"/api/v1/sites/{market.pk}/", {"name": "Halles centrales", "capacity": 80}, format="json"
    )
    assert response.status_code == 200, response.json()
    [event] = logged("site.updated")
    assert event.payload["site"]["name"] == "Halles centrales"
    fresh = wall.build_snapshot()
    assert fresh["market"][str(market.pk)]["name"] == "Halles centrales"
    assert fresh["market"][str(market.pk)]["capacity"] == 80
    assert replayed(old) == fresh


def test_a_site_that_stops_being_a_market_leaves_the_wall(admin_api, market):
    old = wall.build_snapshot()
    response = admin_api.patch(f"/api/v1/sites/{market.pk}/", {"capacity": None}, format="json")
    assert response.status_code == 200, response.json()
    fresh = wall.build_snapshot()
    assert str(market.pk) not in fresh["market"]
    assert replayed(old) == fresh


def test_a_market_created_and_deleted_through_the_api(admin_api, market):
    old = wall.build_snapshot()
    response = admin_api.post(
        "/api/v1/sites/",
        {
            "code": "chenove",
            "name": "Marché de Chenôve",
            "kind": "market",
            "district": "centre",
            "latitude": 47.292,
            "longitude": 5.009,
            "capacity": 600,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = wall.build_snapshot()
    assert created["market"][str(response.json()["id"])]["name"] == "Marché de Chenôve"
    assert replayed(old) == created
    assert admin_api.delete(f"/api/v1/sites/{market.pk}/").status_code == 204
    assert [e.subject_label for e in logged("site.deleted")] == ["Les Halles"]
    assert replayed(old) == wall.build_snapshot()


def test_a_site_that_groups_equipment_is_not_deleted(admin_api, market, make_equipment):
    make_equipment("MG-1", Equipment.Kind.MARKET_GATE, site=market)
    response = admin_api.delete(f"/api/v1/sites/{market.pk}/")
    assert response.status_code == 409
    assert "equipment" in response.json()["detail"]
    assert Site.objects.filter(pk=market.pk).exists()


def test_editing_a_market_in_the_admin_reaches_the_wall(admin_site, market):
    old = wall.build_snapshot()
    admin_forms.save(
        admin_site, f"/admin/equipment/site/{market.pk}/change/", name="Halles", capacity="90"
    )
    [event] = logged("site.updated")
    assert sorted(event.payload["fields"]) == ["capacity", "name"]
    fresh = wall.build_snapshot()
    assert fresh["market"][str(market.pk)]["capacity"] == 90
    assert replayed(old) == fresh


# --- Districts ------------------------------------------------------------------------------


def test_renaming_a_district_through_the_api_reaches_the_wall(admin_api, district):
    old = wall.build_snapshot()
    assert old["district"][str(district.pk)]["name"] == "Centre"
    response = admin_api.patch(
        f"/api/v1/districts/{district.pk}/", {"name": "Centre-ville"}, format="json"
    )
    assert response.status_code == 200, response.json()
    [event] = logged("district.updated")
    assert event.payload["district"]["name"] == "Centre-ville"
    fresh = wall.build_snapshot()
    assert fresh["district"][str(district.pk)]["name"] == "Centre-ville"
    assert replayed(old) == fresh


def test_editing_a_district_in_the_admin_reaches_the_wall(admin_site, district):
    old = wall.build_snapshot()
    boundary = "[[5.0, 47.3], [5.1, 47.3], [5.1, 47.4], [5.0, 47.3]]"
    admin_forms.save(
        admin_site, f"/admin/equipment/district/{district.pk}/change/", boundary=boundary
    )
    [event] = logged("district.updated")
    assert event.payload["district"]["boundary"][1] == [5.1, 47.3]
    assert replayed(old) == wall.build_snapshot()


def test_a_district_with_equipment_is_not_deleted(admin_api, streetlight):
    district = streetlight.district
    response = admin_api.delete(f"/api/v1/districts/{district.pk}/")
    assert response.status_code == 409
    assert "equipment" in response.json()["detail"]
    assert District.objects.filter(pk=district.pk).exists()


def test_an_empty_district_is_deleted_and_leaves_the_wall(admin_api, admin_site, district):
    spare = District.objects.create(
        code="spare", name="Spare", center_latitude=47.3, center_longitude=5.0
    )
    old = wall.build_snapshot()
    assert admin_api.delete(f"/api/v1/districts/{spare.pk}/").status_code == 204
    admin_forms.bulk_delete(admin_site, "/admin/equipment/district/", [district.pk])
    assert not District.objects.exists()
    assert [e.subject_label for e in logged("district.deleted")] == ["Spare", "Centre"]
    assert replayed(old) == wall.build_snapshot()


def test_a_district_an_intervention_was_in_is_not_deleted(admin_api, district):
    from tests.interventions.test_interventions import make_intervention

    make_intervention(district=district)  # a relation the district itself does not name
    response = admin_api.delete(f"/api/v1/districts/{district.pk}/")
    assert response.status_code == 409
    assert "1 intervention" in response.json()["detail"]

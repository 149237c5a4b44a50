"""Teams and interventions deleted through the API or the admin: logged in the same transaction,
dropped by the wall and the dispatcher's desk, refused with a reason when they are in use."""

import copy

import pytest
from django.test import Client

from interventions import services
from interventions.models import Intervention, Team
from ondijon import roles
from supervision.live import streams as desks
from supervision.models import Event
from supervision.wall import state as wall
from tests import admin_forms
from tests.interventions.test_interventions import make_intervention, make_team

# These tests read the wording of refusals, in English (the platform's second language).
pytestmark = pytest.mark.usefixtures("english")


def replayed(old: dict) -> dict:
    return wall.apply_frame(
        copy.deepcopy(old), wall.frame_of(old["seq"], wall.events_after(old["seq"]))
    )


def desk_replayed(old: dict) -> dict:
    """The dispatcher's desk at `old`, after the frame its stream sends on reconnecting."""
    frame, _ = desks.replay(old["seq"], desks.DISPATCH_GROUPS)
    return wall.apply_frame(copy.deepcopy(old), frame)


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


def test_deleting_a_team_through_the_api_takes_it_off_the_wall_and_the_desk(admin_api, db):
    team = make_team("ECL-09")
    old_wall, old_desk = wall.build_snapshot(), services.desk_state()
    assert str(team.pk) in old_wall["team"]
    response = admin_api.delete(f"/api/v1/teams/{team.pk}/")
    assert response.status_code == 204
    assert not Team.objects.filter(pk=team.pk).exists()
    [event] = logged("team.deleted")
    assert (event.subject_id, event.subject_label) == (str(team.pk), "ECL-09")
    fresh_wall, fresh_desk = wall.build_snapshot(), services.desk_state()
    assert str(team.pk) not in fresh_wall["team"]
    assert replayed(old_wall) == fresh_wall
    assert desk_replayed(old_desk) == fresh_desk


def test_a_team_on_an_intervention_is_not_deleted(admin_api, db):
    team = make_team("ECL-09")
    intervention = make_intervention()
    services.assign_team(intervention, team)
    before = wall.last_seq()
    response = admin_api.delete(f"/api/v1/teams/{team.pk}/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "team_assigned"
    assert intervention.reference in body["detail"]
    assert Team.objects.filter(pk=team.pk).exists()
    assert wall.last_seq() == before


def test_a_team_with_assignments_on_record_is_not_deleted(admin_api, db):
    team = make_team("ECL-09")
    intervention = make_intervention()
    services.assign_team(intervention, team)
    services.release_team(intervention, team)
    response = admin_api.delete(f"/api/v1/teams/{team.pk}/")
    assert response.status_code == 409
    assert "assignment" in response.json()["detail"]
    assert Team.objects.filter(pk=team.pk).exists()


def test_deleting_a_mistaken_intervention_through_the_api(admin_api, db):
    intervention = make_intervention(title="Entered twice")
    old_wall, old_desk = wall.build_snapshot(), services.desk_state()
    response = admin_api.delete(f"/api/v1/interventions/{intervention.pk}/")
    assert response.status_code == 204
    [event] = logged("intervention.deleted")
    assert event.subject_label.endswith("Entered twice")
    fresh_wall, fresh_desk = wall.build_snapshot(), services.desk_state()
    assert str(intervention.pk) not in fresh_wall["intervention"]
    assert replayed(old_wall) == fresh_wall
    assert desk_replayed(old_desk) == fresh_desk


def test_an_intervention_a_team_was_sent_to_is_cancelled_not_deleted(admin_api, db):
    intervention = make_intervention()
    services.assign_team(intervention, make_team("ECL-09"))
    response = admin_api.delete(f"/api/v1/interventions/{intervention.pk}/")
    assert response.status_code == 409
    assert "cancel" in response.json()["detail"].lower()
    assert Intervention.objects.filter(pk=intervention.pk).exists()


def test_deleting_teams_and_interventions_in_the_admin_is_logged(admin_site, db):
    teams = [make_team("ECL-08"), make_team("ECL-09")]
    intervention = make_intervention()
    old_wall, old_desk = wall.build_snapshot(), services.desk_state()
    url = f"/admin/interventions/intervention/{intervention.pk}/delete/"
    assert admin_site.post(url, {"post": "yes"}).status_code == 302
    admin_forms.bulk_delete(admin_site, "/admin/interventions/team/", [t.pk for t in teams])
    assert not Team.objects.exists() and not Intervention.objects.exists()
    assert [e.subject_label for e in logged("team.deleted")] == ["ECL-08", "ECL-09"]
    assert len(logged("intervention.deleted")) == 1
    assert replayed(old_wall) == wall.build_snapshot()
    assert desk_replayed(old_desk) == services.desk_state()


def test_a_bulk_deletion_with_one_team_in_use_deletes_none(admin_site, db):
    idle, busy = make_team("ECL-08"), make_team("ECL-09")
    services.assign_team(make_intervention(), busy)
    before = wall.last_seq()
    response = admin_forms.bulk_delete(admin_site, "/admin/interventions/team/", [idle.pk, busy.pk])
    assert response.status_code == 200  # the confirmation page, with what protects it
    assert response.context["protected"]
    assert Team.objects.count() == 2
    assert wall.last_seq() == before


def test_editing_a_team_in_the_admin_reaches_the_desk(admin_site, db):
    team = make_team("ECL-09")
    old_desk = services.desk_state()
    admin_forms.save(admin_site, f"/admin/interventions/team/{team.pk}/change/", status="off_duty")
    assert logged("team.status_changed")
    assert desk_replayed(old_desk) == services.desk_state()


def test_a_crews_phone_hears_that_its_team_was_deleted(admin_api, db):
    team, other = make_team("ECL-09"), make_team("ECL-10")
    after = wall.last_seq()
    assert admin_api.delete(f"/api/v1/teams/{other.pk}/").status_code == 204
    assert admin_api.delete(f"/api/v1/teams/{team.pk}/").status_code == 204
    frame, _ = desks.replay(after, desks.for_team(team.pk))
    assert frame["objects"] == {"team": {str(team.pk): None}}

"""Crisis modes: pre-check, confirmed activation, live progress, retry, rollback."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from equipment.models import Command, Equipment
from ondijon import roles
from supervision.crisis import services as crisis
from supervision.models import CrisisMode, Event, ModeActivation, PlaybookAction

# These tests check the wording of messages: they read them in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english")

Type = PlaybookAction.Type
ALLOW = [{"name": "Gardien Paul", "badge": "B-17", "from": "07:00", "until": "19:00"}]


@pytest.fixture
def devices(make_equipment):
    lights = [
        make_equipment(f"SL-{n}", "streetlight", {"lamp": "on", "dim": 100}) for n in range(5)
    ]
    lights[4].status = Equipment.Status.OFFLINE
    lights[4].save()
    buildings = [
        make_equipment(
            f"BA-{n}", "building_access", {"locked": False, "badges": "normal"}, tags=["lockdown"]
        )
        for n in range(3)
    ]
    untagged = make_equipment("BA-OTHER", "building_access", {"locked": False, "badges": "normal"})
    return {"lights": lights, "buildings": buildings, "untagged": untagged}


@pytest.fixture
def lockdown(district):
    mode = CrisisMode.objects.create(code="lockdown", name="Lockdown")
    steps = [
        dict(
            type=Type.COMMAND,
            equipment_kind="building_access",
            tag="lockdown",
            command="revoke_badges",
            params={"allow": ALLOW},
        ),
        dict(type=Type.COMMAND, equipment_kind="building_access", tag="lockdown", command="lock"),
        dict(
            type=Type.COMMAND,
            equipment_kind="streetlight",
            district=district,
            command="dim",
            params={"level": 30},
        ),
        dict(type=Type.HOTLINE_24_7),
        dict(type=Type.WALL_BANNER, text="LOCKDOWN — stay at home"),
        dict(type=Type.PUBLIC_MESSAGE, text="Stay at home. Markets open 8:00-12:00."),
    ]
    for position, step in enumerate(steps, start=1):
        PlaybookAction.objects.create(mode=mode, position=position, **step)
    return mode


@pytest.fixture
def supervisor_api(api_client_for):
    return api_client_for(roles.SUPERVISOR)


def activate(api, mode, capture):
    with capture(execute=True):
        response = api.post(
            f"/api/v1/crisis-modes/{mode.code}/activate/",
            {"reason": "Prefect's decree", "confirm": True},
            format="json",
        )
    assert response.status_code == 201, response.content
    return ModeActivation.objects.get(pk=response.json()["id"])


def test_precheck_shows_offline_devices_and_what_will_change(supervisor_api, devices, lockdown):
    devices["lights"][0].state = {"lamp": "on", "dim": 30}  # already as the playbook wants
    devices["lights"][0].save()
    response = supervisor_api.get("/api/v1/crisis-modes/lockdown/precheck/")
    assert response.status_code == 200
    steps = response.json()["steps"]
    assert [s["type"] for s in steps] == [
        "command",
        "command",
        "command",
        "hotline_24_7",
        "wall_banner",
        "public_message",
    ]
    assert steps[0]["devices"] == 3  # tagged buildings only
    assert steps[2] == {
        **steps[2],
        "devices": 5,
        "offline": 1,
        "offline_codes": ["SL-4"],
        "will_change": 3,
        "unchanged": 1,
    }
    assert response.json()["offline"] == 1
    assert not Command.objects.exists()  # a pre-check changes nothing


def test_activation_needs_confirmation_a_reason_and_the_supervisor_role(
    api_client_for, supervisor_api, lockdown
):
    url = "/api/v1/crisis-modes/lockdown/activate/"
    assert supervisor_api.post(url, {"reason": "x", "confirm": False}).json() == {
        "confirm": ["Review the pre-check, then confirm the activation."]
    }
    assert supervisor_api.post(url, {"confirm": True}).status_code == 400
    for role in (roles.OPERATOR, roles.DISPATCHER, roles.HOTLINE_AGENT, roles.WALL_DISPLAY):
        assert api_client_for(role).post(url, {"reason": "x", "confirm": True}).status_code == 403
    assert not ModeActivation.objects.exists()


def test_activation_runs_the_playbook_and_reports_progress(
    supervisor_api, devices, lockdown, django_capture_on_commit_callbacks
):
    activation = activate(supervisor_api, lockdown, django_capture_on_commit_callbacks)

    building = Equipment.objects.get(code="BA-0")
    assert building.state == {"locked": True, "badges": "revoked", "allow": ALLOW}
    assert Equipment.objects.get(code="BA-OTHER").state["locked"] is False
    assert Equipment.objects.get(code="SL-0").state == {"lamp": "on", "dim": 30}

    body = supervisor_api.get(f"/api/v1/crisis-activations/{activation.pk}/").json()
    assert body["progress"]["total"] == 3 + 3 + 5
    assert body["progress"]["acknowledged"] == 10
    assert body["progress"]["failed"] == 1
    assert body["progress"]["failures"][0]["equipment"] == "SL-4"
    assert "offline" in body["progress"]["failures"][0]["error"]
    assert body["banner"] == "LOCKDOWN — stay at home"
    assert body["hotline_24_7"] is True
    assert [s["position"] for s in body["steps"]] == [1, 2, 3, 4, 5, 6]

    announced = Event.objects.filter(kind="city.mode_changed").get()
    assert announced.payload == {
        "mode": {
            "code": "lockdown",
            "name": "Lockdown",
            "banner": "LOCKDOWN — stay at home",
            "hotline_24_7": True,
        }
    }
    assert Event.objects.filter(kind="crisis.step_done").count() == 6
    # Only one mode at a time.
    again = supervisor_api.post(
        "/api/v1/crisis-modes/lockdown/activate/", {"reason": "x", "confirm": True}
    )
    assert again.status_code == 409


def test_deactivation_restores_every_device_and_says_what_could_not_be(
    supervisor_api, devices, lockdown, django_capture_on_commit_callbacks, make_user
):
    devices["lights"][1].state = {"lamp": "off", "dim": 0}
    devices["lights"][1].save()
    activation = activate(supervisor_api, lockdown, django_capture_on_commit_callbacks)
    # A building's controller goes offline during the lockdown: it cannot be unlocked.
    Equipment.objects.filter(code="BA-2").update(status=Equipment.Status.OFFLINE)

    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_api.post(
            f"/api/v1/crisis-activations/{activation.pk}/deactivate/",
            {"reason": "Decree lifted"},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ended"
    # Once the devices have answered:
    restore = supervisor_api.get(f"/api/v1/crisis-activations/{activation.pk}/").json()["restore"]

    states = dict(Equipment.objects.values_list("code", "state"))
    assert states["BA-0"] == {"locked": False, "badges": "normal", "allow": []}
    assert states["SL-0"] == {"lamp": "on", "dim": 100}
    assert states["SL-1"] == {"lamp": "off", "dim": 0}  # back to how it was, not to "on"
    assert states["BA-2"]["locked"] is True
    assert {f["equipment"] for f in restore["failures"]} == {"BA-2"}
    assert restore["failed"] == 2  # lock and badges of BA-2
    assert restore["acknowledged"] == restore["total"] - 2
    # The administrator reads the same in the activation's record.
    admin = Client()
    admin.force_login(make_user(roles.ADMINISTRATOR))
    page = admin.get(f"/admin/supervision/modeactivation/{activation.pk}/change/")
    assert "not restored: BA-2" in page.content.decode()

    modes = [e.payload["mode"]["code"] for e in Event.objects.filter(kind="city.mode_changed")]
    assert modes == ["lockdown", "normal"]
    assert crisis.current_activation() is None
    assert (
        supervisor_api.post(f"/api/v1/crisis-activations/{activation.pk}/deactivate/").status_code
        == 409
    )


def test_failed_devices_can_be_retried_from_the_progress_view(
    settings, supervisor_api, devices, lockdown, django_capture_on_commit_callbacks
):
    settings.COMMAND_SIMULATOR = {**settings.COMMAND_SIMULATOR, "failure_rate": 1.0}
    activation = activate(supervisor_api, lockdown, django_capture_on_commit_callbacks)
    assert crisis.progress(activation)["acknowledged"] == 0

    settings.COMMAND_SIMULATOR = {**settings.COMMAND_SIMULATOR, "failure_rate": 0.0}
    Equipment.objects.filter(code="SL-4").update(status=Equipment.Status.OK)
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_api.post(f"/api/v1/crisis-activations/{activation.pk}/retry/")
    assert response.status_code == 202
    progress = crisis.progress(activation)
    assert progress == {**progress, "acknowledged": 11, "failed": 0, "pending": 0}


def test_the_hotline_opens_24_7_with_the_mode_and_back_to_its_hours_after(
    make_user, devices, lockdown, django_capture_on_commit_callbacks
):
    from hotline.services import hotline_mode

    supervisor = make_user(roles.SUPERVISOR)
    with django_capture_on_commit_callbacks(execute=True):
        activation = crisis.activate(lockdown, supervisor, "Decree", confirmed=True)
    activation.refresh_from_db()
    step = next(s for s in activation.steps if s["type"] == "hotline_24_7")
    assert step["status"] == "done"
    assert hotline_mode().round_the_clock
    assert hotline_mode().changed_by == supervisor
    with django_capture_on_commit_callbacks(execute=True):
        crisis.deactivate(activation, supervisor)
    assert not hotline_mode().round_the_clock
    hours = Event.objects.filter(kind="hotline.hours_changed").order_by("seq")
    assert [e.payload["hotline"]["round_the_clock"] for e in hours] == [True, False]


def test_a_playbook_with_a_bad_command_is_refused_when_saved(lockdown):
    action = PlaybookAction(
        mode=lockdown,
        type=Type.COMMAND,
        equipment_kind="streetlight",
        command="dim",
        params={"level": "bright"},
    )
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert "level" in str(error.value.message_dict["params"])
    action = PlaybookAction(mode=lockdown, type=Type.WALL_BANNER, text=" ")
    with pytest.raises(ValidationError):
        action.full_clean()


def test_screens_read_the_current_mode(api_client_for, supervisor_api, lockdown, devices):
    wall = api_client_for(roles.WALL_DISPLAY)
    assert wall.get("/api/v1/crisis-activations/current/").json() == {
        "mode": {"code": "normal", "name": "Normal", "banner": "", "hotline_24_7": False}
    }
    supervisor_api.post("/api/v1/crisis-modes/lockdown/activate/", {"reason": "x", "confirm": True})
    assert wall.get("/api/v1/crisis-activations/current/").json()["mode"]["code"] == "lockdown"
    assert (
        api_client_for(roles.HOTLINE_AGENT).get("/api/v1/crisis-activations/current/").status_code
        == 403
    )


def test_callback_campaign_step_starts_the_hotline_campaign(
    make_user, lockdown, django_capture_on_commit_callbacks
):
    from hotline.models import CallbackCampaign

    PlaybookAction.objects.create(mode=lockdown, position=9, type=Type.CALLBACK_CAMPAIGN)
    with django_capture_on_commit_callbacks(execute=True):
        activation = crisis.activate(
            lockdown, make_user(roles.SUPERVISOR), "Decree", confirmed=True
        )
    activation.refresh_from_db()
    campaign = CallbackCampaign.objects.get()
    assert (campaign.name, campaign.crisis) == ("Lockdown: Decree", "lockdown")
    assert campaign.started_by.username == "supervisor-user"
    assert activation.steps[-1] == {**activation.steps[-1], "status": "done"}


def test_a_mode_the_hotline_has_no_crisis_for_calls_back_as_other(
    make_user, district, django_capture_on_commit_callbacks
):
    from hotline.models import CallbackCampaign

    storm = CrisisMode.objects.create(code="storm", name="Storm")
    PlaybookAction.objects.create(mode=storm, position=1, type=Type.CALLBACK_CAMPAIGN)
    with django_capture_on_commit_callbacks(execute=True):
        crisis.activate(storm, make_user(roles.SUPERVISOR), "Gusts", confirmed=True)
    assert CallbackCampaign.objects.get().crisis == "other"

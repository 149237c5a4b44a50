"""Commands to equipment: request, validation, sending, acknowledgement, time-out, retry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from equipment import catalogue, commands
from equipment.models import Command, Equipment
from ondijon import roles
from ondijon.demo.devices import simulated_answer
from supervision.models import Event

# These tests check the wording of messages: they read them in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english")

URL = "/api/v1/commands/"


class UnansweredDevices:
    """Devices that take commands and never answer (a dead radio link)."""

    sent: list[int] = []

    def send(self, batch):
        UnansweredDevices.sent += [c.pk for c in batch]


def command_kinds(command):
    return list(
        Event.objects.filter(subject_type="command", subject_id=str(command.pk)).values_list(
            "kind", flat=True
        )
    )


@pytest.fixture
def operator(api_client_for):
    return api_client_for(roles.OPERATOR)


def test_operator_dims_a_streetlight_and_the_device_acknowledges(
    operator, streetlight, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(
            URL,
            {
                "equipment": streetlight.code,
                "action": "dim",
                "params": {"level": 40},
                "reason": "Energy saving",
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    command = Command.objects.get(pk=response.json()["id"])
    assert command.status == Command.Status.ACKNOWLEDGED
    assert command.attempts == 1
    assert command.requested_by.username == "operator-user"
    assert command.previous_state == {"lamp": "on", "dim": None}
    streetlight.refresh_from_db()
    assert streetlight.state == {"lamp": "on", "dim": 40}
    assert command_kinds(command) == ["command.requested", "command.acknowledged"]
    sent = Event.objects.get(kind="commands.sent")
    assert sent.payload["commands"] == [
        {
            "id": command.pk,
            "equipment_code": streetlight.code,
            "attempt": 1,
            "action": "dim",
            "requested_at": command.requested_at.isoformat(),
        }
    ]
    update = Event.objects.filter(kind="equipment.updated", subject_id=str(streetlight.pk)).get()
    assert update.payload["equipment"]["state"]["dim"] == 40
    assert operator.get(f"{URL}{command.pk}/").json()["status"] == "acknowledged"


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"action": "explode"}, {"action"}),
        ({"action": "dim", "params": {"level": 140}}, {"params"}),
        ({"action": "dim", "params": {}}, {"params"}),
        ({"action": "on", "params": {"colour": "red"}}, {"params"}),
        ({"action": "on", "reason": ""}, {"reason"}),
        ({"action": "on", "equipment": "SL-NOPE"}, {"equipment"}),
    ],
)
def test_invalid_commands_are_refused_with_field_errors(operator, streetlight, body, errors):
    payload = {"equipment": streetlight.code, "reason": "Test", **body}
    response = operator.post(URL, payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == errors
    assert not Command.objects.exists()


def test_parameter_errors_name_the_parameter(operator, streetlight):
    response = operator.post(
        URL,
        {"equipment": streetlight.code, "action": "dim", "params": {"level": 140}, "reason": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json() == {"params": {"level": ["Must be between 0 and 100."]}}


def test_allow_list_of_a_badge_revocation_is_checked(make_equipment):
    with pytest.raises(catalogue.InvalidCommand) as error:
        catalogue.clean_params(
            "building_access", "revoke_badges", {"allow": [{"name": "Ana", "from": "25:00"}]}
        )
    assert "from" in error.value.errors["params"]["allow"][0]
    cleaned = catalogue.clean_params(
        "building_access",
        "revoke_badges",
        {"allow": [{"name": "Ana Guard", "from": "07:00", "until": "19:00"}]},
    )
    assert cleaned["allow"][0] == {
        "name": "Ana Guard",
        "badge": "",
        "from": "07:00",
        "until": "19:00",
    }


def test_command_to_an_offline_device_fails_at_once(operator, streetlight):
    streetlight.status = Equipment.Status.OFFLINE
    streetlight.save()
    response = operator.post(
        URL, {"equipment": streetlight.code, "action": "off", "reason": "Test"}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "device_offline"
    assert "SL-TEST-1 is offline" in body["detail"] and "not sent" in body["detail"]
    command = Command.objects.get()
    assert command.status == Command.Status.FAILED
    assert command_kinds(command) == ["command.failed"]


def test_roles_without_the_permission_cannot_command(api_client_for, streetlight):
    payload = {"equipment": streetlight.code, "action": "off", "reason": "Test"}
    for role in (roles.DISPATCHER, roles.HOTLINE_AGENT, roles.FIELD_TEAM, roles.WALL_DISPLAY):
        assert api_client_for(role).post(URL, payload, format="json").status_code == 403
    assert not Command.objects.exists()


def test_unanswered_command_is_resent_then_times_out(
    settings, streetlight, make_user, django_capture_on_commit_callbacks
):
    settings.COMMAND_ADAPTER = f"{__name__}.UnansweredDevices"
    with django_capture_on_commit_callbacks(execute=True):
        command = commands.request_command(
            streetlight, "off", reason="Test", actor=make_user(roles.OPERATOR)
        )
    later = timezone.now() + timedelta(seconds=settings.COMMAND_ACK_TIMEOUT_S + 1)
    for attempt in range(2, settings.COMMAND_MAX_ATTEMPTS + 1):
        with django_capture_on_commit_callbacks(execute=True):
            assert commands.expire_overdue_commands(later) == {"resent": 1, "timed_out": 0}
        command.refresh_from_db()
        assert command.attempts == attempt
        later += timedelta(seconds=settings.COMMAND_ACK_TIMEOUT_S + 1)
    assert commands.expire_overdue_commands(later) == {"resent": 0, "timed_out": 1}
    command.refresh_from_db()
    assert command.status == Command.Status.TIMED_OUT
    assert "No acknowledgement after 3 attempts" in command.error
    assert command_kinds(command)[-1] == "command.timed_out"
    assert UnansweredDevices.sent[-3:] == [command.pk] * 3

    # The device did act after all: its late answer still counts.
    commands.record_acknowledgements([commands.Acknowledgement(command.pk, ok=True)])
    command.refresh_from_db()
    streetlight.refresh_from_db()
    assert command.status == Command.Status.ACKNOWLEDGED
    assert streetlight.state["lamp"] == "off"


def test_failed_command_can_be_retried(
    operator, settings, streetlight, django_capture_on_commit_callbacks
):
    settings.COMMAND_SIMULATOR = {**settings.COMMAND_SIMULATOR, "failure_rate": 1.0}
    with django_capture_on_commit_callbacks(execute=True):
        command = commands.request_command(streetlight, "off", reason="Test")
    command.refresh_from_db()
    assert command.status == Command.Status.FAILED
    assert "did not carry out" in command.error

    settings.COMMAND_SIMULATOR = {**settings.COMMAND_SIMULATOR, "failure_rate": 0.0}
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(f"{URL}{command.pk}/retry/")
    assert response.status_code == 201 or response.status_code == 202
    command.refresh_from_db()
    assert command.status == Command.Status.ACKNOWLEDGED
    assert command.attempts == 4  # a fresh set of attempts: 4, 5, 6
    assert "command.retried" in command_kinds(command)
    # Nothing left to retry.
    assert operator.post(f"{URL}{command.pk}/retry/").status_code == 409


def test_simulated_devices_answer_deterministically(settings, streetlight):
    settings.COMMAND_SIMULATOR = {
        "seed": 7,
        "failure_rate": 0.3,
        "min_delay_s": 0.1,
        "max_delay_s": 0.9,
    }
    now = timezone.now()
    batch = Command.objects.bulk_create(
        Command(equipment=streetlight, action="on", reason="x", requested_at=now)
        for _ in range(200)
    )
    answers = [simulated_answer(c) for c in batch]
    assert answers == [simulated_answer(c) for c in batch]
    failures = sum(not a.ok for a in answers)
    assert 30 < failures < 90
    assert all(0.1 <= a.delay_s <= 0.9 for a in answers)


def test_catalogue_lists_actions_per_kind(operator):
    catalogue = {row["kind"]: row for row in operator.get(f"{URL}catalogue/").json()}
    assert {a["name"] for a in catalogue["traffic_signal"]["actions"]} == {
        "normal",
        "flashing",
        "priority",
    }
    assert set(catalogue) >= {
        "streetlight",
        "bollard",
        "building_access",
        "camera",
        "water_valve",
        "market_gate",
    }


@pytest.mark.parametrize(
    "kind, state",
    [
        ("streetlight", {"lamp": "off"}),
        ("streetlight", {"lamp": "on", "dim": 60}),
        ("traffic_signal", {"mode": "normal", "plan": 3, "priority_approach": None}),
        ("traffic_signal", {"mode": "flashing"}),
        ("bollard", {"position": "lowered"}),
        ("building_access", {"locked": True, "badges": "normal", "allow": []}),
        ("camera", {"preset": 5}),
        ("water_valve", {"position": "closed"}),
        ("market_gate", {"display": "full"}),
    ],
)
def test_restoring_actions_bring_back_the_state(kind, state):
    reached = {}
    for action, params in catalogue.restoring_actions(kind, state):
        reached.update(
            catalogue.expected_state(kind, action, catalogue.clean_params(kind, action, params))
        )
    assert {key: reached.get(key) for key in state} == state


def test_unreachable_broker_fails_the_command_with_the_reason(
    settings, streetlight, django_capture_on_commit_callbacks
):
    settings.COMMAND_ADAPTER = "equipment.adapters.MqttAdapter"
    settings.COMMAND_MQTT_URL = "mqtt://127.0.0.1:1"  # nothing listens there
    settings.COMMAND_MQTT_TIMEOUT_S = 0.5
    with django_capture_on_commit_callbacks(execute=True):
        command = commands.request_command(streetlight, "off", reason="Test")
    command.refresh_from_db()
    assert command.status == Command.Status.FAILED
    assert command.error.startswith("Could not reach the devices")

"""An operator finds commands by device, kind, action, status, origin and time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from equipment.models import Command
from ondijon import roles

URL = "/api/v1/commands/"
NOW = timezone.now()


@pytest.fixture
def history(make_equipment):
    lamp = make_equipment("SL-F1", "streetlight")
    bollard = make_equipment("BOL-F1", "bollard")

    def command(device, action, status, minutes_ago, origin=""):
        return Command.objects.create(
            equipment=device,
            action=action,
            reason="test",
            status=status,
            origin=origin,
            requested_at=NOW - timedelta(minutes=minutes_ago),
        )

    return {
        "dimmed": command(lamp, "dim", Command.Status.ACKNOWLEDGED, 60),
        "lamp off": command(lamp, "off", Command.Status.FAILED, 30),
        "raised": command(bollard, "raise", Command.Status.TIMED_OUT, 10, origin="crisis:1"),
    }


@pytest.fixture
def operator(api_client_for):
    return api_client_for(roles.OPERATOR)


def found(operator, **filters) -> set[str]:
    response = operator.get(URL, filters)
    assert response.status_code == 200, response.content
    return {f"{row['equipment']} {row['action']}" for row in response.json()["results"]}


def test_commands_are_found_by_each_filter(operator, history):
    assert found(operator, equipment="SL-F1") == {"SL-F1 dim", "SL-F1 off"}
    assert found(operator, equipment_kind="bollard") == {"BOL-F1 raise"}
    assert found(operator, action="off") == {"SL-F1 off"}
    assert found(operator, status=["failed", "timed_out"]) == {"SL-F1 off", "BOL-F1 raise"}
    assert found(operator, origin="crisis:1") == {"BOL-F1 raise"}
    since = (NOW - timedelta(minutes=45)).isoformat()
    until = (NOW - timedelta(minutes=20)).isoformat()
    assert found(operator, requested_after=since, requested_before=until) == {"SL-F1 off"}


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "lost"},
        {"action": "explode"},
        {"equipment_kind": "toaster"},
        {"requested_after": "yesterday"},
    ],
    ids=lambda filters: next(iter(filters)),
)
def test_a_bad_value_is_refused_with_the_field_named(operator, history, filters):
    response = operator.get(URL, filters)
    assert response.status_code == 400
    assert set(response.json()) == set(filters)

"""A device's answer that holds a state the database cannot store (NUL characters, numbers
that are not finite) is still recorded: the command is acknowledged, the state refused, and
the other answers of the listener's batch are applied."""

import logging

import pytest

from equipment import commands
from equipment.adapters import parse_acknowledgement
from equipment.models import Command
from ondijon import roles


class UnansweredDevices:
    """Devices that take commands and answer only when the test says so."""

    def send(self, batch):
        pass


@pytest.fixture
def sent_commands(settings, streetlight, make_equipment, make_user):
    settings.COMMAND_ADAPTER = f"{__name__}.UnansweredDevices"
    operator = make_user(roles.OPERATOR)
    other = make_equipment("SL-0002", "streetlight", {"lamp": "on"})
    return [
        commands.request_command(device, "off", reason="Night", actor=operator)
        for device in (streetlight, other)
    ]


@pytest.mark.parametrize(
    "state",
    [
        b'{"lamp": NaN}',
        b'{"lamp": Infinity}',
        b'{"lamp": 1e400}',
        b'{"lamp": "on\\u0000"}',
        b'{"note\\u0000": "x"}',
    ],
)
def test_an_answer_with_an_unstorable_state_is_recorded_without_it(sent_commands, state, caplog):
    bad, good = sent_commands
    answers = [
        parse_acknowledgement(b'{"command": %d, "ok": true, "state": %s}' % (bad.pk, state)),
        parse_acknowledgement(b'{"command": %d, "ok": true, "state": {"lamp": "off"}}' % good.pk),
    ]
    with caplog.at_level(logging.WARNING, logger="equipment.commands"):
        commands.record_acknowledgements(answers)
    for command in sent_commands:
        command.refresh_from_db()
        assert command.status == Command.Status.ACKNOWLEDGED
    bad.equipment.refresh_from_db()
    assert bad.equipment.state["lamp"] == "off"  # what the command was expected to do
    good.equipment.refresh_from_db()
    assert good.equipment.state["lamp"] == "off"
    assert f"command {bad.pk}" in caplog.text


def test_a_refusal_whose_reason_holds_nul_is_recorded(sent_commands):
    bad, _good = sent_commands
    answer = parse_acknowledgement(b'{"command": %d, "ok": false, "error": "jam\\u0000"}' % bad.pk)
    commands.record_acknowledgements([answer])
    bad.refresh_from_db()
    assert bad.status == Command.Status.FAILED
    assert bad.error == "jam"

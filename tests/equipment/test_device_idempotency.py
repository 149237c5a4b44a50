"""The demo's devices carry out each command id once (the command protocol's idempotency,
equipment/adapters.py): no database, no broker."""

from datetime import timedelta

from django.utils import timezone

from ondijon.demo.devices import CarriedOut


def test_simulated_devices_carry_out_each_command_once_and_ignore_late_ones():
    devices = CarriedOut(limit=2)
    now = timezone.now()
    soon = (now + timedelta(seconds=60)).isoformat()
    assert devices.answer({"command": 1, "attempt": 1, "expires_at": soon}) == {
        "command": 1,
        "ok": True,
    }
    repeat = devices.answer({"command": 1, "attempt": 2, "expires_at": soon})
    assert repeat == {"command": 1, "ok": True, "repeat": True}
    past = (now - timedelta(seconds=1)).isoformat()
    assert devices.answer({"command": 2, "attempt": 1, "expires_at": past}) is None
    assert devices.answer({"attempt": 1}) is None
    assert (devices.carried_out, devices.repeats) == (1, 1)
    # Ids are forgotten past their deadline, or beyond the limit (oldest first).
    devices.answer({"command": 3, "expires_at": soon})
    devices.answer({"command": 4, "expires_at": soon})
    assert list(devices.answers) == [3, 4]

"""Drill: the acknowledgement listener is killed (SIGKILL) for 10 s, then for 35 s, while
devices keep answering commands.

Real processes on a Mosquitto of the test's own (with persistence): the listener
(`listen_command_acks`) and the simulated devices (`simulate_command_devices`); commands go
out from this process through the MQTT adapter, and the periodic job that resends overdue
commands and times them out runs here every second. Every answer sent while the listener was
down is applied once it is back: the broker kept them in its persistent session.
"""

import time
import uuid

import pytest
from django.db.models import Count

from equipment import commands
from equipment.models import Command, Equipment
from tests import command_stack as stack
from tests.instances import own_mosquitto

pytestmark = [
    pytest.mark.drill,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

PER_SECOND = 4


@pytest.fixture
def broker():
    with own_mosquitto() as mosquitto:
        yield mosquitto


@pytest.fixture
def production(settings, broker):
    prefix = f"drill-{uuid.uuid4().hex[:8]}"
    settings.COMMAND_ADAPTER = "equipment.adapters.MqttAdapter"
    settings.COMMAND_MQTT_URL = broker.url
    settings.COMMAND_TOPIC_PREFIX = prefix
    env = stack.stack_environment(
        {
            "MQTT_URL": broker.url,
            "COMMAND_TOPIC_PREFIX": prefix,
            "COMMAND_ACK_CLIENT_ID": f"{prefix}-acks",
            "COMMAND_ACK_SESSION_EXPIRY_S": "300",
        }
    )
    recorder = stack.RecordingDevices(broker.url, prefix, answer=False)
    devices = stack.start_process(
        [stack.sys.executable, "manage.py", "simulate_command_devices"], env, "devices.log"
    )
    yield env, recorder
    stack.stop(devices)
    recorder.close()


@pytest.fixture
def streetlights(make_equipment):
    return [
        make_equipment(f"SL-{n:03d}", Equipment.Kind.STREETLIGHT, {"lamp": "on"})
        for n in range(200)
    ]


def all_acknowledged(command_ids) -> bool:
    return not (
        Command.objects.filter(pk__in=command_ids)
        .exclude(status=Command.Status.ACKNOWLEDGED)
        .exists()
    )


@pytest.mark.parametrize("down_s", [10, 35])
def test_answers_sent_while_the_listener_is_down_are_applied_once_it_is_back(
    production, streetlights, down_s
):
    env, recorder = production
    listener = stack.start_ack_listener(env)
    try:
        warm_up = commands.request_command(streetlights[0], "off", reason="Drill warm-up")
        # Sent again until devices and listener are up (the periodic job's resend).
        ready = stack.wait_until(
            lambda: commands.expire_overdue_commands() and all_acknowledged([warm_up.pk]), 90, 1
        )
        assert ready is not None, stack.log_tail("ack-listener-0.log")
        stack.kill(listener)
        sent, devices = [], iter(streetlights[1:])
        started = time.monotonic()
        while time.monotonic() - started < down_s:
            for _ in range(PER_SECOND):
                sent.append(commands.request_command(next(devices), "off", reason="Drill").pk)
            commands.expire_overdue_commands()  # beat's job: resend, or time out
            time.sleep(1)
        timed_out_while_down = Command.objects.filter(
            pk__in=sent, status=Command.Status.TIMED_OUT
        ).count()
        listener = stack.start_ack_listener(env)
        applied_in = stack.wait_until(lambda: all_acknowledged(sent), 60)
    finally:
        stack.stop(listener)

    deliveries = recorder.per_command()
    resent = sum(1 for attempts in deliveries.values() if len(attempts) > 1)
    same_attempt_twice = [
        pk for pk, attempts in deliveries.items() if len(attempts) != len(set(attempts))
    ]
    statuses = dict(
        Command.objects.filter(pk__in=sent).values_list("status").annotate(n=Count("id"))
    )
    print(
        f"\nlistener down {down_s} s: {len(sent)} commands sent, statuses {statuses}, "
        f"timed out while down {timed_out_while_down}, resent after a time-out {resent}, "
        f"an attempt delivered twice {len(same_attempt_twice)}, all answers applied "
        f"{applied_in and round(applied_in, 1)} s after the listener was back"
    )
    # Every answer applied once the listener is back, the late ones included.
    assert applied_in is not None, stack.log_tail("ack-listener-0.log")
    assert statuses == {Command.Status.ACKNOWLEDGED: len(sent)}
    answered = Equipment.objects.filter(commands__pk__in=sent)
    assert not answered.filter(state__lamp="on").exists()  # each device's state set
    # No attempt reached a device twice (a lost acknowledgement would have sent it again).
    assert same_attempt_twice == []

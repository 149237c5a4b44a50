"""Drill: the Celery worker is killed (SIGKILL) in the middle of a lockdown plan.

Real processes on the production path: a worker and beat on Redis, the MQTT adapter, the
acknowledgement listener, devices on the broker recording what they receive. After a new
worker starts, the plan resumes by itself (no Retry), the buildings are locked once each, and
the bollards whose step deadline passed while no worker ran expire instead of rising late.
"""

import time
import uuid

import pytest
from django.db.models import Count
from django.utils import timezone

from equipment.models import Command, Equipment
from ondijon.celery import app as celery_app
from supervision.crisis import services as crisis
from supervision.models import ActivationCommand, CrisisMode, PlaybookAction
from tests import command_stack as stack
from tests.conftest import mqtt_url

pytestmark = [
    pytest.mark.drill,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.mqtt,
    pytest.mark.django_db(transaction=True),
]

BUILDINGS, BOLLARDS = 36, 26
BOLLARD_DEADLINE_S = 5
WORKER_DOWN_S = 6


@pytest.fixture
def lockdown(make_equipment):
    for n in range(BUILDINGS):
        make_equipment(f"BA-{n:02d}", Equipment.Kind.BUILDING_ACCESS, {"locked": False})
    for n in range(BOLLARDS):
        make_equipment(f"BO-{n:02d}", Equipment.Kind.BOLLARD, {"position": "lowered"})
    mode = CrisisMode.objects.create(code="lockdown", name="Lockdown")
    PlaybookAction.objects.create(
        mode=mode,
        position=1,
        type=PlaybookAction.Type.COMMAND,
        equipment_kind=Equipment.Kind.BUILDING_ACCESS,
        command="lock",
        deadline_s=600,
    )
    PlaybookAction.objects.create(
        mode=mode,
        position=2,
        type=PlaybookAction.Type.COMMAND,
        equipment_kind=Equipment.Kind.BOLLARD,
        command="raise",
        deadline_s=BOLLARD_DEADLINE_S,
    )
    return mode


@pytest.fixture
def production(settings, tmp_path):
    """Worker environment, devices and listener on a topic tree of this test's own."""
    prefix = f"drill-{uuid.uuid4().hex[:8]}"
    env = stack.stack_environment(
        {
            "COMMAND_ADAPTER": "equipment.adapters.MqttAdapter",
            "MQTT_URL": mqtt_url(),
            "COMMAND_TOPIC_PREFIX": prefix,
            "COMMAND_ACK_CLIENT_ID": f"{prefix}-acks",
            "COMMAND_ACK_SESSION_EXPIRY_S": "300",
            # One command per batch: the plan takes long enough to be cut in the middle.
            "CRISIS_SEND_BATCH": "1",
            # No resend by time-out in this drill: any second delivery would be a duplicate.
            "COMMAND_ACK_TIMEOUT_S": "120",
        }
    )
    stack.purge_queues(env)
    devices = stack.RecordingDevices(mqtt_url(), prefix)
    listener = stack.start_ack_listener(env)
    beat = stack.start_beat(env, tmp_path / "celerybeat-schedule")
    celery_app.conf.task_always_eager = False  # the request side hands tasks to Redis
    yield env, devices
    celery_app.conf.task_always_eager = True
    for process in (beat, listener):
        stack.stop(process)
    devices.close()


def plan_rows():
    return ActivationCommand.objects.filter(phase=ActivationCommand.Phase.APPLY)


def plan_carried_out() -> bool:
    """Every planned command created, and none still waiting to go out."""
    rows = plan_rows()
    return (
        not rows.filter(command__isnull=True).exists()
        and not Command.objects.filter(status=Command.Status.REQUESTED).exists()
    )


def test_a_plan_cut_by_a_worker_crash_resumes_by_itself_and_sends_nothing_late(
    lockdown, production
):
    env, devices = production
    worker = stack.start_worker(env)
    activation = crisis.activate(lockdown, None, "Drill: worker killed", confirmed=True)
    # Kill the worker while it carries out the first step.
    cut = stack.wait_until(lambda: plan_rows().filter(command__isnull=False).exists(), 60, 0.01)
    assert cut is not None, stack.log_tail("celery-worker.log")
    stack.kill(worker)
    killed_at = time.monotonic()
    created_before_kill = plan_rows().filter(command__isnull=False).count()
    assert created_before_kill < BUILDINGS, "the plan was not cut in its first step"

    time.sleep(WORKER_DOWN_S)
    restarted_at = time.monotonic()
    ready_before = stack.ready_lines()
    worker = stack.start_worker(env)
    try:
        # "Back" is when the new worker says it is ready (its start-up is not the plan's).
        started_in = stack.wait_until(lambda: stack.ready_lines() > ready_before, 60)
        assert started_in is not None, stack.log_tail("celery-worker.log")
        back = timezone.now()
        resumed_in = stack.wait_until(
            lambda: (
                Command.objects.filter(requested_at__gt=back).exists()
                or Command.objects.filter(sent_at__gt=back).exists()
            ),
            60,
        )
        assert resumed_in is not None, stack.log_tail("celery-worker.log")
        carried_out_in = stack.wait_until(plan_carried_out, 60)
        assert carried_out_in is not None, stack.log_tail("celery-worker.log")
        acknowledged = stack.wait_until(
            lambda: Command.objects.filter(status=Command.Status.ACKNOWLEDGED).count() >= BUILDINGS,
            60,
        )
        assert acknowledged is not None, stack.log_tail("ack-listener-0.log")
    finally:
        stack.stop(worker)

    statuses = {
        (action, status): count
        for action, status, count in Command.objects.values_list("action", "status")
        .order_by()
        .annotate(n=Count("id"))
    }
    deliveries = devices.per_command()
    duplicated = sum(1 for attempts in deliveries.values() if len(attempts) > 1)
    print(
        f"\nworker killed {cut:.2f} s after the switch with {created_before_kill} of "
        f"{BUILDINGS + BOLLARDS} commands created, down {restarted_at - killed_at:.1f} s; "
        f"new worker ready in {started_in:.1f} s; plan resumed {resumed_in:.1f} s after it "
        f"was ready, carried out {resumed_in + carried_out_in:.1f} s after; "
        f"commands by status {statuses}; delivered {len(devices.deliveries)}, "
        f"late {len(devices.late())}, duplicated {duplicated}"
    )
    # The plan resumed by itself, within 15 s of the worker being back.
    assert resumed_in <= 15
    assert crisis.progress(activation)["error"] == ""
    # Every building locked, each sent once; no bollard rose after its step's deadline.
    assert statuses == {
        ("lock", Command.Status.ACKNOWLEDGED): BUILDINGS,
        ("raise", Command.Status.EXPIRED): BOLLARDS,
    }
    assert devices.late() == []
    assert duplicated == 0
    assert sorted(deliveries) == sorted(
        Command.objects.filter(action="lock").values_list("pk", flat=True)
    )
    assert not Equipment.objects.filter(
        kind=Equipment.Kind.BOLLARD, state__position="raised"
    ).exists()
    # The steps say what really went out, from the commands themselves.
    activation.refresh_from_db()
    steps = crisis.steps_progress(activation)
    assert [(s["status"], s["sent"], s["expired"]) for s in steps] == [
        ("sent", BUILDINGS, 0),
        ("sent in part: some expired", 0, BOLLARDS),
    ]

"""Writers of the room's changes never deadlock on the events log's numbering lock.

During a lockdown, a batch of the crisis plan inserts commands for hundreds of devices while
the acknowledgement listener locks devices to record their answers. PostgreSQL checks a new
command's device (its foreign key) only at commit, after the batch has taken the events
numbering lock; a listener that locked that device meanwhile and waits for the numbering
lock made a cycle: one of the two writers failed (and an equipment PATCH waiting behind the
listener answered 500 in the worker drill). The events sequence must be the last lock a
transaction takes.
"""

import threading
import time

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from equipment import commands
from equipment.models import Command
from supervision.crisis import services as crisis
from supervision.models import ActivationCommand, CrisisMode, EventSequence, ModeActivation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def backend_pid() -> int:
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def wait_until_waiting_for_a_lock(pid: int, bound: float = 30.0) -> None:
    """Until the backend `pid` waits for a lock (its writer reached the step under test)."""
    deadline = time.monotonic() + bound
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted", [pid])
            if cursor.fetchone():
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for a lock")


class Writer(threading.Thread):
    """One writer on its own database connection; records its pid and what went wrong."""

    def __init__(self, work) -> None:
        super().__init__(daemon=True)
        self.work, self.error, self.pid = work, None, None
        self.connected = threading.Event()

    def run(self) -> None:
        try:
            self.pid = backend_pid()
            self.connected.set()
            self.work()
        except DatabaseError as error:
            self.error = error
        finally:
            self.connected.set()
            connection.close()


def make_lockdown_batch(make_equipment, make_user):
    """A lockdown in force, its first step's commands to two buildings still to send; the
    second building has a command out whose answer is arriving."""
    EventSequence.objects.get_or_create(pk=1)  # the log has numbered events before
    buildings = [make_equipment(f"BLD-{n}", "building_access", {"locked": False}) for n in range(2)]
    now = timezone.now()
    mode = CrisisMode.objects.create(code="lockdown", name="Lockdown")
    activation = ModeActivation.objects.create(
        mode=mode,
        reason="Drill",
        activated_by=make_user("supervisor"),
        activated_at=now,
        send_updated_at=now,
        steps=[{"position": 1, "type": "command", "summary": "lock", "status": "pending"}],
    )
    ActivationCommand.objects.bulk_create(
        ActivationCommand(
            activation=activation,
            phase=ActivationCommand.Phase.APPLY,
            step=1,
            equipment=building,
            action="lock",
            params={},
            previous_state={"locked": False},
        )
        for building in buildings
    )
    answered = Command.objects.create(
        equipment=buildings[1],
        action="lock",
        params={},
        reason="Earlier lock",
        status=Command.Status.SENT,
        requested_at=now,
        sent_at=now,
        attempts=1,
    )
    return activation, answered


@pytest.fixture
def lockdown_batch(make_equipment, make_user):
    return make_lockdown_batch(make_equipment, make_user)


def test_a_crisis_batch_and_an_acknowledgement_on_its_device_both_commit(lockdown_batch):
    activation, answered = lockdown_batch
    planned = list(ActivationCommand.objects.filter(activation=activation).order_by("pk"))

    def crisis_batch():
        with transaction.atomic():
            crisis.carry_out_next(activation.pk, ActivationCommand.Phase.APPLY)

    def acknowledgement():
        commands.record_acknowledgements(
            [commands.Acknowledgement(answered.pk, ok=True, state={"locked": True})]
        )

    batch, listener = Writer(crisis_batch), Writer(acknowledgement)
    # The test's own connection holds the plan's rows: the batch stops right after logging
    # its commands (holding the numbering lock), before it marks them on the plan.
    with transaction.atomic():
        list(ActivationCommand.objects.select_for_update().filter(pk__in=[r.pk for r in planned]))
        batch.start()
        batch.connected.wait(30)
        wait_until_waiting_for_a_lock(batch.pid)
        # Meanwhile the building's answer arrives and the listener goes as far as it can.
        listener.start()
        listener.connected.wait(30)
        wait_until_waiting_for_a_lock(listener.pid)
    batch.join(60)
    listener.join(60)

    print(f"crisis batch: {batch.error or 'committed'}; listener: {listener.error or 'committed'}")
    assert batch.error is None and listener.error is None
    answered.refresh_from_db()
    assert answered.status == Command.Status.ACKNOWLEDGED
    assert not ActivationCommand.objects.filter(activation=activation, command=None).exists()


def test_closing_an_intervention_and_a_crew_reporting_its_position_both_commit():
    """A cancelled intervention releases its teams one event after another; a phone reports
    the second team's position meanwhile."""
    from interventions import services as interventions
    from interventions.models import Assignment, Intervention, Team

    EventSequence.objects.get_or_create(pk=1)
    now = timezone.now()
    teams = [
        Team.objects.create(
            call_sign=f"ECL-{n}", service="lighting", status=Team.Status.BUSY, latitude=47.3
        )
        for n in range(2)
    ]
    intervention = Intervention.objects.create(
        reference="INT-1",
        title="Streetlight down",
        category="lighting",
        service="lighting",
        priority=2,
        status=Intervention.Status.EN_ROUTE,
        latitude=47.3,
        longitude=5.0,
        reported_at=now,
    )
    for team in teams:
        Assignment.objects.create(intervention=intervention, team=team, assigned_at=now)

    def cancel():
        interventions.change_status(intervention, Intervention.Status.CANCELLED)

    def report_position():
        report = interventions.PositionReport(teams[1].pk, 47.31, 5.04, timezone.now())
        interventions.report_positions([report])

    closing, phone = Writer(cancel), Writer(report_position)
    # The test's connection holds the events sequence, so each writer goes as far as it can
    # and waits for it, the cancellation first.
    with transaction.atomic():
        EventSequence.objects.select_for_update().get(pk=1)
        closing.start()
        closing.connected.wait(30)
        wait_until_waiting_for_a_lock(closing.pid)
        phone.start()
        phone.connected.wait(30)
        wait_until_waiting_for_a_lock(phone.pid)
    closing.join(60)
    phone.join(60)

    print(f"cancellation: {closing.error or 'committed'}; position: {phone.error or 'committed'}")
    assert closing.error is None and phone.error is None
    assert set(Team.objects.values_list("status", flat=True)) == {Team.Status.AVAILABLE}
    assert Team.objects.get(pk=teams[1].pk).latitude == 47.31


def test_an_equipment_patch_during_a_lockdown_batch_and_its_answers_is_saved(
    make_equipment, make_user, api_client_for
):
    """The worker drill's case: an operator's PATCH of a building waits for the events
    sequence while the listener, holding another building of the batch, waits for the
    patched one; the batch, holding the sequence, must not wait for the listener."""
    activation, answered = make_lockdown_batch(make_equipment, make_user)
    patched = make_equipment("BLD-9", "building_access", {"locked": False})
    answered_too = Command.objects.create(
        equipment=patched,
        action="lock",
        params={},
        reason="Earlier lock",
        status=Command.Status.SENT,
        requested_at=timezone.now(),
        attempts=1,
    )
    planned = list(
        ActivationCommand.objects.filter(activation=activation).values_list("pk", flat=True)
    )
    operator = api_client_for("administrator")
    answers = []

    def crisis_batch():
        with transaction.atomic():
            crisis.carry_out_next(activation.pk, ActivationCommand.Phase.APPLY)

    def patch():
        response = operator.patch(
            f"/api/v1/equipment/{patched.pk}/", {"status": "maintenance"}, format="json"
        )
        answers.append((response.status_code, response.content[:300]))

    def acknowledgements():
        commands.record_acknowledgements(
            [
                commands.Acknowledgement(answered.pk, ok=True, state={"locked": True}),
                commands.Acknowledgement(answered_too.pk, ok=True, state={"locked": True}),
            ]
        )

    batch, operator_request, listener = (
        Writer(crisis_batch),
        Writer(patch),
        Writer(acknowledgements),
    )
    with transaction.atomic():
        list(ActivationCommand.objects.select_for_update().filter(pk__in=planned))
        for writer in (batch, operator_request, listener):
            writer.start()
            writer.connected.wait(30)
            wait_until_waiting_for_a_lock(writer.pid)
    for writer in (batch, operator_request, listener):
        writer.join(60)

    print(
        f"PATCH answered {answers}; batch: {batch.error or 'committed'}; "
        f"listener: {listener.error or 'committed'}"
    )
    assert answers and answers[0][0] == 200
    assert batch.error is None and listener.error is None
    assert Command.objects.get(pk=answered_too.pk).status == Command.Status.ACKNOWLEDGED

"""Crisis modes switch in a short transaction and send their plan in batches afterwards:
the request returns at once, other writers of the events log are not held up, a failure
mid-way leaves whole batches and a retry resumes, and the rollback restores every device."""

import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from equipment.models import Command, Equipment
from ondijon import bus, jobs, roles
from ondijon.celery import app as celery_app
from supervision.crisis import services as crisis
from supervision.models import ActivationCommand, CrisisMode, Event, ModeActivation, PlaybookAction

held = threading.Event()


@celery_app.task(name="tests.hold_the_jobs_thread")
def hold_the_jobs_thread() -> None:
    """Keeps the in-process jobs thread busy until the test lets go."""
    held.wait(60)


@pytest.fixture
def streetlights(make_equipment):
    return [
        make_equipment(f"SL-{n:03d}", "streetlight", {"lamp": "on", "dim": 100}) for n in range(60)
    ]


@pytest.fixture
def curfew(district):
    mode = CrisisMode.objects.create(code="curfew", name="Curfew")
    PlaybookAction.objects.create(
        mode=mode,
        position=1,
        type=PlaybookAction.Type.COMMAND,
        equipment_kind="streetlight",
        command="dim",
        params={"level": 30},
    )
    PlaybookAction.objects.create(
        mode=mode, position=2, type=PlaybookAction.Type.WALL_BANNER, text="CURFEW"
    )
    return mode


@pytest.fixture
def jobs_thread(settings):
    """The embedded default: background jobs on the in-process jobs thread."""
    settings.IN_PROCESS_JOBS = "thread"
    held.clear()
    yield
    held.set()
    assert jobs.wait_for_jobs(60)


def supervisor_client(make_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_user(roles.SUPERVISOR))
    return client


def states() -> set[tuple]:
    return {
        tuple(sorted(state.items())) for state in Equipment.objects.values_list("state", flat=True)
    }


@pytest.mark.django_db(transaction=True)
def test_the_request_returns_before_the_commands_are_sent(
    settings, jobs_thread, make_user, streetlights, curfew
):
    settings.CRISIS_SEND_BATCH = 25
    api = supervisor_client(make_user)
    # The jobs thread is busy with something else: if activation waited for its commands to
    # go out, the request could not return.
    jobs.run_later(hold_the_jobs_thread.name)

    response = api.post(
        "/api/v1/crisis-modes/curfew/activate/",
        {"reason": "Decree", "confirm": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["progress"] == {**body["progress"], "total": 60, "sent": 0, "pending": 60}
    assert body["banner"] == "CURFEW"  # the switch itself is in force
    assert [s["status"] for s in body["steps"]] == ["pending", "done"]
    assert not Command.objects.exists()
    modes = Event.objects.filter(kind="city.mode_changed")
    assert modes.get().payload["mode"]["code"] == "curfew"

    held.set()
    assert jobs.wait_for_jobs(60)
    activation = ModeActivation.objects.get()
    progress = crisis.progress(activation)
    assert progress == {**progress, "total": 60, "sent": 60, "acknowledged": 60, "pending": 0}
    assert states() == {(("dim", 30), ("lamp", "on"))}
    # Sent, as the commands themselves say (the step only recorded them queued).
    assert [s["status"] for s in crisis.steps_progress(activation)] == ["sent", "done"]
    # Three batches of 25, 25 and 10, each in its own transaction.
    assert Command.objects.values("requested_at").distinct().count() == 3
    assert Event.objects.filter(kind="crisis.commands_sent").count() == 1

    # Going back is the same: the request returns, the restoring commands follow.
    held.clear()
    jobs.run_later(hold_the_jobs_thread.name)
    response = api.post(
        f"/api/v1/crisis-activations/{activation.pk}/deactivate/", {"reason": "Lifted"}
    )
    assert response.status_code == 200
    assert response.json()["restore"] == {
        **response.json()["restore"],
        "total": 60,
        "sent": 0,
    }
    assert states() == {(("dim", 30), ("lamp", "on"))}
    held.set()
    assert jobs.wait_for_jobs(60)
    assert states() == {(("dim", 100), ("lamp", "on"))}
    report = crisis.restore_report(activation)
    assert report == {**report, "acknowledged": 60, "failures": [], "pending": 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_event_writer_is_not_held_up_for_the_whole_activation(
    settings, make_equipment, curfew
):
    """Another connection writes events while the playbook is sent: its events take numbers
    between the playbook's batches, which one long transaction would not allow."""
    settings.CRISIS_SEND_BATCH = 20
    first = make_equipment("SL-X", "streetlight", {"lamp": "on", "dim": 100})
    Equipment.objects.bulk_create(
        Equipment(
            code=f"SL-{n:04d}",
            kind="streetlight",
            district_id=first.district_id,
            latitude=47.32,
            longitude=5.04,
            state={"lamp": "on", "dim": 100},
        )
        for n in range(300)
    )
    stop, started, waits = threading.Event(), threading.Event(), []

    def other_writer():
        try:
            while not stop.is_set():
                begun = time.perf_counter()
                with transaction.atomic():
                    bus.emit("telemetry.probe", subject_type="probe")
                waits.append(time.perf_counter() - begun)
                started.set()
                time.sleep(0.002)
        finally:
            connection.close()

    writer = threading.Thread(target=other_writer)
    writer.start()
    try:
        assert started.wait(10)
        begun = time.perf_counter()
        activation = crisis.activate(curfew, None, "Decree", confirmed=True)
        sending = time.perf_counter() - begun
    finally:
        stop.set()
        writer.join()

    assert crisis.progress(activation)["sent"] == 301
    requested = Event.objects.filter(kind="command.requested").order_by("seq")
    first, last = requested.first().seq, requested.last().seq
    between = Event.objects.filter(kind="telemetry.probe", seq__gt=first, seq__lt=last).count()
    assert between >= 3, "the other writer waited for the whole playbook"
    assert max(waits) < sending / 2, (max(waits), sending)


def test_a_failure_mid_way_keeps_whole_batches_and_a_retry_resumes(
    settings, api_client_for, streetlights, curfew, django_capture_on_commit_callbacks
):
    settings.CRISIS_SEND_BATCH = 20
    # An administrator turned one device into another kind after the switch was planned:
    # its batch cannot be sent.
    api = api_client_for(roles.SUPERVISOR)
    with django_capture_on_commit_callbacks(execute=True):
        activation = crisis.activate(curfew, None, "Decree", confirmed=True)
        Equipment.objects.filter(code="SL-030").update(kind="camera")
    activation.refresh_from_db()
    progress = crisis.progress(activation)
    assert progress == {
        **progress,
        "total": 60,
        "sent": 20,  # the first batch, whole; the second rolled back, whole
        "acknowledged": 20,
        "sending": False,
    }
    assert "KeyError" in progress["error"]
    assert Command.objects.count() == 20
    assert ActivationCommand.objects.filter(command__isnull=False).count() == 20
    assert Event.objects.filter(kind="crisis.sending_failed").count() == 1
    page = api.get(f"/api/v1/crisis-activations/{activation.pk}/").json()
    assert page["progress"]["error"] == progress["error"]

    Equipment.objects.filter(code="SL-030").update(kind="streetlight")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/crisis-activations/{activation.pk}/retry/")
    assert response.status_code == 202
    activation.refresh_from_db()
    progress = crisis.progress(activation)
    assert progress == {**progress, "sent": 60, "acknowledged": 60, "error": "", "pending": 0}
    assert Command.objects.count() == 60  # nothing sent twice


def test_deactivating_while_the_plan_is_being_sent_stops_it_and_restores_what_was_sent(
    settings, streetlights, curfew, django_capture_on_commit_callbacks
):
    settings.CRISIS_SEND_BATCH = 20
    activation = crisis.activate(curfew, None, "Decree", confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        crisis.carry_out_next(activation.pk, "apply")  # one batch of three, then deactivated
    assert Equipment.objects.filter(state__dim=30).count() == 20
    with django_capture_on_commit_callbacks(execute=True):
        crisis.deactivate(activation, None, "False alarm")
    activation.refresh_from_db()
    assert activation.steps[0]["status"] == "stopped: the mode ended first"
    assert crisis.progress(activation)["cut_short"] == 40
    report = crisis.restore_report(activation)
    assert report == {**report, "total": 20, "acknowledged": 20, "failures": []}
    assert states() == {(("dim", 100), ("lamp", "on"))}


def test_commands_still_waiting_to_go_out_when_the_mode_ends_are_never_sent(
    settings, streetlights, curfew, django_capture_on_commit_callbacks
):
    settings.CRISIS_SEND_BATCH = 20
    activation = crisis.activate(curfew, None, "Decree", confirmed=True)
    with django_capture_on_commit_callbacks(execute=False):  # queued, no worker took them yet
        crisis.carry_out_next(activation.pk, "apply")
    waiting = list(crisis.phase_commands(activation, "apply").values_list("pk", flat=True))
    assert len(waiting) == 20
    with django_capture_on_commit_callbacks(execute=True):
        crisis.deactivate(activation, None, "False alarm")
    # The worker reaches them after the rollback: they expire rather than dim the streets.
    from equipment import commands

    assert commands.mark_sent(waiting) == []
    assert set(Command.objects.filter(pk__in=waiting).values_list("status", flat=True)) == {
        Command.Status.EXPIRED
    }
    assert states() == {(("dim", 100), ("lamp", "on"))}

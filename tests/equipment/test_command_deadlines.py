"""A command never runs late: past its deadline it expires instead of going out; one left
requested by a crashed worker is handed over again; a crisis plan cut mid-way resumes; Retry
covers every unsent command; a step says "sent" only once its commands left."""

from datetime import timedelta

import pytest
from django.utils import timezone

from equipment import commands, delivery
from equipment.models import Command, Equipment
from supervision.crisis import services as crisis
from supervision.models import CrisisMode, Event, ModeActivation, PlaybookAction

# These tests check the wording of messages: they read them in English (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def kinds(command: Command) -> list[str]:
    return list(
        Event.objects.filter(subject_type="command", subject_id=str(command.pk))
        .order_by("seq")
        .values_list("kind", flat=True)
    )


def requested(streetlight) -> Command:
    """A command requested in this test's transaction: never handed over (no commit here)."""
    return commands.request_command(streetlight, "off", reason="Test")


def test_each_command_gets_the_deadline_of_its_kind(settings, streetlight, make_equipment):
    settings.COMMAND_DEADLINE_S = 300
    settings.COMMAND_DEADLINES_S = {"camera.goto_preset": 60}
    camera = make_equipment("CAM-1", Equipment.Kind.CAMERA, {"preset": 1})
    light = requested(streetlight)
    preset = commands.request_command(camera, "goto_preset", {"preset": 3}, reason="Crowd")
    assert light.expires_at - light.requested_at == timedelta(seconds=300)
    assert preset.expires_at - preset.requested_at == timedelta(seconds=60)


def test_a_command_taken_by_a_worker_after_its_deadline_expires_and_is_not_sent(streetlight):
    command = requested(streetlight)
    Command.objects.filter(pk=command.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert delivery.send_commands([command.pk]) == 0
    command.refresh_from_db()
    assert command.status == Command.Status.EXPIRED
    assert command.attempts == 0 and command.sent_at is None
    assert "dropped rather than sent late" in command.error
    assert kinds(command) == ["command.requested", "command.expired"]
    assert not Event.objects.filter(kind="commands.sent").exists()
    streetlight.refresh_from_db()
    assert streetlight.state["lamp"] == "on"


def test_a_batch_handed_out_twice_is_sent_once(streetlight):
    command = requested(streetlight)
    assert [c.pk for c in commands.mark_sent([command.pk])] == [command.pk]
    assert commands.mark_sent([command.pk]) == []  # the broker's redelivery, another worker
    command.refresh_from_db()
    assert command.attempts == 1


def test_an_order_already_past_its_deadline_is_recorded_expired(streetlight):
    past = timezone.now() - timedelta(seconds=5)
    [command] = commands.create_commands([(streetlight, "off", {})], "Late plan", expires_at=past)
    assert command.status == Command.Status.EXPIRED
    assert kinds(command) == ["command.expired"]


def test_the_sweep_hands_stranded_commands_over_again_and_expires_the_late_ones(
    settings, streetlight, make_equipment, django_capture_on_commit_callbacks
):
    other = make_equipment("SL-2", Equipment.Kind.STREETLIGHT, {"lamp": "on"})
    stranded, late = requested(streetlight), requested(other)
    fresh = commands.request_command(streetlight, "dim", {"level": 50}, reason="Test")
    long_ago = timezone.now() - timedelta(seconds=settings.COMMAND_REQUEUE_AFTER_S + 1)
    Command.objects.filter(pk__in=[stranded.pk, late.pk]).update(queued_at=long_ago)
    Command.objects.filter(pk=late.pk).update(expires_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        assert commands.requeue_stranded_commands() == {"requeued": 1, "expired": 1}

    stranded.refresh_from_db(), late.refresh_from_db(), fresh.refresh_from_db()
    assert stranded.status == Command.Status.ACKNOWLEDGED  # sent, and the device answered
    assert late.status == Command.Status.EXPIRED
    assert fresh.status == Command.Status.REQUESTED  # handed over just now: left alone
    streetlight.refresh_from_db()
    assert streetlight.state["lamp"] == "off"


def test_an_unanswered_command_is_not_resent_past_its_deadline(settings, streetlight):
    command = requested(streetlight)
    commands.mark_sent([command.pk])
    later = timezone.now() + timedelta(seconds=settings.COMMAND_ACK_TIMEOUT_S + 1)
    Command.objects.filter(pk=command.pk).update(expires_at=later - timedelta(seconds=1))
    assert commands.expire_overdue_commands(later) == {"resent": 0, "timed_out": 1}
    command.refresh_from_db()
    assert command.status == Command.Status.TIMED_OUT
    assert "not sent again" in command.error


def test_a_resend_waits_requested_so_a_second_worker_does_not_send_it_too(settings, streetlight):
    command = requested(streetlight)
    commands.mark_sent([command.pk])
    later = timezone.now() + timedelta(seconds=settings.COMMAND_ACK_TIMEOUT_S + 1)
    assert commands.expire_overdue_commands(later) == {"resent": 1, "timed_out": 0}
    command.refresh_from_db()
    assert command.status == Command.Status.REQUESTED
    assert len(commands.mark_sent([command.pk])) == 1
    assert commands.mark_sent([command.pk]) == []


def test_a_late_acknowledgement_after_a_time_out_still_sets_the_device_state(settings, streetlight):
    command = requested(streetlight)
    for attempt in range(settings.COMMAND_MAX_ATTEMPTS):
        if attempt:
            commands.return_to_queue([command])
        commands.mark_sent([command.pk])
    later = timezone.now() + timedelta(seconds=settings.COMMAND_ACK_TIMEOUT_S + 1)
    commands.expire_overdue_commands(later)
    command.refresh_from_db()
    assert command.status == Command.Status.TIMED_OUT
    commands.record_acknowledgements([commands.Acknowledgement(command.pk, ok=True)])
    command.refresh_from_db()
    streetlight.refresh_from_db()
    assert command.status == Command.Status.ACKNOWLEDGED
    assert streetlight.state["lamp"] == "off"


@pytest.fixture
def lockdown(make_equipment):
    for n in range(4):
        make_equipment(f"BA-{n}", Equipment.Kind.BUILDING_ACCESS, {"locked": False})
    mode = CrisisMode.objects.create(code="lockdown", name="Lockdown")
    PlaybookAction.objects.create(
        mode=mode,
        position=1,
        type=PlaybookAction.Type.COMMAND,
        equipment_kind=Equipment.Kind.BUILDING_ACCESS,
        command="lock",
        deadline_s=120,
    )
    return mode


def test_a_plan_cut_mid_way_resumes_by_itself_and_its_step_says_sent_only_once_sent(
    settings, lockdown, django_capture_on_commit_callbacks
):
    settings.CRISIS_SEND_BATCH = 2
    # The worker dies after one batch: the sending job never runs again by itself.
    activation = crisis.activate(lockdown, None, "Drill", confirmed=True)
    crisis.carry_out_next(activation.pk, "apply")
    activation.refresh_from_db()
    [step] = crisis.steps_progress(activation)
    assert (step["status"], step["sent"]) == ("sending", 0)  # 2 queued, none has left
    deadline = activation.activated_at + timedelta(seconds=120)
    assert set(Command.objects.values_list("expires_at", flat=True)) == {deadline}

    assert crisis.resume_stalled_plans() == []  # progress is recent: a worker may be on it
    ModeActivation.objects.filter(pk=activation.pk).update(
        send_updated_at=timezone.now() - timedelta(seconds=settings.CRISIS_RESUME_AFTER_S + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert crisis.resume_stalled_plans() == [activation.pk]
    activation.refresh_from_db()
    [step] = crisis.steps_progress(activation)
    # The rest went out; the first batch's two wait still (their job died with the worker).
    assert (step["status"], step["sent"]) == ("sending", 2)
    long_ago = timezone.now() - timedelta(seconds=settings.COMMAND_REQUEUE_AFTER_S + 1)
    Command.objects.filter(status=Command.Status.REQUESTED).update(queued_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert commands.requeue_stranded_commands() == {"requeued": 2, "expired": 0}
    [step] = crisis.steps_progress(activation)
    assert (step["status"], step["sent"]) == ("sent", 4)
    assert Event.objects.filter(kind="crisis.resumed").count() == 1
    assert crisis.resume_stalled_plans() == []  # nothing left to do


def test_retry_hands_over_again_the_commands_left_requested(
    settings, lockdown, django_capture_on_commit_callbacks
):
    activation = crisis.activate(lockdown, None, "Drill", confirmed=True)
    crisis.send_plan(activation.pk, "apply")  # every command queued, none taken by a worker
    assert crisis.progress(activation)["waiting"] == 4
    with django_capture_on_commit_callbacks(execute=True):
        assert crisis.retry_failures(activation, None) == 4
    progress = crisis.progress(activation)
    assert (progress["waiting"], progress["acknowledged"]) == (0, 4)

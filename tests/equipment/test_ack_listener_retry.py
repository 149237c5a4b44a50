"""The acknowledgement listener after a database outage: the answers it held are stored
before the overdue-commands sweep can take their commands for unanswered and send them again
(the PostgreSQL-restart drill, bench/drills.py, saw devices get a command twice)."""

from equipment.adapters import AcknowledgementListener


def test_held_answers_are_tried_again_more_often_than_the_overdue_sweep_runs(settings):
    sweep_every = settings.CELERY_BEAT_SCHEDULE["expire-overdue-commands"]["schedule"]
    assert AcknowledgementListener.retry_delay_max_s < sweep_every

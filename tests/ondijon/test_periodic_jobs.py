"""Periodic jobs after a worker crash: what piled up in the queue while no worker ran is
stale, and expires unrun, so the sweeps that resume a crisis plan run at once."""


def test_a_periodic_job_expires_once_its_next_run_is_due(settings):
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert 0 < entry.get("options", {}).get("expires", 0) <= entry["schedule"], name

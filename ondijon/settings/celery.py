"""Background jobs: Celery on Redis in production, in-process on the embedded default.

`CELERY_BEAT_SCHEDULE` is every periodic job of the platform, in one place: Celery beat reads
it in production, the in-process beat thread (`ondijon/jobs.py`) on the embedded default.
"""

from .channels import REDIS_URL
from .env import env_float, env_str

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Europe/Paris"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4

CELERY_BEAT_SCHEDULE = {
    # Alert rules: silence, durations and clearing (the readings themselves are checked
    # within their ingest transaction, `TELEMETRY_BATCH_HANDLERS`).
    "rule-checks": {
        "task": "supervision.tasks.run_rule_checks",
        "schedule": env_float("RULE_CHECK_SECONDS", 15),
    },
    "purge-readings": {"task": "equipment.tasks.purge_readings", "schedule": 3600.0},
    "hotline-anonymise-personal-data": {
        "task": "hotline.tasks.anonymise_expired_personal_data",
        "schedule": 3600.0,
    },
    # Commands whose acknowledgement is overdue are sent again, or time out.
    "expire-overdue-commands": {
        "task": "equipment.tasks.expire_overdue_commands",
        "schedule": 2.0,
    },
    "emergency-vehicle-priority": {
        "task": "supervision.tasks.update_priorities",
        "schedule": 3.0,
    },
    "market-regulation": {"task": "supervision.tasks.regulate_markets", "schedule": 5.0},
    # The events chain's head, appended outside the database (supervision/log/checkpoints.py).
    "events-checkpoint": {
        "task": "supervision.tasks.write_events_checkpoint",
        "schedule": env_float("EVENTS_CHECKPOINT_SECONDS", 300),
    },
    "locked-building-watch": {
        "task": "supervision.tasks.watch_locked_buildings",
        "schedule": 2.0,
    },
}

# Background jobs without a Celery worker: "thread" (one in-process jobs thread) or "inline"
# (run at once in the caller: the tests' default).
IN_PROCESS_JOBS = env_str("IN_PROCESS_JOBS", "thread")

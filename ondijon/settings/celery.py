"""Background jobs: Celery on Redis in production, in-process on the embedded default.

`CELERY_BEAT_SCHEDULE` is every periodic job of the platform, in one place: Celery beat reads
it in production, the in-process beat thread (`ondijon/jobs.py`) on the embedded default.
"""

from kombu import Queue

from .channels import REDIS_MASTER_NAME, REDIS_SENTINELS, REDIS_URL
from .env import env_float, env_str


def sentinel_url(url: str) -> str:
    """kombu's and Celery's way of naming the sentinels: `sentinel://:pw@h1:p1/db;sentinel://...`."""
    from redis.connection import parse_url

    found = parse_url(url)
    secret = f":{found['password']}@" if found.get("password") else ""
    return ";".join(f"sentinel://{secret}{host}:{port}/{found.get('db', 0)}" for host, port in REDIS_SENTINELS)  # fmt: skip


if REDIS_URL and REDIS_SENTINELS:
    CELERY_BROKER_URL = sentinel_url(REDIS_URL)
    CELERY_RESULT_BACKEND = CELERY_BROKER_URL
    CELERY_TASK_ALWAYS_EAGER = False
elif REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Europe/Paris"
# Crash safety: a task is acknowledged once done, and given back when its worker dies, so a
# killed worker loses nothing; each worker process takes one task at a time, so the others
# wait in the broker for any live worker rather than in a dead one's hands.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task taken by a worker that vanished goes back to the queue after this long. Longer than
# any task runs (a crisis plan's sending, a send retried with back-off), far shorter than a
# command's deadline; commands themselves never go out late (they expire: equipment/commands).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_float("CELERY_VISIBILITY_TIMEOUT_S", 120),
    **({"master_name": REDIS_MASTER_NAME} if REDIS_SENTINELS else {}),
}
if REDIS_SENTINELS:
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"master_name": REDIS_MASTER_NAME}
# Commands to devices have a queue of their own, so a slow periodic job never holds them up;
# so do crisis plans: a worker back after a crash takes the plan's next batch in turn with
# the commands, not behind the periodic jobs that piled up while it was away. A worker
# consumes every queue listed here unless told otherwise (-Q).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("commands"), Queue("crisis"))
CELERY_TASK_ROUTES = {
    "equipment.tasks.send_commands": {"queue": "commands"},
    "supervision.tasks.send_crisis_plan": {"queue": "crisis"},
    # A console selection is a plan too: its batches go out in turn with the commands.
    "supervision.tasks.send_selection": {"queue": "crisis"},
    "supervision.tasks.resume_crisis_plans": {"queue": "crisis"},
}

_every_periodic_job = {
    # Alert rules: silence, durations and clearing (the readings themselves are checked
    # within their ingest transaction, `TELEMETRY_BATCH_HANDLERS`).
    "rule-checks": {
        "task": "supervision.tasks.run_rule_checks",
        "schedule": env_float("RULE_CHECK_SECONDS", 15),
    },
    "unshelve-due-alerts": {"task": "supervision.tasks.unshelve_due_alerts", "schedule": 15.0},
    "alarm-flood-watch": {"task": "supervision.tasks.check_alarm_flood", "schedule": 15.0},
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
    # Commands a crashed worker left requested are handed over again (or expire), and crisis
    # plans that stopped making progress resume.
    "requeue-stranded-commands": {
        "task": "equipment.tasks.requeue_stranded_commands",
        "schedule": 3.0,
    },
    "resume-crisis-plans": {"task": "supervision.tasks.resume_crisis_plans", "schedule": 3.0},
    # Planned commands of the device console (dimming at night, market-day bollards).
    "command-schedules": {
        "task": "supervision.tasks.run_command_schedules",
        "schedule": env_float("COMMAND_SCHEDULE_SECONDS", 15),
    },
    "emergency-vehicle-priority": {
        "task": "supervision.tasks.update_priorities",
        "schedule": 3.0,
    },
    "market-regulation": {"task": "supervision.tasks.regulate_markets", "schedule": 5.0},
    # The platform's processes: a silent one is logged as stopped, a returning one as back.
    "platform-process-watch": {
        "task": "supervision.tasks.watch_processes",
        "schedule": 10.0,
    },
    # Two rooms: a new database primary (a failover or a switchover) is written to the log.
    "database-primary-watch": {
        "task": "supervision.tasks.watch_database_primary",
        "schedule": 3.0,
    },
    # The events chain's head, appended outside the database (supervision/log/checkpoints.py).
    "events-checkpoint": {
        "task": "supervision.tasks.write_events_checkpoint",
        "schedule": env_float("EVENTS_CHECKPOINT_SECONDS", 300),
    },
    # Partners' NGSI-LD subscriptions: what changed since each was last told, retried until
    # delivered (supervision/ngsi_ld/subscriptions.py).
    "ngsi-ld-notifications": {
        "task": "supervision.tasks.send_ngsi_ld_notifications",
        "schedule": env_float("NGSI_LD_NOTIFY_SECONDS", 2.0),
    },
    # Video protection: each new alert's frame from its nearest camera, and the snapshots
    # past their retention (VIDEO_RETENTION_DAYS) deleted.
    "alert-snapshots": {"task": "supervision.tasks.take_alert_snapshots", "schedule": 2.0},
    "video-retention": {"task": "supervision.tasks.purge_expired_video", "schedule": 3600.0},
    "locked-building-watch": {
        "task": "supervision.tasks.watch_locked_buildings",
        "schedule": 2.0,
    },
}
# A periodic job still waiting in the queue when its next run is due is stale: it expires
# unrun, so a worker back from a crash runs the current sweeps (re-queueing stranded
# commands, resuming a crisis plan) at once instead of the backlog piled up while it was down.
CELERY_BEAT_SCHEDULE = {
    name: {**job, "options": {"expires": job["schedule"]}}
    for name, job in _every_periodic_job.items()
}

# Handing a job to the worker (`ondijon/jobs.run_later`) gives up after this long when Redis
# is down or frozen: the request returns, the job is logged as not handed over (commands stay
# `requested`, for the periodic sweep to queue again).
JOBS_HANDOFF_TIMEOUT_SECONDS = env_float("JOBS_HANDOFF_TIMEOUT_SECONDS", 1.0)

# Background jobs without a Celery worker: "thread" (one in-process jobs thread) or "inline"
# (run at once in the caller: the tests' default).
IN_PROCESS_JOBS = env_str("IN_PROCESS_JOBS", "thread")

"""Background work on the embedded default, where there is no Celery worker.

- `start_in_process_beat`: CELERY_BEAT_SCHEDULE run by a thread in-process (in production
  Celery beat reads the same schedule and a worker runs the tasks);
- `run_later`: a task handed to the worker in production, or to one in-process jobs thread,
  so a request that starts long work (a crisis playbook's 2,000 commands) returns at once.
"""

import logging
import queue
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)


def interval_seconds(schedule) -> float:
    return schedule.total_seconds() if isinstance(schedule, timedelta) else float(schedule)


def run_due_jobs(last_run: dict[str, float], now: float) -> None:
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if now - last_run.get(name, 0.0) < interval_seconds(entry["schedule"]):
            continue
        last_run[name] = now
        try:
            task_named(entry["task"]).apply(
                args=entry.get("args", ()), kwargs=entry.get("kwargs", {})
            )
        except Exception:  # one failing job must not stop the others
            logger.exception("Periodic job %s failed", name)
        finally:
            close_old_connections()


def start_in_process_beat(tick_seconds: float = 1.0) -> threading.Thread:
    def loop() -> None:
        last_run: dict[str, float] = {}
        while True:
            run_due_jobs(last_run, time.monotonic())
            time.sleep(tick_seconds)

    thread = threading.Thread(target=loop, name="ondijon-beat", daemon=True)
    thread.start()
    return thread


# --- One-off jobs ---------------------------------------------------------------------------

_jobs: queue.Queue | None = None
_jobs_lock = threading.Lock()


def task_named(name: str):
    """A registered Celery task by name: apps' `tasks.py` modules load on first use, so a
    service can hand work to a task without importing the module that imports it."""
    from ondijon.celery import app

    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def run_later(task_name: str, *args) -> None:
    """Run a Celery task outside the caller, in the order asked: the one way services start
    background work, on both runtimes.

    With a broker (production) a worker takes it. On the embedded default Celery is eager,
    so `delay` would run the task inside the HTTP request: the task goes to the in-process
    jobs thread instead. `IN_PROCESS_JOBS=inline` runs it here and now (the tests' default,
    so a test sees its effect when it returns). Call it after commit (`transaction.on_commit`)
    so the job sees what the caller wrote.
    """
    task = task_named(task_name)
    if not task.app.conf.task_always_eager:
        hand_to_worker(task, args)
    elif settings.IN_PROCESS_JOBS == "inline":
        run_eagerly(task, args)
    else:
        _jobs_queue().put((task, args))


def hand_to_worker(task, args: tuple) -> bool:
    """Queue the task on the broker, giving up after JOBS_HANDOFF_TIMEOUT_SECONDS: a request
    must not wait on a Redis that is down or frozen. What was not handed over is logged; the
    work it stands for stays recorded (a command stays `requested`) for its periodic sweep."""
    timeout = settings.JOBS_HANDOFF_TIMEOUT_SECONDS
    # One attempt: a job not handed over now is found again by its sweep, not retried here.
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
    try:
        with task.app.connection_for_write(
            connect_timeout=timeout, transport_options=options
        ) as connection:
            # No result is awaited: subscribing to it would wait on Redis with no time-out.
            task.apply_async(args, connection=connection, retry=False, ignore_result=True)
    except Exception:  # the broker is unreachable: the caller's change is committed already
        logger.exception("Could not hand %s%r to the worker", task.name, args)
        return False
    return True


def run_eagerly(task, args: tuple) -> None:
    """As a worker would, but here: a task that asks to be retried sees it is eager."""
    task.apply(args=args, throw=True)


def _jobs_queue() -> queue.Queue:
    global _jobs
    with _jobs_lock:
        if _jobs is None:
            _jobs = queue.Queue()
            threading.Thread(target=_work, args=(_jobs,), name="ondijon-jobs", daemon=True).start()
    return _jobs


def _work(jobs: queue.Queue) -> None:
    while True:
        task, args = jobs.get()
        try:
            run_eagerly(task, args)
        except Exception:  # the job records its own failure; the thread goes on
            logger.exception("Background job %s%r failed", task.name, args)
        finally:
            connections.close_all()  # this thread's connections: none kept between jobs
            jobs.task_done()


def wait_for_jobs(timeout: float) -> bool:
    """Whether the in-process jobs are all done within `timeout` seconds (tests, benchmarks)."""
    deadline = time.monotonic() + timeout
    while _jobs is not None and _jobs.unfinished_tasks:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True

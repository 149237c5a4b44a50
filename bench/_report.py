"""What every benchmark prints around its figures, so that a figure can be traced to how it
was obtained: the exact command line, the runtime it ran on, and the machine's load average
at start and at end (the machine is shared: a figure at load 8 is not one at load 1).

And the way figures with a baseline are made: measured and baseline runs in pairs, in the
same process and the same minute, the order alternating; medians of each and the median of
the pairs' ratios.
"""

import os
import re
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Environment variables that change what a benchmark measures, shown on its command line.
ENVIRONMENT = (
    "DEBUG",
    "DATABASE_URL",
    "SQLITE_PATH",
    "REDIS_URL",
    "CHANNEL_PREFIX",
    "MQTT_URL",
    "BENCH_PORT",
    "COMMAND_SEND_BATCH",
    "CRISIS_SEND_BATCH",
    "IN_PROCESS_JOBS",
)


def command_line() -> str:
    """The command as it can be typed again: environment that matters, interpreter, arguments
    (a password in a URL is masked)."""
    shown = []
    for name in ENVIRONMENT:
        if name in os.environ:
            value = re.sub(r"(//[^:/@]+:)[^@]+@", r"\1***@", os.environ[name])
            shown.append(f"{name}={shlex.quote(value)}")
    python = sys.executable
    if python.startswith(os.getcwd() + os.sep):
        python = os.path.relpath(python)
    return " ".join([*shown, python, *map(shlex.quote, sys.argv)])


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} cores)"


def runtime() -> str:
    """Database, channel layer and background jobs this process runs on."""
    from django.conf import settings
    from django.db import connection

    database = (
        f"PostgreSQL {connection.settings_dict['HOST'] or 'localhost'}"
        if settings.DATABASE_IS_POSTGRES
        else "SQLite (WAL)"
    )
    if settings.REDIS_URL:
        layer = f"Redis channel layer ({settings.REDIS_URL})"
        jobs = "Celery on Redis"
    else:
        layer = "in-memory channel layer"
        jobs = f"in-process jobs ({settings.IN_PROCESS_JOBS}), Celery eager"
    return f"{database}; {layer}; {jobs}"


@contextmanager
def reported() -> Iterator[None]:
    """Print the header (command line, runtime, load average) and, whatever happens, the
    load average at the end."""
    print(f"command: {command_line()}", flush=True)
    print(f"runtime: {runtime()}", flush=True)
    print(f"load average at start: {load_average()}", flush=True)
    started = time.monotonic()
    try:
        yield
    finally:
        print(
            f"load average at end: {load_average()}; ran {time.monotonic() - started:.0f} s",
            flush=True,
        )


@dataclass
class Paired:
    """Medians of `pairs` measured and baseline figures and of their pairwise ratios."""

    measured: float
    baseline: float
    ratio: float
    ratios: list[float]

    def ratios_text(self) -> str:
        return ", ".join(f"{ratio:.3g}" for ratio in self.ratios)


def paired(measured: Callable[[], float], baseline: Callable[[], float], pairs: int = 3) -> Paired:
    """Run `measured` and `baseline` in `pairs` pairs, alternating which goes first (so a
    drift of the machine's load does not favour one); each returns its figure (a rate or a
    time). The ratio is measured / baseline, pair by pair."""
    measured_figures, baseline_figures, ratios = [], [], []
    for n in range(pairs):
        if n % 2 == 0:
            base = baseline()
            value = measured()
        else:
            value = measured()
            base = baseline()
        measured_figures.append(value)
        baseline_figures.append(base)
        ratios.append(value / base if base else float("nan"))
    return Paired(
        statistics.median(measured_figures),
        statistics.median(baseline_figures),
        statistics.median(ratios),
        ratios,
    )

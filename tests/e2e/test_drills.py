"""Fault drills in CI: PostgreSQL restarted twice, and the Celery worker killed during a
lockdown, on the production stack with servers of the drill's own (bench/drills.py, quick
size). Every screen must come back live and caught up, no reading or command be lost or run
late, and nothing need a person's hand (reloading a screen, restarting a process, a Retry).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.instances import POSTGRES_BIN

ROOT = Path(__file__).resolve().parents[2]
DRILLS = ["pg-restart", "worker-kill"]

pytestmark = [pytest.mark.drill, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def drills(tmp_path_factory) -> dict[str, dict]:
    """One run of bench/drills.py for both drills (they share the stack's start-up)."""
    if not (POSTGRES_BIN / "initdb").exists():
        pytest.fail(f"the drills start a PostgreSQL of their own: no initdb in {POSTGRES_BIN}")
    rows = tmp_path_factory.mktemp("drills") / "rows.json"
    command = [sys.executable, "bench/drills.py", "--quick", "--json", str(rows)]
    for name in DRILLS:
        command += ["--drill", name]
    completed = subprocess.run(
        command, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=1200
    )
    print(completed.stdout)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return {row["drill"]: row for row in json.loads(rows.read_text())}


def losses(row: dict) -> dict:
    """What the room lost or had to do by hand in a drill; all zero when it healed itself."""
    return {
        "screen updates lost": row["updates_lost"],
        "screens frozen": row["screens_frozen"],
        "screens not caught up within the bound": row["recovery_s"].count(None),
        "readings lost": row["readings_lost"],
        "readings stored twice": row["readings_duplicated"],
        "commands lost": row["commands_lost"],
        "commands late": row["commands_late"],
        "commands delivered twice": row["commands_duplicated"],
        "manual steps": row["manual_steps"],
    }


HEALED = {
    "screen updates lost": 0,
    "screens frozen": 0,
    "screens not caught up within the bound": 0,
    "readings lost": 0,
    "readings stored twice": 0,
    "commands lost": 0,
    "commands late": 0,
    "commands delivered twice": 0,
    "manual steps": [],
}


def test_screens_and_data_come_back_by_themselves_after_postgresql_restarts(drills):
    row = drills["pg-restart"]
    assert len(row["recovery_s"]) == 2  # two restarts, each measured
    assert losses(row) == HEALED, row["notes"]


def test_lockdown_plan_resumes_by_itself_after_the_worker_is_killed(drills):
    row = drills["worker-kill"]
    assert row["plan_resumed_s"] is not None, row["notes"]
    assert losses(row) == HEALED, row["notes"]

"""The database failover drill in CI: the PostgreSQL primary's node is killed (SIGKILL to
pg_auto_failover's keeper and PostgreSQL) under load, on the two-site stack of
bench/failover.py (quick size, no browser: the screens' own drills run with the browser
tests). The standby takes over by itself: writes come back within 15 s, nothing acknowledged
is lost, the events chain verifies, and the failover is in the log."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.drill, pytest.mark.postgres, pytest.mark.redis, pytest.mark.replicated]


def test_killing_the_primary_loses_nothing_acknowledged_and_writes_resume_within_15_s(tmp_path):
    rows = tmp_path / "rows.json"
    command = [
        sys.executable, "bench/failover.py", "--quick", "--no-screens",
        "--drill", "pg-primary-kill", "--json", str(rows),
    ]  # fmt: skip
    completed = subprocess.run(
        command, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=420
    )
    print(completed.stdout)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    [row] = json.loads(rows.read_text())
    assert row["failover_s"] is not None, row["notes"]  # the standby was promoted
    assert row["write_gap_s"] <= 15, row
    assert row["acknowledged"] > 0  # the write clock ran across the failover
    lost = {
        "acknowledged changes missing from the log": row["acknowledged_missing"],
        "readings lost": row["readings_lost"],
        "commands lost": row["commands_lost"],
        "manual steps": row["manual_steps"],
    }
    assert lost == {
        "acknowledged changes missing from the log": 0,
        "readings lost": 0,
        "commands lost": 0,
        "manual steps": [],
    }, row["notes"]
    assert row["verify_events"] == "intact"
    assert len(row["failovers_logged"]) == 1, row  # platform.database_failover, once

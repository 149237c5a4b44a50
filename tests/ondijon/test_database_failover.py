"""The database failover drills in CI, on the two-site stack of bench/failover.py (quick
size, no browser: the screens' own drills run with the browser tests): the PostgreSQL
primary's node killed (SIGKILL to pg_auto_failover's keeper and PostgreSQL) under load, then
a switchover on purpose by `manage.py switchover`. Each time the other node takes over by
itself: writes come back within 15 s, nothing acknowledged is lost, the events chain
verifies, and the change of primary is in the log."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.drill, pytest.mark.postgres, pytest.mark.redis, pytest.mark.replicated]

NOTHING_LOST = {
    "acknowledged changes missing from the log": 0,
    "readings lost": 0,
    "commands lost": 0,
    "manual steps": [],
}


@pytest.fixture(scope="module")
def drills(tmp_path_factory) -> dict[str, dict]:
    rows = tmp_path_factory.mktemp("failover") / "rows.json"
    command = [
        sys.executable, "bench/failover.py", "--quick", "--no-screens",
        "--drill", "pg-primary-kill", "--drill", "switchover", "--json", str(rows),
    ]  # fmt: skip
    completed = subprocess.run(
        command, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=600
    )
    print(completed.stdout)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return {row["drill"]: row for row in json.loads(rows.read_text())}


def losses(row: dict) -> dict:
    return {
        "acknowledged changes missing from the log": row["acknowledged_missing"],
        "readings lost": row["readings_lost"],
        "commands lost": row["commands_lost"],
        "manual steps": row["manual_steps"],
    }


@pytest.mark.parametrize("drill", ["pg-primary-kill", "switchover"])
def test_the_other_node_takes_over_losing_nothing_acknowledged_within_15_s(drills, drill):
    row = drills[drill]
    assert row["failover_s"] is not None, row["notes"]  # the other node became primary
    assert row["write_gap_s"] <= 15, row
    assert row["acknowledged"] > 0  # the write clock ran across the change
    assert row["readings_handed"] > 0  # and the devices' readings
    assert losses(row) == NOTHING_LOST, row["notes"]
    assert row["verify_events"] == "intact"
    assert len(row["failovers_logged"]) == 1, row  # platform.database_failover, once


def test_the_switchover_is_logged_as_planned(drills):
    [logged] = drills["switchover"]["failovers_logged"]
    assert "(planned)" in logged
    assert "(planned)" not in drills["pg-primary-kill"]["failovers_logged"][0]

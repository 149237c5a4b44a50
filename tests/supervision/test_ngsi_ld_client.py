"""A real NGSI-LD client (PyPI ngsildclient, in a venv of its own: it pins libraries older
than the project's) lists the streetlights near a point on a live server, and subscribes to
their failures; a failing streetlight reaches its notification endpoint."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from equipment.ingest import ingest
from equipment.models import Equipment
from supervision.models import NgsiSubscription
from supervision.ngsi_ld import subscriptions
from tests.conftest import ROOT
from tests.supervision.test_ngsi_ld import Receiver

CLIENTS = Path(__file__).parent / "clients"
REQUIREMENTS = CLIENTS / "ngsildclient.txt"
VENV = ROOT / ".venv-ngsild"


def client_python() -> Path:
    """The client's venv, made once and kept until its requirements change."""
    python = VENV / "bin" / "python"
    stamp = VENV / "requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--require-hashes", "-r", str(REQUIREMENTS)],
        check=True,
        timeout=300,
    )
    stamp.write_text(wanted)
    return python


@pytest.fixture(autouse=True)
def _ngsi_ld_public(settings):
    settings.STANDARDS_ACCESS = {**settings.STANDARDS_ACCESS, "ngsi_ld": "public"}
    settings.STANDARDS_THROTTLE_RATES = {}


@pytest.mark.django_db(transaction=True)
def test_ngsildclient_lists_streetlights_near_a_point_and_is_told_of_a_failure(
    live_server, make_equipment
):
    for n in range(3):
        make_equipment(
            f"SL-{n}",
            Equipment.Kind.STREETLIGHT,
            {"lamp": "on", "power_w": 70.0},
            latitude=47.322 + n * 0.001,
            longitude=5.041,
        )
    python = client_python()
    receiver = Receiver()
    try:
        server = urlparse(live_server.url)
        run = subprocess.run(
            [
                str(python),
                str(CLIENTS / "ngsild_partner.py"),
                server.hostname,
                str(server.port),
                receiver.url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        seen = json.loads(run.stdout.strip().splitlines()[-1])
        assert "Streetlight" in seen["types"]
        assert (seen["streetlights"], seen["ok"]) == (3, 3)
        assert seen["near"] == ["urn:ngsi-ld:Streetlight:SL-0", "urn:ngsi-ld:Streetlight:SL-1"]
        assert seen["one"]["location"]["coordinates"] == [5.041, 47.322]
        assert seen["listed"] == [seen["subscription"]]
        assert NgsiSubscription.objects.get().subscription_id == seen["subscription"]

        # SL-1 reports its lamp failed; the periodic job tells the partner.
        now = timezone.now().isoformat()
        failure = {"status": "fault", "lamp": "off", "power_w": 0.0}
        ingest([{"device": "SL-1", "time": now, "metrics": failure}])
        assert subscriptions.deliver_notifications() == {"sent": 1}
        [notification] = receiver.received
        assert notification["subscriptionId"] == seen["subscription"]
        [entity] = notification["data"]
        assert entity["id"] == "urn:ngsi-ld:Streetlight:SL-1"
        assert entity["status"]["value"] == "defectiveLamp"
    finally:
        receiver.close()

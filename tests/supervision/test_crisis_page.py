"""The crisis unit's page: pre-check, confirmation, progress, deactivation."""

import pytest
from django.test import Client

from ondijon import roles
from supervision.models import CrisisMode, ModeActivation, PlaybookAction

# These tests check the wording of messages: they read them in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def supervisor(make_user):
    client = Client()
    client.force_login(make_user(roles.SUPERVISOR))
    return client


@pytest.fixture
def flood(make_equipment):
    make_equipment("WV-1", "water_valve", {"position": "open"})
    make_equipment("WV-2", "water_valve", {"position": "open"}, status="offline")
    mode = CrisisMode.objects.create(code="flood", name="Flood", description="River Ouche")
    PlaybookAction.objects.create(
        mode=mode, position=1, type="command", equipment_kind="water_valve", command="close"
    )
    PlaybookAction.objects.create(mode=mode, position=2, type="wall_banner", text="FLOOD")
    return mode


def test_supervisor_prechecks_confirms_follows_and_rolls_back(
    supervisor, flood, django_capture_on_commit_callbacks
):
    page = supervisor.get("/crisis/").content.decode()
    assert "normal mode" in page and "Flood" in page

    page = supervisor.get("/crisis/modes/flood/").content.decode()
    assert "close → every water_valve" in page and "WV-2" in page

    refused = supervisor.post("/crisis/modes/flood/", {"reason": "Rain", "confirm": ""})
    assert "confirm the activation" in refused.content.decode()
    assert not ModeActivation.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor.post("/crisis/modes/flood/", {"reason": "Rain", "confirm": "yes"})
    assert response.status_code == 302
    page = supervisor.get("/crisis/").content.decode()
    assert "Active: Flood" in page
    assert "WV-2: WV-2 is offline" in page

    activation = ModeActivation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        supervisor.post(f"/crisis/{activation.pk}/deactivate/", {"reason": "Dry"})
    page = supervisor.get("/crisis/").content.decode()
    assert "normal mode" in page and "Last rollback: Flood" in page
    assert '<strong data-field="acknowledged">1</strong>' in page
    assert '<strong data-field="total">1</strong> restoring commands acknowledged' in page

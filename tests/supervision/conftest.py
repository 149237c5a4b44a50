"""The supervision tests' shared fixtures."""

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def checkpoint_file(tmp_path):
    """The events chain's checkpoints go to a file of the test's own: never to the one a
    `demo` run of this checkout wrote for its own database (it would not match this one)."""
    path = tmp_path / "sink" / "events-checkpoints.jsonl"
    with override_settings(EVENTS_CHECKPOINT_FILE=str(path)):
        yield path


@pytest.fixture
def gateway(settings):
    """The media gateway in this process (as on the embedded default), stopping a camera
    nobody watches after a second; shut down and forgotten after the test."""
    from supervision.video import signalling

    settings.MEDIA_GATEWAY_URLS = []
    settings.MEDIA_GATEWAY_IDLE_SECONDS = 1
    thread = signalling.local_gateway()
    yield thread.gateway
    thread.call(thread.gateway.shutdown())
    thread.gateway.feeds.clear()

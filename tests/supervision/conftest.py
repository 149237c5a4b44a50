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

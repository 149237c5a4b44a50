"""The events log's anchors outside the database (supervision/log/checkpoints.py)."""

from .base import BASE_DIR
from .env import env_str

# Where the chain's checkpoints are appended: a class with `append` and `read`.
EVENTS_CHECKPOINT_SINK = env_str("EVENTS_CHECKPOINT_SINK", "supervision.log.checkpoints.FileSink")
# The default sink's file: keep it where the database's administrators cannot rewrite it.
EVENTS_CHECKPOINT_FILE = env_str(
    "EVENTS_CHECKPOINT_FILE", str(BASE_DIR / "var" / "events-checkpoints.jsonl")
)

"""Crisis modes and what they steer: plans sent in batches, traffic priority, markets."""

from .env import env_float, env_int, env_str

# Crisis modes: the switch records the plan in one short transaction, then commands go out
# in batches of this many, each in its own transaction, so the events log's numbering lock is
# never held for long (a Celery task; on the embedded default, the in-process jobs thread).
CRISIS_SEND_BATCH = env_int("CRISIS_SEND_BATCH", 200)
# A plan with commands still to send and no batch for this long shows as stalled (retry).
CRISIS_STALLED_SECONDS = env_float("CRISIS_STALLED_SECONDS", 30)
# A plan with steps still to carry out and no progress for this long is resumed by the
# periodic sweep (a worker died mid-plan); a plan stopped by an error waits for Retry.
CRISIS_RESUME_AFTER_S = env_float("CRISIS_RESUME_AFTER_S", 8)
# The device console's selections go out the same way, in batches of this many.
CONSOLE_SELECTION_BATCH = env_int("CONSOLE_SELECTION_BATCH", 200)

# Emergency-vehicle and bus priority at traffic signals.
PRIORITY_CORRIDOR_M = env_float("PRIORITY_CORRIDOR_M", 60)
PRIORITY_AHEAD_M = env_float("PRIORITY_AHEAD_M", 400)
PRIORITY_TIMEOUT_S = env_float("PRIORITY_TIMEOUT_S", 120)
BUS_PRIORITY_DELAY_S = env_int("BUS_PRIORITY_DELAY_S", 120)
BUS_PRIORITY_RADIUS_M = env_float("BUS_PRIORITY_RADIUS_M", 150)

# Markets reopen their gates once occupancy is back under this share of capacity.
MARKET_REOPEN_RATIO = env_float("MARKET_REOPEN_RATIO", 0.9)

# Public alerts in CAP 1.2 (supervision/crisis/cap.py). The sender names the city's alerting
# authority (no spaces or commas); a training or test platform publishes with the status
# "Exercise" or "Test" so that no aggregator takes its messages for real ones.
CAP_SENDER = env_str("CAP_SENDER", "alertes@metropole-dijon.fr")
CAP_SENDER_NAME = env_str("CAP_SENDER_NAME", "Dijon Métropole")
CAP_STATUS = env_str("CAP_STATUS", "Actual")
CAP_IDENTIFIER_PREFIX = env_str("CAP_IDENTIFIER_PREFIX", "dijon-metropole")
# A crisis message holds this long unless updated or cancelled earlier.
CAP_EXPIRES_HOURS = env_int("CAP_EXPIRES_HOURS", 24)
# The address citizens reach the platform's public pages at (the `web` link of an alert).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://localhost:8000").rstrip("/")

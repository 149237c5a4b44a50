"""Wall screens and every live page: frame rate, heartbeat, staleness, replay."""

from .env import env_float, env_int

# A screen receives at most one frame per WALL_FRAME_SECONDS (latest state per object), a
# heartbeat every WALL_HEARTBEAT_SECONDS, and shows "data stale" after WALL_STALE_SECONDS
# without either. Further behind than WALL_REPLAY_LIMIT events, it reloads a snapshot.
# A change waits at most one frame period on the server, then one animation frame (~17 ms)
# and its drawing in the page: 50 ms leaves the wall's 100 ms from event to painted screen
# room for both (0.15 s alone took the p99 past it at 1,000 changes a second).
WALL_FRAME_SECONDS = env_float("WALL_FRAME_SECONDS", 0.05)
WALL_HEARTBEAT_SECONDS = env_float("WALL_HEARTBEAT_SECONDS", 5)
WALL_STALE_SECONDS = env_float("WALL_STALE_SECONDS", 15)
WALL_REPLAY_LIMIT = env_int("WALL_REPLAY_LIMIT", 20000)
# A live socket whose database or channel layer fails keeps retrying on its own for
# WALL_RECOVERY_SECONDS, then closes so its page reconnects (the page's own watchdog
# reconnects after three heartbeat periods without a heartbeat).
WALL_RECOVERY_SECONDS = env_float("WALL_RECOVERY_SECONDS", 15)
# A database failover shows as a banner on every wall for this long after it happened
# (supervision/wall/state.py failover_of): long enough for the room to see it, then it clears.
WALL_FAILOVER_BANNER_SECONDS = env_float("WALL_FAILOVER_BANNER_SECONDS", 600)

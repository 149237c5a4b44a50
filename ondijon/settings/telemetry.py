"""Devices' readings: batch limits, history, what the wall shows, the MQTT bridge, the simulator."""

from .env import env_float, env_int, env_list, env_str

TELEMETRY_MAX_READINGS = env_int("TELEMETRY_MAX_READINGS", 5000)
# Readings older than this are purged by the `equipment.purge_readings` job.
TELEMETRY_RETENTION_DAYS = env_int("TELEMETRY_RETENTION_DAYS", 90)
# Numeric metrics whose every change the wall shows (others: status, text and booleans only).
TELEMETRY_WALL_METRICS = set(env_list("TELEMETRY_WALL_METRICS", "occupancy,in,out,count"))
# Called inside each ingest transaction with the batch's device updates (rules, in memory).
TELEMETRY_BATCH_HANDLERS = [
    "supervision.alerts.rules.evaluate_batch",
    # A market's occupancy follows its gates' counters in the same transaction.
    "supervision.markets.evaluate_batch",
]
# The broker of the devices: the telemetry bridge reads from it, commands go out through it.
MQTT_URL = env_str("MQTT_URL", "mqtt://127.0.0.1:1883")
MQTT_TOPICS = env_list("MQTT_TOPICS", "city/+/+/telemetry")
# The simulator that `demo` starts: readings per second (0 = off).
SIMULATOR_RATE = env_float("SIMULATOR_RATE", 50)
# Called inside each site change's transaction with the site before and after it: the events
# of what else the change shows (a market's name and capacity on the wall).
SITE_CHANGE_HANDLERS = ["supervision.markets.site_changed"]

# Alarm flood (ISA-18.2 / EEMUA 191): more than ALARM_FLOOD_THRESHOLD new alerts (one per
# cause) in ALARM_FLOOD_WINDOW_SECONDS per operator position; ALARM_POSITIONS desks share them.
ALARM_FLOOD_THRESHOLD = env_int("ALARM_FLOOD_THRESHOLD", 10)
ALARM_FLOOD_WINDOW_SECONDS = env_float("ALARM_FLOOD_WINDOW_SECONDS", 600)
ALARM_POSITIONS = env_int("ALARM_POSITIONS", 1)

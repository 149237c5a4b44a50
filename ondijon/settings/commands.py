"""Commands to equipment: how they reach devices, time-outs and attempts, the simulated devices."""

from .env import env_float, env_int, env_str
from .telemetry import MQTT_URL

# How commands reach devices: "equipment.adapters.MqttAdapter" in production (with the
# `listen_command_acks` command running), the simulated devices by default.
COMMAND_ADAPTER = env_str("COMMAND_ADAPTER", "ondijon.demo.devices.SimulatedAdapter")
COMMAND_MQTT_URL = MQTT_URL
COMMAND_MQTT_TIMEOUT_S = env_float("COMMAND_MQTT_TIMEOUT_S", 10)
COMMAND_TOPIC_PREFIX = env_str("COMMAND_TOPIC_PREFIX", "city")
COMMAND_ACK_TIMEOUT_S = env_float("COMMAND_ACK_TIMEOUT_S", 10)
COMMAND_MAX_ATTEMPTS = env_int("COMMAND_MAX_ATTEMPTS", 3)
COMMAND_SEND_BATCH = env_int("COMMAND_SEND_BATCH", 200)
# Deadlines: a command not delivered this many seconds after it was asked for is dropped as
# expired, never sent late. Per "<kind>.<action>" where the default does not fit (a camera
# preset or a priority call is worthless after a minute); a playbook step can set its own.
COMMAND_DEADLINE_S = env_float("COMMAND_DEADLINE_S", 300)
COMMAND_DEADLINES_S = {
    "traffic_signal.priority": 60.0,
    "traffic_signal.normal": 120.0,
    "camera.goto_preset": 60.0,
    "market_gate.open": 120.0,
    "market_gate.full": 120.0,
}
# A command still requested this long after it was handed to the background jobs is stranded
# (a worker died with it): the periodic sweep hands it over again.
COMMAND_REQUEUE_AFTER_S = env_float("COMMAND_REQUEUE_AFTER_S", 10)
# The acknowledgement listener: a fixed client id (plus the listener's number) and a
# persistent session, so answers sent while it is down wait at the broker; listeners of one
# share group split the answers between them (MQTT 5 shared subscription).
COMMAND_ACK_CLIENT_ID = env_str("COMMAND_ACK_CLIENT_ID", "ondijon-acks")
COMMAND_ACK_SHARE_GROUP = env_str("COMMAND_ACK_SHARE_GROUP", "ondijon-acks")
COMMAND_ACK_SESSION_EXPIRY_S = env_int("COMMAND_ACK_SESSION_EXPIRY_S", 86400)
COMMAND_SIMULATOR = {
    "seed": env_int("COMMAND_SIMULATOR_SEED", 7),
    "failure_rate": env_float("COMMAND_SIMULATOR_FAILURE_RATE", 0.01),
    "min_delay_s": env_float("COMMAND_SIMULATOR_MIN_DELAY_S", 0.2),
    "max_delay_s": env_float("COMMAND_SIMULATOR_MAX_DELAY_S", 1.5),
}

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
COMMAND_SIMULATOR = {
    "seed": env_int("COMMAND_SIMULATOR_SEED", 7),
    "failure_rate": env_float("COMMAND_SIMULATOR_FAILURE_RATE", 0.01),
    "min_delay_s": env_float("COMMAND_SIMULATOR_MIN_DELAY_S", 0.2),
    "max_delay_s": env_float("COMMAND_SIMULATOR_MAX_DELAY_S", 1.5),
}

"""Simulated devices on MQTT: they take commands on `<prefix>/+/+/command` and acknowledge
on the matching `.../ack` topic. For the production stack's demo and benchmarks, where the
real adapter (`MqttAdapter`) talks to a broker.
"""

import json
import threading

from django.conf import settings

from .adapters import mqtt_client


def answer_commands(stop: threading.Event, ready: threading.Event | None = None) -> int:
    """Acknowledge every command received until `stop` is set; returns how many."""
    prefix = settings.COMMAND_TOPIC_PREFIX
    answered = 0
    subscribed = threading.Event()

    def on_message(client, userdata, message):
        nonlocal answered
        try:
            command = json.loads(message.payload)
            ack = {"command": command["command"], "ok": True}
        except (ValueError, KeyError, TypeError):
            return
        client.publish(message.topic.rsplit("/", 1)[0] + "/ack", json.dumps(ack), qos=1)
        answered += 1

    client, _ = mqtt_client("ondijon-simulated-devices")
    client.on_message = on_message
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_connect = lambda c, *args: c.subscribe(f"{prefix}/+/+/command", qos=1)
    client.subscribe(f"{prefix}/+/+/command", qos=1)
    subscribed.wait(timeout=settings.COMMAND_MQTT_TIMEOUT_S)
    if ready:
        ready.set()
    stop.wait()
    client.loop_stop()
    client.disconnect()
    return answered

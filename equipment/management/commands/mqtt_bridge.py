from django.conf import settings
from django.core.management.base import BaseCommand

from equipment.mqtt import TelemetryBridge
from ondijon import liveness


class Command(BaseCommand):
    help = (
        "Subscribe to the broker's telemetry topics (city/<kind>/<code>/telemetry) and feed "
        "the readings to the ingest path. Reconnects by itself; keeps readings while the "
        "database is unavailable."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.MQTT_URL, help="mqtt://host:port")
        parser.add_argument(
            "--topic", action="append", dest="topics", help="Repeatable; default MQTT_TOPICS."
        )
        parser.add_argument("--client-id", default="ondijon-bridge")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--duration", type=float, help="Stop after this many seconds.")

    def handle(self, *args, url, topics, client_id, batch_size, duration, **options):
        bridge = TelemetryBridge(
            url, topics or settings.MQTT_TOPICS, client_id=client_id, batch_size=batch_size
        )
        self.stdout.write(f"Bridging {url} {bridge.topics} to telemetry ingest")
        bridge.on_subscribed = lambda: self.stdout.write("Subscribed: readings are taken")
        liveness.start_reporting("mqtt_bridge")  # on the platform panel
        try:
            bridge.run(duration=duration)
        except KeyboardInterrupt:
            bridge.stop()
        stats = bridge.stats
        self.stdout.write(
            f"{stats.messages} messages, {stats.accepted} readings accepted, "
            f"{stats.duplicates} duplicates, {stats.rejected} rejected, {stats.malformed} malformed"
        )

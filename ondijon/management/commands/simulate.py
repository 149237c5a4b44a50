from django.conf import settings
from django.core.management.base import BaseCommand

from ondijon.demo.simulator import CitySimulator


class Command(BaseCommand):
    help = (
        "Make the demo metropolis live: devices report (HTTPS batches or MQTT), fail and "
        "recover; vehicles drive. Needs the server (HTTPS) or the MQTT bridge running."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rate", type=float, default=settings.SIMULATOR_RATE or 50)
        parser.add_argument("--transport", choices=["https", "mqtt"], default="https")
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--mqtt-url", default=settings.MQTT_URL)
        parser.add_argument("--key", help="A device token's key (default: issue one now).")
        parser.add_argument("--duration", type=float, help="Stop after this many seconds.")
        parser.add_argument("--seed", type=int)

    def handle(self, *args, rate, transport, url, mqtt_url, key, duration, seed, **options):
        simulator = CitySimulator(
            rate, transport=transport, url=url, mqtt_url=mqtt_url, key=key, seed=seed
        )
        target = mqtt_url if transport == "mqtt" else url
        self.stdout.write(f"Simulating {len(simulator.devices)} devices at {rate:g}/s to {target}")
        try:
            sent = simulator.run(duration=duration)
        except KeyboardInterrupt:
            sent = simulator.sent
        self.stdout.write(f"{sent} readings sent")

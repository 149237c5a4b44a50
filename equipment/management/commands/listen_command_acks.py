"""Read devices' acknowledgements of commands from the MQTT broker until interrupted."""

import threading

from django.core.management.base import BaseCommand

from equipment.adapters import listen_for_acknowledgements


class Command(BaseCommand):
    help = "Apply devices' command acknowledgements received on <prefix>/<kind>/<code>/ack."

    def handle(self, *args, **options):
        stop = threading.Event()
        self.stdout.write("Listening for command acknowledgements (Ctrl-C to stop)")
        try:
            listen_for_acknowledgements(stop)
        except KeyboardInterrupt:
            stop.set()

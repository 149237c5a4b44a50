"""Read devices' acknowledgements of commands from the MQTT broker until interrupted."""

import threading

from django.core.management.base import BaseCommand

from equipment.adapters import listen_for_acknowledgements
from ondijon import liveness


class Command(BaseCommand):
    help = "Apply devices' command acknowledgements received on <prefix>/<kind>/<code>/ack."

    def handle(self, *args, **options):
        stop = threading.Event()
        self.stdout.write("Listening for command acknowledgements (Ctrl-C to stop)")
        liveness.start_reporting("ack_listener")  # on the platform panel
        try:
            listen_for_acknowledgements(stop)
        except KeyboardInterrupt:
            stop.set()

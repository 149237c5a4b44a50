"""Read devices' acknowledgements of commands from the MQTT broker until interrupted."""

import threading

from django.core.management.base import BaseCommand

from equipment.adapters import listen_for_acknowledgements
from ondijon import liveness


class Command(BaseCommand):
    help = "Apply devices' command acknowledgements received on <prefix>/<kind>/<code>/ack."

    def add_arguments(self, parser):
        parser.add_argument(
            "--listener",
            type=int,
            default=0,
            help="This listener's number, when several share the load (each keeps its own "
            "session at the broker: give each the same number every time it starts).",
        )

    def handle(self, *args, **options):
        stop = threading.Event()
        self.stdout.write("Listening for command acknowledgements (Ctrl-C to stop)")
        liveness.start_reporting("ack_listener")  # on the platform panel
        try:
            listen_for_acknowledgements(
                stop, listener=options["listener"], on_subscribed=self.say_subscribed
            )
        except KeyboardInterrupt:
            stop.set()

    def say_subscribed(self) -> None:
        self.stdout.write("Subscribed: answers are taken from the broker")

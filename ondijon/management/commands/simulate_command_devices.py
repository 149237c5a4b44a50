"""Run simulated devices that acknowledge commands over MQTT, until interrupted."""

import threading

from django.core.management.base import BaseCommand

from ondijon.demo.devices import answer_commands


class Command(BaseCommand):
    help = "Acknowledge every command published on <prefix>/<kind>/<code>/command."

    def handle(self, *args, **options):
        stop, ready = threading.Event(), threading.Event()

        def say_ready() -> None:
            if ready.wait():
                self.stdout.write("Subscribed: the simulated devices take commands")

        threading.Thread(target=say_ready, daemon=True).start()
        try:
            answer_commands(stop, ready)
        except KeyboardInterrupt:
            stop.set()

"""Run simulated devices that acknowledge commands over MQTT, until interrupted."""

import threading

from django.core.management.base import BaseCommand

from ondijon.demo.devices import answer_commands


class Command(BaseCommand):
    help = "Acknowledge every command published on <prefix>/<kind>/<code>/command."

    def handle(self, *args, **options):
        stop = threading.Event()
        try:
            answer_commands(stop)
        except KeyboardInterrupt:
            stop.set()

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from ondijon import jobs, liveness


class Command(BaseCommand):
    help = (
        "Run the platform on the embedded default: migrate, seed the demo metropolis, start "
        "the periodic jobs in-process and serve HTTP and WebSocket with daphne."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-seed", action="store_true", help="Do not build the demo city.")
        parser.add_argument(
            "--no-simulator",
            action="store_true",
            help="Do not start the simulator (SIMULATOR_RATE=0 does the same).",
        )

    def handle(self, *args, host, port, no_seed, no_simulator, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not no_seed:
            call_command("seed_demo")
        if not settings.REDIS_URL:
            jobs.start_in_process_beat()
        # The demo's PTZ cameras answer ONVIF from this process (ondijon/demo/onvif_camera.py).
        from ondijon.demo.onvif_camera import serve_demo_cameras

        self.stdout.write(f"Simulated ONVIF cameras: {len(serve_demo_cameras())}")
        # This process on the platform panel (the whole platform, on the embedded default).
        liveness.start_reporting(liveness.web_kind())
        if not no_simulator and settings.SIMULATOR_RATE > 0:
            # The city comes alive through the real API, once daphne listens.
            from ondijon.demo.simulator import start_in_thread

            local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            start_in_thread(settings.SIMULATOR_RATE, f"http://{local}:{port}")
            self.stdout.write(f"Simulator: {settings.SIMULATOR_RATE:g} readings/s")
        self.stdout.write(self.style.SUCCESS(f"ondijon is serving at http://{host}:{port}/"))
        from daphne.cli import CommandLineInterface

        CommandLineInterface().run(["-b", host, "-p", str(port), "ondijon.asgi:application"])

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from ondijon import jobs


class Command(BaseCommand):
    help = (
        "Run the platform on the embedded default: migrate, seed the demo metropolis, start "
        "the periodic jobs in-process and serve HTTP and WebSocket with daphne."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-seed", action="store_true", help="Do not build the demo city.")

    def handle(self, *args, host, port, no_seed, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not no_seed:
            call_command("seed_demo")
        if not settings.REDIS_URL:
            jobs.start_in_process_beat()
        self.stdout.write(self.style.SUCCESS(f"ondijon is serving at http://{host}:{port}/"))
        from daphne.cli import CommandLineInterface

        CommandLineInterface().run(["-b", host, "-p", str(port), "ondijon.asgi:application"])

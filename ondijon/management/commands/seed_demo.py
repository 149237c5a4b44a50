import os
import time

from django.core.management.base import BaseCommand

from ondijon.demo.seed import seed_demo, streetlights_for


class Command(BaseCommand):
    help = "Build the demo metropolis (deterministic, idempotent) and its demo users."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD"),
            help="Password for demo users created now (default: DEMO_PASSWORD or random).",
        )
        parser.add_argument(
            "--devices",
            type=int,
            default=None,
            help="Scale the city to about this many devices (default: Dijon's ~35,000; "
            "150000 for a large metropolis).",
        )

    def handle(self, *args, password=None, devices=None, **options):
        started = time.perf_counter()
        streetlights = None if devices is None else streetlights_for(devices)
        report = seed_demo(password=password, streetlights=streetlights)
        elapsed = time.perf_counter() - started
        counts = ", ".join(f"{name} {count}" for name, count in sorted(report.counts.items()))
        self.stdout.write(f"Demo metropolis ready in {elapsed:.1f} s: {counts}")
        if report.created_users:
            self.stdout.write(self.style.WARNING("Demo users created (shown only this once):"))
            for username, secret in report.created_users.items():
                self.stdout.write(f"  {username:<12} {secret}")

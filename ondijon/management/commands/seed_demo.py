import os
import time

from django.core.management.base import BaseCommand

from ondijon.demo.seed import seed_demo


class Command(BaseCommand):
    help = "Build the demo metropolis (deterministic, idempotent) and its demo users."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD"),
            help="Password for demo users created now (default: DEMO_PASSWORD or random).",
        )

    def handle(self, *args, password=None, **options):
        started = time.perf_counter()
        report = seed_demo(password=password)
        elapsed = time.perf_counter() - started
        counts = ", ".join(f"{name} {count}" for name, count in sorted(report.counts.items()))
        self.stdout.write(f"Demo metropolis ready in {elapsed:.1f} s: {counts}")
        if report.created_users:
            self.stdout.write(self.style.WARNING("Demo users created (shown only this once):"))
            for username, secret in report.created_users.items():
                self.stdout.write(f"  {username:<12} {secret}")

import time

from django.core.management.base import BaseCommand, CommandError

from supervision.log.timeline import verify_chain


class Command(BaseCommand):
    help = "Recompute the events log's hash chain and name the first broken entry."

    def handle(self, *args, **options):
        started = time.perf_counter()
        report = verify_chain()
        elapsed = time.perf_counter() - started
        if not report.intact:
            raise CommandError(
                f"Events log chain BROKEN at entry #{report.first_broken_seq}: {report.reason} "
                f"({report.checked} entries before it are intact)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Events log chain intact: {report.checked} entries in {elapsed:.1f} s."
            )
        )

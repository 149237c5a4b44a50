import time

from django.core.management.base import BaseCommand, CommandError

from supervision.log import checkpoints
from supervision.log.timeline import verify_chain


class Command(BaseCommand):
    help = (
        "Recompute the events log's hash chain, check it against the checkpoints written "
        "outside the database, and name the first broken entry."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        anchors = checkpoints.read_checkpoints()
        report = verify_chain(checkpoints=anchors)
        elapsed = time.perf_counter() - started
        if not report.intact:
            raise CommandError(
                f"Events log chain BROKEN at entry #{report.first_broken_seq}: {report.reason} "
                f"({report.checked} entries before it are intact)."
            )
        against = (
            f"; {report.checkpoints} checkpoints match"
            if anchors
            else "; no checkpoint to check it against"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Events log chain intact: {report.checked} entries in {elapsed:.1f} s{against}."
            )
        )

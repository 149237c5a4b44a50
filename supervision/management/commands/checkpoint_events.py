from django.core.management.base import BaseCommand, CommandError

from supervision.log import checkpoints


class Command(BaseCommand):
    help = (
        "Append the events chain's head to the checkpoint sink (as the periodic job does), "
        "after verifying the entries since the last checkpoint."
    )

    def handle(self, *args, **options):
        try:
            checkpoint = checkpoints.write_checkpoint()
        except checkpoints.ChainBroken as broken:
            raise CommandError(f"No checkpoint written: the chain is BROKEN at {broken}.") from None
        if checkpoint is None:
            self.stdout.write("Nothing new since the last checkpoint.")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Checkpoint: entry #{checkpoint.seq} at {checkpoint.time}.")
            )

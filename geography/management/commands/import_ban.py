from django.core.management.base import BaseCommand, CommandError

from geography import services


class Command(BaseCommand):
    help = "Import (or update in place) the addresses of a Base Adresse Nationale CSV file."

    def add_arguments(self, parser):
        parser.add_argument("path", help="BAN CSV file (';'-separated, with its header line)")

    def handle(self, *args, path: str, **options):
        try:
            report = services.import_addresses(services.read_ban(path), source=path)
        except (OSError, services.BanFormatError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Addresses: {report.created} created, {report.updated} updated,"
            f" {report.skipped} skipped."
        )

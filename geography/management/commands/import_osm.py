from django.core.management.base import BaseCommand, CommandError

from geography import osm, services


class Command(BaseCommand):
    help = "Import (or update in place) the streets and road graph of an OpenStreetMap extract."

    def add_arguments(self, parser):
        parser.add_argument("path", help="OpenStreetMap extract (.osm.pbf)")

    def handle(self, *args, path: str, **options):
        try:
            report = services.import_streets(osm.streets(path), source=path)
        except (OSError, RuntimeError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Streets: {report.created} created, {report.updated} updated.")

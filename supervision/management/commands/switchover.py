import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, InterfaceError, close_old_connections, connection

from supervision.platform import replication


class Command(BaseCommand):
    help = (
        "Move the database primary to the other site on purpose (maintenance), through "
        "pg_auto_failover's monitor (PG_MONITOR_URL); the walls stay live and the change is "
        "written to the events log."
    )

    def add_arguments(self, parser):
        parser.add_argument("--wait", type=float, default=120, help="seconds to wait for the new primary")  # fmt: skip

    def handle(self, *args, **options):
        import psycopg

        if not settings.PG_MONITOR_URL:
            raise CommandError("PG_MONITOR_URL is not set: no failover manager to ask.")
        before = replication.database_state()
        if before is None:
            raise CommandError("The database is not PostgreSQL: nothing to switch over.")
        started = time.monotonic()
        replication.request_switchover()
        try:
            with psycopg.connect(settings.PG_MONITOR_URL, connect_timeout=5, autocommit=True) as c:
                c.execute("SELECT pgautofailover.perform_failover(%s, 0)", [settings.PG_FORMATION])  # fmt: skip
        except psycopg.Error as error:
            raise CommandError(f"The monitor refused the switchover: {error}") from error
        # The old primary's sessions end as it steps down: the next ones reach the new one.
        deadline = started + options["wait"]
        while time.monotonic() < deadline:
            close_old_connections()
            try:
                event = replication.watch_primary(planned=True)
                state = replication.database_state()
            except (DatabaseError, InterfaceError, psycopg.Error):
                # The old primary stepping down cut the session: the next one finds the new.
                connection.close()
                time.sleep(0.5)
                continue
            if state.primary != before.primary:
                took = time.monotonic() - started
                logged = f" (event #{event.seq})" if event else ""
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Primary moved from {before.primary} to {state.primary} in {took:.1f} s{logged}."
                    )
                )
                return
            time.sleep(0.5)
        raise CommandError(f"The primary is still {before.primary} after {options['wait']:.0f} s.")

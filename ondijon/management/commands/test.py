import os
import subprocess
import sys

from django.core.management.base import BaseCommand

NO_TESTS_COLLECTED = 5


class Command(BaseCommand):
    help = (
        "Run the whole test suite with pytest: the main run, then the browser (e2e) run "
        "in a second process (pytest-playwright and pytest-asyncio cannot share one)."
    )

    def add_arguments(self, parser):
        parser.add_argument("pytest_args", nargs="*", help="Extra arguments for pytest.")

    def run_from_argv(self, argv):
        # Everything after `test` goes to pytest untouched (options included).
        self.execute(
            pytest_args=argv[2:],
            verbosity=1,
            no_color=False,
            force_color=False,
            skip_checks=True,
            traceback=False,
        )

    def handle(self, *args, pytest_args, **options):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.setdefault("SECRET_KEY", "ondijon-tests-only")
        env.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        runs = [["-m", "not e2e", "-p", "no:playwright"], ["-m", "e2e", "-p", "no:asyncio"]]
        failed = False
        for marker_args in runs:
            command = [sys.executable, "-m", "pytest", *marker_args, *pytest_args]
            self.stdout.write(" ".join(command[1:]), ending="\n")
            self.stdout.flush()
            code = subprocess.call(command, env=env)
            failed |= code not in (0, NO_TESTS_COLLECTED)
        if failed:
            sys.exit(1)

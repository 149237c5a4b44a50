import os
import shlex
import subprocess
import sys

from django.core.management.base import BaseCommand

NO_TESTS_COLLECTED = 5

# The two pytest runs: the main suite, then the browser tests (pytest-playwright and
# pytest-asyncio cannot share one process).
RUNS = [("not e2e", ["-p", "no:playwright"]), ("e2e", ["-p", "no:asyncio"])]


def take_marker_expression(pytest_args: list[str]) -> tuple[str, list[str]]:
    """Take `-m EXPR` out of pytest's arguments, so each run can add it to its own."""
    expressions, rest = [], []
    args = iter(pytest_args)
    for arg in args:
        if arg == "-m":
            expressions.append(next(args, ""))
        elif arg.startswith("-m") and not arg.startswith("--"):
            expressions.append(arg[2:])
        else:
            rest.append(arg)
    # pytest itself keeps only the last `-m`.
    return (expressions[-1] if expressions else ""), rest


def excludes(expression: str, run_marker: str) -> bool:
    """Whether a plain conjunction (`a and not b`) rules out every test of a run: the browser
    run ("e2e") when it asks for `not e2e`, the main run ("not e2e") when it asks for `e2e`."""
    if not expression or "(" in expression or " or " in f" {expression} ":
        return False
    conjuncts = {part.strip() for part in expression.split(" and ")}
    if run_marker.startswith("not "):
        return run_marker.removeprefix("not ") in conjuncts
    return f"not {run_marker}" in conjuncts


class Command(BaseCommand):
    help = (
        "Run the whole test suite with pytest: the main run, then the browser (e2e) run "
        "in a second process. A marker expression (-m) applies to both runs."
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
        wanted, pytest_args = take_marker_expression(pytest_args)
        failed = False
        for run_marker, run_args in RUNS:
            if excludes(wanted, run_marker):
                continue
            marker = f"({run_marker}) and ({wanted})" if wanted else run_marker
            command = [sys.executable, "-m", "pytest", "-m", marker, *run_args, *pytest_args]
            self.stdout.write(shlex.join(command[1:]), ending="\n")
            self.stdout.flush()
            code = subprocess.call(command, env=env)
            failed |= code not in (0, NO_TESTS_COLLECTED)
        if failed:
            sys.exit(1)

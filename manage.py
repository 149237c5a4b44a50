#!/usr/bin/env python3
"""ondijon's command-line entry point.

On a fresh machine with only Python 3.11+, the first call creates `.venv`, installs the
pinned dependencies from `requirements.lock` into it and re-runs itself there, so
`python3 manage.py demo` and `python3 manage.py test` are the whole set-up.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_environment() -> None:
    """Install the locked dependencies into .venv when missing or stale, then re-exec there."""
    if os.environ.get("ONDIJON_NO_BOOTSTRAP"):
        return
    stamp = VENV / ".lock-sha256"
    wanted = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        if not venv_python().exists():
            print("ondijon: creating .venv", flush=True)
            subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
        print("ondijon: installing pinned dependencies (requirements.lock)", flush=True)
        pip = [str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.check_call([*pip, "-r", str(LOCK)])
        stamp.write_text(wanted)
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(venv_python()), [str(venv_python()), *sys.argv])


def main() -> None:
    ensure_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondijon.settings")
    if sys.argv[1:2] in (["demo"], ["test"]):
        # The demo and the tests run in development mode unless told otherwise.
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

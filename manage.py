#!/usr/bin/env python3
"""ondijon's command-line entry point.

On a fresh machine with only Python 3.11+, the first call creates `.venv`, installs the
hash-pinned runtime (`requirements.lock`) and the test and lint tools
(`requirements-dev.lock`) into it and re-runs itself there, so `python3 manage.py demo` and
`python3 manage.py test` are the whole set-up. A production image installs the runtime lock
alone and sets ONDIJON_NO_BOOTSTRAP (see the Dockerfile).
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCKS = [ROOT / "requirements.lock", ROOT / "requirements-dev.lock"]


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def locks_digest() -> str:
    """One digest of every lock, by name and content: any change to either reinstalls."""
    digest = hashlib.sha256()
    for lock in LOCKS:
        digest.update(lock.name.encode() + b"\0" + lock.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_environment() -> None:
    """Install the locked dependencies into .venv when missing or stale, then re-exec there."""
    if os.environ.get("ONDIJON_NO_BOOTSTRAP"):
        return
    stamp = VENV / ".locks-sha256"
    wanted = locks_digest()
    if not venv_python().exists() or not stamp.exists() or stamp.read_text() != wanted:
        if not venv_python().exists():
            print("ondijon: creating .venv", flush=True)
            subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
        names = " and ".join(lock.name for lock in LOCKS)
        print(f"ondijon: installing the pinned dependencies ({names})", flush=True)
        stamp.unlink(missing_ok=True)  # an interrupted install is done again next time
        pip = [str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        locks = [arg for lock in LOCKS for arg in ("-r", str(lock))]
        subprocess.check_call([*pip, "--require-hashes", *locks])
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

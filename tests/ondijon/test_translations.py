"""The French catalogues are complete: every message is translated, none is fuzzy, the
compiled catalogues shipped are those of the sources, and no message of the code is missing.

Needs gettext's tools (msgfmt, xgettext, msgmerge: on the CI image; `apt-get install gettext`).
"""

import gettext
import re
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

from ondijon import catalogues

pytestmark = pytest.mark.skipif(
    not shutil.which("msgfmt"), reason="gettext's msgfmt is not installed"
)


def msgfmt(po, output) -> str:
    run = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(output), str(po)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return run.stderr


@pytest.mark.parametrize("domain", catalogues.DOMAINS)
def test_every_message_is_translated_and_none_is_fuzzy(domain, tmp_path):
    statistics = msgfmt(catalogues.po_path(domain), tmp_path / "check.mo")
    assert re.match(r"^\d+ translated messages\.$", statistics.strip()), statistics


@pytest.mark.parametrize("domain", catalogues.DOMAINS)
def test_the_shipped_compiled_catalogue_is_the_translation_in_the_sources(domain, tmp_path):
    msgfmt(catalogues.po_path(domain), tmp_path / "fresh.mo")
    with (tmp_path / "fresh.mo").open("rb") as file:
        fresh = gettext.GNUTranslations(file)._catalog
    with catalogues.po_path(domain).with_suffix(".mo").open("rb") as file:
        shipped = gettext.GNUTranslations(file)._catalog
    stale = sorted(str(key) for key in fresh.keys() ^ shipped.keys())
    stale += sorted(str(key) for key in fresh.keys() & shipped.keys() if fresh[key] != shipped[key])
    assert not stale, f"recompile the .mo (see README, Translations): {stale[:20]}"


def test_no_message_of_the_sources_is_missing_from_the_catalogues(tmp_path):
    """Extract again, as a developer would, into a copy: every message found must already be
    in the catalogue (with its translation)."""
    root = settings.BASE_DIR
    copy = tmp_path / "sources"
    skip = shutil.ignore_patterns(
        *catalogues.IGNORED, ".git", "__pycache__", "*.pyc", "db*.sqlite3*", "locale"
    )
    shutil.copytree(root, copy, ignore=skip, symlinks=True)
    shutil.copytree(root / "locale", copy / "locale")
    for domain in catalogues.DOMAINS:
        run = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "fr",
                "-d",
                domain,
                *catalogues.MAKEMESSAGES_ARGS,
            ],
            cwd=copy,
            env={**subprocess.os.environ, "ONDIJON_NO_BOOTSTRAP": "1"},
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
        fresh = copy / "locale" / "fr" / "LC_MESSAGES" / f"{domain}.po"
        # New messages come out empty, or fuzzy (msgmerge's guess from a similar one): the
        # committed catalogue has neither (test above).
        missing = []
        for selection in ("--untranslated", "--only-fuzzy"):
            run = subprocess.run(
                ["msgattrib", selection, "--no-obsolete", str(fresh)],
                capture_output=True,
                text=True,
            )
            assert run.returncode == 0, run.stderr
            missing += re.findall(r'^msgid "(.+)"$', run.stdout, re.MULTILINE)
        assert not missing, f"{domain}: not in the catalogue (run makemessages): {missing}"
    in_catalogue = set(catalogues.translations("djangojs"))
    missed = sorted(catalogues.script_messages() - in_catalogue)
    assert not missed, (
        f"gettext() in static/ not extracted (avoid it in a template literal): {missed}"
    )

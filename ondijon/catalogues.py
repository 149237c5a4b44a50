"""The French catalogues (locale/fr/LC_MESSAGES): where they are, how they are extracted, and
what they say. Used by the checks that keep them complete (tests/ondijon/test_translations.py,
tests/e2e/test_french_pages.py); README.md says how to update them.

The compiled `.mo` files are committed next to their `.po`: a fresh machine with only Python
shows French without gettext's `msgfmt`, which Django's `compilemessages` would need.
"""

import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
DOMAINS = ("django", "djangojs")
# What `manage.py makemessages` must leave out: the environments (the tests' own clients and
# schemas too), generated files, the tests.
IGNORED = [
    ".venv",
    ".venv-*",
    "staticfiles",
    "tests",
    "bench",
    "test-artifacts",
    "var",
    "node_modules",
]
MAKEMESSAGES_ARGS = [
    "--no-location",
    *(f"--ignore={name}" for name in IGNORED),
]
# gettext("…") in a script: what the scripts' catalogue must hold (the script extractor of
# gettext 0.21 loses its way in some template literals; this finds what it missed).
SCRIPT_GETTEXT = re.compile(r"""\bgettext\("((?:[^"\\]|\\.)*)"\)""")


def po_path(domain: str, language: str = "fr") -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{domain}.po"


def translations(domain: str, language: str = "fr") -> dict[str, str]:
    """msgid -> msgstr of the compiled catalogue (plural forms under their singular)."""
    with (LOCALE / language / "LC_MESSAGES" / f"{domain}.mo").open("rb") as file:
        catalog = gettext.GNUTranslations(file)._catalog
    result: dict[str, str] = {}
    for key, value in catalog.items():
        if isinstance(key, tuple):
            result.setdefault(key[0], value)
        elif key:
            result[key] = value
    return result


def script_messages(static_root: Path | None = None) -> set[str]:
    """Every literal gettext("…") of the scripts under static/."""
    root = static_root or Path(settings.BASE_DIR) / "static"
    found: set[str] = set()
    for script in root.rglob("*.js"):
        for text in SCRIPT_GETTEXT.findall(script.read_text(encoding="utf-8")):
            found.add(text.encode().decode("unicode_escape") if "\\" in text else text)
    return found

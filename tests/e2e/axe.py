"""axe-core, the accessibility engine, for the browser tests: an npm package installed at test
time into a cache folder (never committed), evaluated into the page through the browser's
DevTools protocol (Playwright's `evaluate`), which the site's strict CSP does not block, so the
audit sees the page exactly as the room does, policy included."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

VERSION = "4.14.1"
CACHE = Path(os.environ.get("AXE_CACHE", Path.home() / ".cache" / "ondijon-axe")) / VERSION
SOURCE = CACHE / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA: what RGAA 4.1 builds on.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = ("critical", "serious")


def axe_source() -> str:
    if not SOURCE.exists():
        npm = shutil.which("npm")
        if npm is None:
            message = "the accessibility audit needs npm (apt-get install -y npm)"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(CACHE),
                f"axe-core@{VERSION}",
                "--no-audit",
                "--no-fund",
                "--silent",
            ],
            check=True,
            timeout=300,
        )
    return SOURCE.read_text()


AUDIT = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
}"""


def audit(page, source: str) -> list[dict]:
    """axe's violations on the page as it stands (WCAG 2.1 A/AA rules)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    return page.evaluate(AUDIT, TAGS)

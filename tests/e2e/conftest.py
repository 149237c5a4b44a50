"""Browser tests: Playwright drives the machine's Chromium (never a downloaded browser)."""

import os
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, IN_CI

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


E2E_DIR = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # Runs before `-m` selection; this hook sees every test of the session, so filter by path.
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        message = f"browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def screenshot(page, request):
    """Save a screenshot as a test artifact: test-artifacts/<test name>-<label>.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(label: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{label}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take


@pytest.fixture
def role_users(make_user):
    """One user of each role, named `xss-<role>` (the page walks log in as them)."""
    from ondijon import roles

    users = {role: make_user(role, username=f"xss-{role}") for role in roles.ROLE_LABELS}
    users[roles.ADMINISTRATOR].is_superuser = True
    users[roles.ADMINISTRATOR].save()
    return users

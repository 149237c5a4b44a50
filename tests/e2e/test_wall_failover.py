"""A database failover on the wall: the room reads it as a banner in the header (French first,
English on the language switch), and ten minutes later the banner has cleared by itself."""

import re

from django.conf import settings
from playwright.sync_api import expect

from supervision.platform import replication
from supervision.wall import state as wall
from tests.e2e.test_wall import daphne as daphne  # the fixtures, reused here
from tests.e2e.test_wall import open_wall
from tests.e2e.test_wall import wall_city as wall_city


def seen(primary: str, port: int) -> replication.DatabaseState:
    """The database as the primary watch sees it: `primary` takes the writes."""
    return replication.DatabaseState(primary=primary, address=f"10.0.0.1:{port}")


def test_a_failover_shows_a_banner_on_the_wall_in_french_then_english_and_it_clears(
    daphne, browser, wall_city
):
    replication.watch_primary(state=seen("site-a", 5432))  # the primary first seen: no banner
    server = daphne()
    # A kiosk's browser that asks for French, as the room's screens do.
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    # The page's clock is Playwright's: it runs as the real one, and can jump ten minutes.
    page.clock.install()
    open_wall(page, server.url)
    banner = page.locator("#wall-failover")
    expect(banner).to_be_hidden()

    # Site-a lost: the watch sees site-b take the writes (written by this process, the wall
    # learns it from the log at its socket's next heartbeat).
    event = replication.watch_primary(state=seen("site-b", 5433))
    assert event.kind == replication.FAILOVER
    within = (settings.WALL_HEARTBEAT_SECONDS + 10) * 1000
    expect(banner).to_be_visible(timeout=within)
    expect(banner).to_have_text(
        re.compile(r"^Bascule de la base de données à [\d:]+ : site-b a pris le relais de site-a$")
    )
    expect(banner).to_have_attribute("data-planned", "false")
    assert int(page.evaluate("document.body.dataset.lastSeq")) == wall.last_seq()

    # The language switch (its cookie): the fresh snapshot brings the failover back, in English.
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": server.url}])  # fmt: skip
    page.reload()
    expect(page.locator("body[data-ready=true]")).to_be_attached(timeout=15000)
    expect(banner).to_have_text(
        re.compile(r"^Database failover at [\d:]+ ?[AP]?M?: site-b took over from site-a$")
    )

    # Ten minutes on (WALL_FAILOVER_BANNER_SECONDS) the banner has cleared, nothing else said.
    page.clock.fast_forward(int(settings.WALL_FAILOVER_BANNER_SECONDS * 1000) + 2000)
    expect(banner).to_be_hidden(timeout=5000)
    expect(banner).to_have_text("")
    context.close()

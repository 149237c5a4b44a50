"""Each role, as a newcomer: logs in, lands on its own desk, follows every link of its top bar
(none refused), and every page it opens passes axe-core's WCAG 2.1 A/AA rules with no critical
or serious violation and no console error. One browser walk does all three; the counts of
violations by impact are printed, page by page.

The audit covers one page per URL pattern (a desk seen by several roles is audited once, its
links still followed by each), in each language a browser may ask for (French, the room's, and
English), the administrators' admin pages included; each page's `<html lang>` says which."""

import contextlib
import re
from collections import Counter

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ondijon import roles
from supervision.models import WallScreen
from tests.conftest import ARTIFACTS
from tests.e2e.axe import FAILING, audit, axe_source
from tests.e2e.payloads import plant_city
from tests.e2e.test_login import PASSWORD, sign_in

LANDS_ON = {
    roles.ADMINISTRATOR: r"/",
    roles.SUPERVISOR: r"/overview/",
    roles.OPERATOR: r"/alerts/",
    roles.DISPATCHER: r"/dispatch/",
    roles.HOTLINE_AGENT: r"/hotline/",
    roles.SOCIAL_SUPPORT: r"/hotline/referrals/",
    roles.SOCIAL_SUPPORT_LEAD: r"/hotline/referrals/",
    roles.FIELD_TEAM: r"/field/",
    # The room has two active screens; the kiosk's account is linked to the main wall.
    roles.WALL_DISPLAY: r"/wall/main/",
}
# Pages reached from a desk rather than from the bar: one of each kind.
EXTRA = {
    roles.SUPERVISOR: ["crisis pre-check", "equipment history"],
    roles.HOTLINE_AGENT: ["campaign"],
    roles.OPERATOR: ["alert on the desk", "/log/at/"],
    roles.WALL_DISPLAY: ["wall screen"],
}
# The administrators' pages: the index, a list with its filters, a form with its map widget.
ADMIN_PAGES = [
    "/admin/",
    "/admin/equipment/equipment/",
    "/admin/equipment/equipment/add/",
    "/admin/supervision/alertrule/",
    "/admin/supervision/wallscreen/add/",
]


class Walker:
    def __init__(self, browser, base_url: str, source: str, viewport=None, locale="fr-FR"):
        self.base_url, self.source = base_url, source
        self.context = browser.new_context(
            viewport=viewport or {"width": 1400, "height": 900}, locale=locale
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))
        self.page.on(
            "console",
            lambda message: message.type == "error" and self.errors.append(message.text),
        )

    def log_in(self, username: str) -> str:
        sign_in(self.page, self.base_url, username)
        self.settle()
        return self.page.url.removeprefix(self.base_url)

    def settle(self) -> None:
        # Live pages keep a socket open and never go idle: what loaded in a second is it.
        with contextlib.suppress(PlaywrightTimeout):
            self.page.wait_for_load_state("networkidle", timeout=1000)

    def open(self, path: str) -> int:
        self.errors = []
        response = self.page.goto(f"{self.base_url}{path}")
        self.settle()
        return response.status if response else 0

    def bar_links(self) -> list[str]:
        return self.page.eval_on_selector_all(
            "header.topbar nav.desks a[href]", "(links) => links.map((a) => a.getAttribute('href'))"
        )


def pattern(path: str) -> str:
    """One audit per kind of page: numbers and slugs after a known page are the same page."""
    path = path.split("?")[0]
    return re.sub(r"/\d+/", "/<pk>/", path)


@pytest.mark.parametrize(("language", "locale"), [("fr", "fr-FR"), ("en", "en-GB")])
def test_each_role_lands_on_its_desk_follows_its_bar_and_meets_wcag_aa(
    asgi_server, browser, role_users, language, locale
):
    source = axe_source()
    city = plant_city(PASSWORD, hostile=False)
    # The migrations' main wall (a browser test's database may have been flushed before).
    WallScreen.objects.update_or_create(
        slug="main", defaults={"name": "Mur principal", "kiosk": role_users[roles.WALL_DISPLAY]}
    )
    audited: dict[str, Counter] = {}
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []

    def check(walker: Walker, who: str, path: str) -> None:
        if walker.errors:
            problems.append(f"{who} {path}: console: {walker.errors}")
        lang = walker.page.get_attribute("html", "lang") or ""
        if lang.split("-")[0] != language:
            problems.append(f"{who} {path}: <html lang={lang!r}> in a {language} browser")
        kind = pattern(path)
        if kind in audited or (path.startswith("/admin/") and path not in ADMIN_PAGES):
            return
        found = audit(walker.page, source)
        audited[kind] = Counter(v["impact"] for v in found)
        problems.extend(
            f"{who} {path}: {v['impact']} {v['id']} ({v['help']}) at {v['targets']}"
            for v in found
            if v["impact"] in FAILING
        )

    citizen = Walker(browser, asgi_server, source, locale=locale)
    for path in ("/accounts/login/", "/status/"):
        assert citizen.open(path) == 200
        check(citizen, "anonymous", path)
    citizen.context.close()

    # A citizen's phone: the status page fits, says when it was updated, updates when asked.
    phone = Walker(
        browser, asgi_server, source, viewport={"width": 360, "height": 740}, locale=locale
    )
    assert phone.open("/status/") == 200
    assert phone.page.locator("meta[http-equiv=refresh]").count() == 0
    assert phone.page.evaluate("() => document.documentElement.scrollWidth") <= 360
    before = phone.page.get_attribute("#status-updated", "data-generated")
    phone.page.wait_for_timeout(1100)
    phone.page.click("#status-refresh button[type=submit]")
    phone.page.wait_for_function(
        "(before) => document.querySelector('#status-updated').textContent.trim() !== ''",
        arg=before,
    )
    assert phone.page.get_attribute("#status-updated", "aria-live") == "polite"
    assert not phone.errors, phone.errors
    phone.context.close()

    for role in roles.ROLE_LABELS:
        walker = Walker(browser, asgi_server, source, locale=locale)
        landed = walker.log_in(f"xss-{role}")
        assert re.fullmatch(LANDS_ON[role], landed.split("?")[0]), (role, landed)
        walker.page.screenshot(path=str(ARTIFACTS / f"landing-{role}-{language}.png"))
        check(walker, role, landed)
        links = walker.bar_links()
        if role == roles.WALL_DISPLAY:
            assert links == [], "a kiosk's wall shows no bar to click"
        else:
            assert landed in links or landed == "/", (role, landed, links)
        extra = [city.urls.get(name, name) for name in EXTRA.get(role, [])]
        if role == roles.ADMINISTRATOR:
            extra += ADMIN_PAGES
        for path in [*links, *extra]:
            if pattern(path) in audited or (path.startswith("/admin/") and path not in ADMIN_PAGES):
                # Seen and audited already: this role only needs it to open.
                status = walker.page.request.get(f"{asgi_server}{path}", max_redirects=0).status
            else:
                status = walker.open(path)
                check(walker, role, path)
            if status != 200:
                problems.append(f"{role} {path}: answers {status}")
        walker.context.close()

    report = [
        f"{kind}: {dict(counts) or 'no violation'}" for kind, counts in sorted(audited.items())
    ]
    totals = sum(audited.values(), Counter())
    report.append(
        f"{language}: {len(audited)} kinds of page audited; violations by impact: {dict(totals)}"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-report-{language}.txt").write_text("\n".join(report + problems) + "\n")
    print("\n".join(report))
    assert not problems, "\n".join(problems)

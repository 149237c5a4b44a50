"""No text a person writes ever runs as script, on any page of any role; and every page works
under the site's strict Content-Security-Policy (no violation, no script error).

Each role walks every page it may open, with a small city planted first (tests/e2e/payloads.py).
On each page the map's tooltips are opened, as a hovering user would; then the page fails if a
payload ran (`window.__xss`, a dialog), if its markup reached the DOM as elements, or if the
browser reported a policy violation.
"""

import contextlib
from collections import defaultdict
from urllib.parse import quote

from django.contrib import admin
from django.urls import reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ondijon import roles
from tests.conftest import ARTIFACTS
from tests.e2e.payloads import PlantedCity, plant_city
from tests.e2e.test_login import PASSWORD, sign_in

# Set before any page script runs: collect policy violations, and keep each Leaflet map the
# page creates (Leaflet sets `window.L` once loaded) so that its tooltips can be opened.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber} ${event.sample || ""}`);
});
window.__maps = [];
let leaflet;
Object.defineProperty(window, "L", {
  configurable: true,
  get() { return leaflet; },
  set(value) {
    leaflet = value;
    if (value && value.Map && value.Map.addInitHook && !value.__watched) {
      value.__watched = true;
      value.Map.addInitHook(function () { window.__maps.push(this); });
    }
  },
});
"""

OPEN_TOOLTIPS = """() => {
  let opened = 0;
  for (const map of window.__maps) {
    map.eachLayer((layer) => {
      try {
        if (layer.getTooltip && layer.getTooltip()) { layer.openTooltip(); opened++; }
        if (layer.getPopup && layer.getPopup()) { layer.openPopup(); opened++; }
      } catch (error) { /* a layer with no position of its own (a group) */ }
    });
  }
  return opened;
}"""

# What a payload leaves behind when a page inserted it as HTML: its elements, or its handlers.
INSPECT = """(texts) => {
  const injected = [];
  for (const element of document.querySelectorAll(
    "img[src='x'], svg[onload], script:not([src]):not([type='application/json'])")) {
    if (element.tagName === "SCRIPT" && !element.textContent.includes("__xss")) continue;
    injected.push(element.outerHTML.slice(0, 120) + " after «"
      + (element.previousSibling ? element.previousSibling.textContent : "").slice(-20) + "»");
  }
  let shown = document.documentElement.innerText;
  for (const element of document.querySelectorAll("*")) {
    // Element.prototype: a form with a field named "attributes" hides the property.
    for (const name of Element.prototype.getAttributeNames.call(element)) shown += "\\n" + Element.prototype.getAttribute.call(element, name);
    if ("value" in element && typeof element.value === "string") shown += "\\n" + element.value;
  }
  return {
    ran: window.__xss !== undefined,
    violations: window.__violations,
    injected,
    seen: texts.filter((text) => shown.includes(text)),
  };
}"""

# Every page of the room, the desks and the public site; a role opens those it may (200).
PAGES = [
    "/",
    "/dispatch/",
    "/field/",
    "/alerts/",
    "/alerts/kpis/",
    "/shift/",
    "/reports/daily/",
    "/log/",
    "/crisis/",
    "/status/",
    "/wall/",
    "/wall/main/",
    "/hotline/",
    "/hotline/callbacks/",
    "/hotline/referrals/",
    "/hotline/register/",
    "/hotline/campaigns/",
    "/hotline/statistics/",
    "/api/docs/",
    "/api/v1/",
    "/api/v1/teams/",
    "/api/v1/interventions/",
    "/api/v1/alerts/",
    "/admin/",
]


def admin_pages() -> list[str]:
    """Each registered model's change list, add form and first object's change form."""
    pages = []
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        pages.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    return pages


class Visitor:
    """One role's browser: opens pages and says what went wrong on each."""

    def __init__(self, browser, base_url: str, role: str | None):
        self.base_url, self.role = base_url, role
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self.on_dialog)
        self.page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))
        self.page.on("console", self.on_console)
        if role is not None:
            sign_in(self.page, base_url, f"xss-{role}")

    def on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(self, message) -> None:
        # The browser's own request for /favicon.ico (the site has none) is not the page's.
        if message.type == "error" and not message.location.get("url", "").endswith("favicon.ico"):
            self.errors.append(f"console: {message.text}")

    def visit(self, path: str, texts: list[str]) -> dict | None:
        """None if this role may not open the page; else what the page showed and did."""
        self.errors, self.dialogs = [], []
        response = self.page.goto(f"{self.base_url}{path}")
        if response is not None and response.status >= 500:
            return {
                "where": path,
                "seen": [],
                "problems": [f"{self.role} {path}: {response.status}"],
            }
        if response is None or response.status != 200:
            return None
        if self.role is not None and "/accounts/login/" in self.page.url:
            return None
        # Live pages keep a socket open and never go idle: what loaded in a few seconds is it.
        with contextlib.suppress(PlaywrightTimeout):
            self.page.wait_for_load_state("networkidle", timeout=5000)
        self.page.evaluate(OPEN_TOOLTIPS)
        found = self.page.evaluate(INSPECT, texts)
        where = f"{self.role or 'anonymous'} {path}"
        problems = []
        if not response.headers.get("content-security-policy"):
            problems.append(f"{where}: no Content-Security-Policy header")
        if found["ran"] or self.dialogs:
            problems.append(f"{where}: a payload RAN (dialogs: {self.dialogs})")
        problems += [f"{where}: markup inserted as HTML: {e}" for e in found["injected"]]
        problems += [f"{where}: policy violation: {v}" for v in found["violations"]]
        problems += [f"{where}: {error}" for error in self.errors]
        return {"where": where, "seen": found["seen"], "problems": problems}


def walk(browser, base_url: str, city: PlantedCity) -> tuple[dict, list[str], int]:
    """Every role (and a citizen, not logged in) opens every page it may. Returns
    {field tag: {page: 1}} of payloads seen as text, the problems found, and the pages opened."""
    seen: dict[str, dict[str, int]] = defaultdict(dict)
    problems: list[str] = []
    texts = [planted.text for planted in city.fields]
    tag_of = {planted.text: planted.tag for planted in city.fields}
    pages = [*PAGES, *(quote(path, safe="/?=&") for path in city.urls.values())]
    opened = 0
    for role in [None, *roles.ROLE_LABELS]:
        visitor = Visitor(browser, base_url, role)
        role_pages = [*pages, "/accounts/login/"] if role is None else pages
        if role == roles.ADMINISTRATOR:
            role_pages = [*role_pages, *admin_pages(), *city.admin_urls]
        for path in role_pages:
            result = visitor.visit(path, texts)
            if result is None:
                continue
            opened += 1
            for text in result["seen"]:
                seen[tag_of[text]][result["where"]] = 1
            problems += result["problems"]
        visitor.context.close()
    return seen, problems, opened


def matrix_report(city: PlantedCity, seen: dict) -> str:
    lines = ["field (channel) -> pages where its text is shown (as text), by role and path"]
    for planted in city.fields:
        pages = seen.get(planted.tag, {})
        lines.append(f"{planted.tag} {planted.name} ({planted.channel}): {len(pages)} pages")
        for where in sorted(pages):
            lines.append(f"    {where}")
    total = sum(len(pages) for pages in seen.values())
    lines.append(f"{len(city.fields)} fields, {total} field x page pairs shown as text")
    return "\n".join(lines)


def test_no_planted_script_runs_on_any_page_of_any_role(asgi_server, browser, role_users):
    # One walk proves both: a page that breaks its policy (a violation, a console error) or
    # runs, or inserts as markup, a planted payload is a problem of this walk.
    city = plant_city(PASSWORD)
    seen, problems, opened = walk(browser, asgi_server, city)
    report = matrix_report(city, seen) + f"\n{opened} pages opened, {len(problems)} problems"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "xss-matrix.txt").write_text(report + "\n")
    print(report)
    assert not problems, "\n".join(problems)
    unseen = [f"{p.tag} {p.name}" for p in city.fields if not seen.get(p.tag)]
    assert not unseen, f"fields shown on no page (so not checked): {unseen}"

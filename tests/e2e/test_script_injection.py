"""No text a person writes ever runs as script, on any page of any role; and every page works
under the site's strict Content-Security-Policy (no violation, no script error).

Each role walks every page it may open, with a small city planted first (tests/e2e/payloads.py).
On each page the map's tooltips are opened, as a hovering user would; then the page fails if a
payload ran (`window.__xss`, a dialog), if its markup reached the DOM as elements, or if the
browser reported a policy violation.
"""

from collections import defaultdict
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from ondijon import roles
from tests.conftest import ARTIFACTS
from tests.e2e.payloads import PlantedCity, plant_city
from tests.e2e.test_login import PASSWORD

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
    for (const attribute of element.attributes) shown += "\\n" + attribute.value;
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
            try:
                pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            except NoReverseMatch:
                pass
    return pages


@pytest.fixture
def role_users(make_user):
    users = {role: make_user(role, username=f"xss-{role}") for role in roles.ROLE_LABELS}
    users[roles.ADMINISTRATOR].is_superuser = True
    users[roles.ADMINISTRATOR].save()
    return users


def walk(browser, base_url: str, city: PlantedCity) -> tuple[dict, list[str]]:
    """Every role opens every page it may. Returns {(field tag): {page: count}} of payloads
    seen as text, and the problems found."""
    seen: dict[str, dict[str, int]] = defaultdict(dict)
    problems: list[str] = []
    texts = [planted.text for planted in city.fields]
    by_text = {planted.text: planted.tag for planted in city.fields}
    pages = [*PAGES, *(quote(path, safe="/?=&") for path in city.urls.values())]
    callers = [None, *roles.ROLE_LABELS]
    opened = 0
    for role in callers:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_init_script(WATCH)
        page = context.new_page()
        dialogs: list[str] = []
        errors: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: errors.append(f"console: {message.text}")
            if message.type == "error"
            else None,
        )
        if role is not None:
            page.goto(f"{base_url}/accounts/login/")
            page.fill("#id_username", f"xss-{role}")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base_url}/")
        role_pages = [*pages, "/accounts/login/"] if role is None else pages
        if role == roles.ADMINISTRATOR:
            role_pages = [*role_pages, *admin_pages()]
        for path in role_pages:
            errors.clear()
            response = page.goto(f"{base_url}{path}")
            if response is None or response.status != 200 or "/accounts/login/" in page.url:
                if path != "/accounts/login/":
                    continue
            try:
                page.wait_for_load_state("networkidle", timeout=5000)
            except Exception:  # live pages keep a socket open; what loaded is enough
                pass
            page.evaluate(OPEN_TOOLTIPS)
            found = page.evaluate(INSPECT, texts)
            opened += 1
            where = f"{role or 'anonymous'} {path}"
            for text in found["seen"]:
                seen[by_text[text]][where] = seen[by_text[text]].get(where, 0) + 1
            if "Content-Security-Policy" not in (response.headers if response else {}) and not (
                response and response.headers.get("content-security-policy")
            ):
                problems.append(f"{where}: no Content-Security-Policy header")
            if found["ran"] or dialogs:
                problems.append(f"{where}: a payload RAN (dialogs: {dialogs})")
            for element in found["injected"]:
                problems.append(f"{where}: markup inserted as HTML: {element}")
            for violation in found["violations"]:
                problems.append(f"{where}: policy violation: {violation}")
            for error in errors:
                problems.append(f"{where}: {error}")
            dialogs.clear()
        context.close()
    if not opened:
        problems.append("no page opened")
    return seen, problems


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


def test_every_page_of_every_role_works_under_the_policy(asgi_server, browser, role_users):
    city = plant_city(PASSWORD, hostile=False)
    seen, problems = walk(browser, asgi_server, city)
    assert not problems, "\n".join(problems)
    assert seen, "the planted city shows on no page"


def test_no_planted_script_runs_on_any_page_of_any_role(asgi_server, browser, role_users):
    city = plant_city(PASSWORD)
    seen, problems = walk(browser, asgi_server, city)
    report = matrix_report(city, seen)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "xss-matrix.txt").write_text(report + "\n")
    print(report)
    assert not problems, "\n".join(problems)
    unseen = [f"{p.tag} {p.name}" for p in city.fields if not seen.get(p.tag)]
    assert not unseen, f"fields shown on no page (so not checked): {unseen}"

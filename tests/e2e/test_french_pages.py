"""A French browser sees French on every page of every role: no English message of the
catalogues that has a French translation shows untranslated.

One walk: each role (and a citizen, not signed in) opens a representative page of each kind
(the desks, the walls, the public page, an object's own page, the admin's index and every add
form), in a browser that asks for French. The API's developer pages (browsable API, Swagger)
are left out: their keys are field names, not words.
"""

import re

from django.contrib import admin
from django.urls import reverse

from ondijon import catalogues, roles
from tests.e2e.payloads import plant_city
from tests.e2e.test_login import PASSWORD, sign_in
from tests.e2e.test_script_injection import PAGES

# What a person reads on the page: its text, and the names given to controls.
SHOWN = """() => {
  // Codes (an event's kind, `alert.raised`) are marked translate="no": not words to translate.
  let text = document.body ? document.body.innerText : "";
  for (const code of document.querySelectorAll("[translate='no']")) {
    if (code.innerText.trim()) text = text.split(code.innerText).join(" ");
  }
  const parts = [text];
  for (const element of document.querySelectorAll("[aria-label], [placeholder]")) {
    parts.push(element.getAttribute("aria-label") || "", element.getAttribute("placeholder") || "");
  }
  return { lang: document.documentElement.lang, text: parts.join("\\n") };
}"""
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdr]")


def english_patterns() -> list[tuple[str, tuple[str, re.Pattern]]]:
    """One pattern per English message whose French differs: its words, placeholders as any
    text, whole words only. Messages of fewer than four letters, and single lower-case words,
    are left out."""
    patterns = {}
    catalogue = {
        english: french
        for domain in catalogues.DOMAINS
        for english, french in catalogues.translations(domain).items()
    }
    # A word French shares with English ("Active", "Position") is not English left over.
    french_words = {french.casefold() for french in catalogue.values()}
    for english in catalogue:
        words = PLACEHOLDER.sub("", english)
        if english.casefold() in french_words or len(re.sub(r"\W", "", words)) < 4:
            continue
        # One lower-case word ("team", "command") is also a code or a JSON key on pages that
        # show codes; the labels people read are capitalised ("Équipe").
        if re.fullmatch(r"[a-z]+", english):
            continue
        pieces = [re.escape(piece) for piece in PLACEHOLDER.split(english)]
        body = r"[^\n]{1,80}?".join(pieces).replace(r"\ ", r" +")
        start = r"\b" if re.match(r"\w", english) else ""
        end = r"\b" if re.search(r"\w$", english) else ""
        # Its longest literal part: a cheap test before the pattern (most are absent).
        longest = max(PLACEHOLDER.split(english), key=len)
        patterns[english] = (longest, re.compile(start + body + end))
    return sorted(patterns.items())


def admin_pages() -> list[str]:
    return [reverse("admin:index")] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        for model in admin.site._registry
    ]


def test_every_page_of_every_role_is_french(asgi_server, browser, role_users):
    city = plant_city(PASSWORD, hostile=False)
    patterns = english_patterns()
    pages = [path for path in PAGES if not path.startswith("/api/")]
    pages += list(city.urls.values())
    found, opened = [], 0
    for role in [None, *roles.ROLE_LABELS]:
        context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 900})
        page = context.new_page()
        role_pages = [*pages, "/accounts/login/"]
        if role is not None:
            sign_in(page, asgi_server, f"xss-{role}")
            role_pages = pages + (admin_pages() if role == roles.ADMINISTRATOR else [])
        for path in role_pages:
            response = page.goto(f"{asgi_server}{path}", wait_until="load")
            if response is not None and response.status >= 500:
                found.append(f"{role or 'citizen'} {path}: {response.status}")
            if (
                response is None
                or response.status != 200
                or (role is not None and "/accounts/login/" in page.url)
            ):
                continue
            opened += 1
            # The page's scripts have run once its translations are in (loaded first).
            page.wait_for_function("() => document.readyState === 'complete'")
            shown = page.evaluate(SHOWN)
            where = f"{role or 'citizen'} {path}"
            if shown["lang"] != "fr":
                found.append(f'{where}: <html lang="{shown["lang"]}">')
            for english, (longest, pattern) in patterns:
                if longest not in shown["text"]:
                    continue
                match = pattern.search(shown["text"])
                if match:
                    found.append(f"{where}: {english!r} shown as {match.group(0)[:80]!r}")
        context.close()
    print(f"{opened} pages opened in French, {len(patterns)} English messages looked for")
    assert opened > 60
    assert not found, "\n".join(found)

"""How large the demo walls' text is at their farthest seat, in arcminutes (ISO 9241-303 asks
at least 16, the walls aim at 20 for their smallest text).

    .venv/bin/python bench/wall_legibility.py
    .venv/bin/python bench/wall_legibility.py --url http://127.0.0.1:8000 --user wall \\
      --password "$DEMO_PASSWORD" --widths 1920,3840

First the figures of the wall configuration's own formula (supervision/wall/legibility.py:
the root font size that gives the smallest text 20 arcminutes at the viewing distance, the
texts as rem multiples of it, capital height 0.7 of the font size), for each demo wall at its
configured physical width and viewing distance.

With --url, the same walls opened in Chromium (a kiosk's session) at each screen width asked:
the font sizes the page really computed for its smallest text (the boards' headings), its
body text, its key figures and its clock, turned into metres on the wall (the page fills its
screen: the wall's width over the page's width in pixels) and into arcminutes at the viewing
distance. A wall without a panel has no such text: "-".
"""

import argparse
import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

from _browser import CHROMIUM, CHROMIUM_ARGS
from _report import reported
from _setup import ROOT  # noqa: F401  (Django set up on the project)

from ondijon.demo.seed import WALL_SCREENS
from supervision.models import WallScreen
from supervision.wall import legibility

TEXTS = ("smallest", "body", "figures", "clock")
# Where each text is on the page (static/supervision/wall.css).
SELECTORS = {
    "smallest": ".board th, .health-kinds, .wall-legend h3",
    "body": ".queue li, .board, .markets li, .figure .label",
    "figures": ".figure .value",
    "clock": ".wall-clock",
}
MEASURE = """(selectors) => {
  const out = { rootPx: parseFloat(getComputedStyle(document.documentElement).fontSize),
                innerWidth: window.innerWidth, texts: {} };
  for (const [name, selector] of Object.entries(selectors)) {
    // The first one on the screen: a panel the wall does not show is in the page, hidden.
    const element = [...document.querySelectorAll(selector)].find(
      (candidate) => candidate.getClientRects().length > 0);
    out.texts[name] = element ? parseFloat(getComputedStyle(element).fontSize) : null;
  }
  return out;
}"""


def demo_walls() -> list[tuple[str, float, float]]:
    """slug, width (m), viewing distance (m) of each demo wall as the seed configures it; the
    video wall keeps the model's defaults."""
    walls = [(slug, float(width), float(distance)) for slug, *_, width, distance in WALL_SCREENS]
    defaults = (
        float(WallScreen._meta.get_field("width_m").default),
        float(WallScreen._meta.get_field("viewing_distance_m").default),
    )
    return [*walls, ("video", *defaults)]


def formula_table(walls: list[tuple[str, float, float]]) -> None:
    print("\nformula (supervision/wall/legibility.py), capital letters' angle in arcminutes:")
    print(
        f"{'wall':<16} {'width m':>7} {'dist. m':>7} {'root mm':>7} "
        + " ".join(f"{name:>9}" for name in TEXTS)
        + f" {'body cap mm':>11}"
    )
    for slug, width, distance in walls:
        sizes = legibility.typography(width, distance)
        root_mm = sizes["rootFontM"] * 1000
        angles = sizes["arcminutes"]
        print(
            f"{slug:<16} {width:>7.2f} {distance:>7.2f} {root_mm:>7.1f} "
            + " ".join(f"{angles[name]:>9.1f}" for name in TEXTS)
            + f" {root_mm * legibility.CAP_HEIGHT:>11.1f}"
        )


def measured_table(walls, url: str, user: str, password: str, widths: list[int]) -> None:
    from playwright.sync_api import sync_playwright

    print("\nmeasured in Chromium (computed font sizes), arcminutes at the viewing distance:")
    print(f"{'wall':<16} {'screen px':>9} {'root px':>7} " + " ".join(f"{n:>9}" for n in TEXTS))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width_px in widths:
            context = browser.new_context(
                viewport={"width": width_px, "height": width_px * 9 // 16}, locale="fr-FR"
            )
            page = context.new_page()
            page.goto(f"{url}/accounts/login/")
            page.fill("#id_username", user)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_url(lambda address: "/accounts/login/" not in address)
            for slug, width_m, distance_m in walls:
                page.goto(f"{url}/wall/{slug}/")
                page.wait_for_function("() => document.body.dataset.lastSeq !== undefined")
                page.wait_for_timeout(1500)
                found = page.evaluate(MEASURE, SELECTORS)
                metres_per_px = width_m / found["innerWidth"]
                cells = []
                for name in TEXTS:
                    px = found["texts"][name]
                    if px is None:
                        cells.append(f"{'-':>9}")
                        continue
                    cap_m = px * metres_per_px * legibility.CAP_HEIGHT
                    cells.append(f"{legibility.arcminutes(cap_m, distance_m):>9.1f}")
                print(f"{slug:<16} {width_px:>9} {found['rootPx']:>7.1f} " + " ".join(cells))
            context.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running platform (the demo) to measure the walls on")
    parser.add_argument("--user", default="wall")
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", ""))
    parser.add_argument("--widths", default="1920,3840", help="screen widths in pixels")
    args = parser.parse_args()
    walls = demo_walls()
    with reported():
        print(
            f"minimum asked: ISO 9241-303 16 arcmin; the walls' aim: smallest text "
            f"{legibility.BODY_ARCMIN:.0f} arcmin"
        )
        formula_table(walls)
        if args.url:
            widths = [int(width) for width in args.widths.split(",")]
            measured_table(walls, args.url.rstrip("/"), args.user, args.password, widths)


if __name__ == "__main__":
    main()

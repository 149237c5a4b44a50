"""Text on a wall screen sized for the room's real distance.

A character is legible when its height subtends enough of the eye's field: ISO 9241-303 asks
at least 16 arcminutes, 20 preferred. From a wall's physical width and its farthest reading
seat we work out the font size, in metres on the wall, that gives the wall's smallest running
text 20 arcminutes (key figures and the clock are larger multiples of it, so they subtend more).
The page turns metres into pixels with its own width in pixels: a wall page fills its screen.
"""

import math
from decimal import Decimal

BODY_ARCMIN = 20.0
# Capital letters' height as a share of the font size, for the sans-serif faces walls use.
CAP_HEIGHT = 0.7
# The wall's smallest running text, in rem (the queue's and boards' secondary lines):
# static/supervision/wall.css sizes everything in rem from the root font size.
SMALLEST_TEXT_REM = 0.85
# Larger texts of the wall, in rem: the key figures' values and the clock.
FIGURE_REM = 2.6
CLOCK_REM = 2.2


def subtended_height(distance_m: float, arcmin: float) -> float:
    """Height in metres that subtends `arcmin` at `distance_m`."""
    return 2 * distance_m * math.tan(math.radians(arcmin / 60) / 2)


def arcminutes(height_m: float, distance_m: float) -> float:
    """The angle a height subtends at a distance, in arcminutes."""
    return math.degrees(2 * math.atan(height_m / (2 * distance_m))) * 60


def root_font_m(distance_m: float | Decimal, arcmin: float = BODY_ARCMIN) -> float:
    """The root font size (metres on the wall) that gives the smallest text `arcmin`."""
    font = subtended_height(float(distance_m), arcmin) / CAP_HEIGHT
    return font / SMALLEST_TEXT_REM


def typography(width_m: float | Decimal, distance_m: float | Decimal) -> dict:
    """What the wall page needs to size its text: its width in metres and the smallest root
    font size in metres; and the angles its texts subtend at that size."""
    root = root_font_m(distance_m)
    return {
        "widthM": float(width_m),
        "rootFontM": root,
        "arcminutes": text_arcminutes(root, float(distance_m)),
    }


def text_arcminutes(root_font_m: float, distance_m: float) -> dict:
    """Capital letters' angles, in arcminutes, of the smallest text, the figures and clock."""
    cap = root_font_m * CAP_HEIGHT
    return {
        name: round(arcminutes(cap * rem, distance_m), 1)
        for name, rem in (
            ("smallest", SMALLEST_TEXT_REM),
            ("body", 1.0),
            ("figures", FIGURE_REM),
            ("clock", CLOCK_REM),
        )
    }


def at_pixels(root_px: float, screen_px: int, width_m: float, distance_m: float) -> dict:
    """The angles on a screen `screen_px` wide at a given root font size in pixels."""
    return text_arcminutes(root_px * width_m / screen_px, distance_m)

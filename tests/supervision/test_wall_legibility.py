"""Walls readable from their farthest seat: the text sizes follow the wall's physical width and
viewing distance so that its smallest text subtends at least 20 arcminutes there."""

from decimal import Decimal

import pytest
from django.test import Client

from ondijon import roles
from supervision.models import WallScreen
from supervision.wall import legibility


@pytest.mark.parametrize("width_m, distance_m", [(3.6, 4.0), (2.4, 3.0), (6.0, 12.0), (1.2, 2.0)])
def test_the_smallest_text_subtends_twenty_arcminutes_and_figures_more(width_m, distance_m):
    sizes = legibility.typography(width_m, distance_m)
    assert sizes["arcminutes"]["smallest"] == pytest.approx(20.0, abs=0.05)
    assert sizes["arcminutes"]["body"] > 20
    assert sizes["arcminutes"]["figures"] > sizes["arcminutes"]["clock"] > 40
    # The same text read from twice as far needs twice the size.
    farther = legibility.root_font_m(distance_m * 2)
    assert farther == pytest.approx(2 * sizes["rootFontM"], rel=0.001)
    # On a screen as many pixels wide as the page, that size gives the same angle back.
    root_px = sizes["rootFontM"] * 1920 / width_m
    at = legibility.at_pixels(root_px, 1920, width_m, distance_m)
    assert at["smallest"] == pytest.approx(20.0, abs=0.05)


def test_the_wall_page_carries_its_sizes_and_offers_a_kiosk_nothing_to_click(make_user, db):
    WallScreen.objects.filter(slug="main").update(
        width_m=Decimal("2.40"), viewing_distance_m=Decimal("3.00")
    )
    for role, kiosk in ((roles.WALL_DISPLAY, True), (roles.OPERATOR, False)):
        client = Client()
        client.force_login(make_user(role))
        config = client.get("/wall/main/").context["config"]
        assert config["typography"]["widthM"] == 2.4
        assert config["typography"]["arcminutes"]["smallest"] == pytest.approx(20.0, abs=0.05)
        assert config["kiosk"] is kiosk

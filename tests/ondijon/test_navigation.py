"""The top bar: each role sees exactly the pages it may open, and lands on its own desk."""

import re

import pytest
from django.test import Client

from interventions.models import Officer, Team
from ondijon import navigation, roles
from supervision.models import Event, WallScreen

ALL = sorted(roles.ROLE_LABELS)
LANDS_ON = {
    roles.SUPERVISOR: "/overview/",
    roles.OPERATOR: "/alerts/",
    roles.DISPATCHER: "/dispatch/",
    roles.HOTLINE_AGENT: "/hotline/",
    roles.SOCIAL_SUPPORT: "/hotline/referrals/",
    roles.SOCIAL_SUPPORT_LEAD: "/hotline/referrals/",
    roles.FIELD_TEAM: "/field/",
    roles.WALL_DISPLAY: "/wall/main/",
    roles.ADMINISTRATOR: "/",
}
BAR = re.compile(r'<nav class="desks"[^>]*>(.*?)</nav>', re.S)


@pytest.fixture
def person(make_user, district):
    assert list(WallScreen.objects.filter(active=True).values_list("slug", flat=True)) == ["main"]

    def make(role: str):
        user = make_user(role, username=f"nav-{role}")
        if role == roles.FIELD_TEAM:
            team = Team.objects.create(
                call_sign="EP-01", service="lighting", latitude=47.32, longitude=5.04
            )
            Officer.objects.create(user=user, team=team, service="lighting", badge_number="9")
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client

    return make


def bar_links(html: str) -> list[str]:
    found = BAR.search(html)
    return re.findall(r'href="([^"]+)"', found.group(1)) if found else []


@pytest.mark.parametrize("role", ALL)
def test_each_role_lands_on_its_desk_and_its_bar_links_what_it_may_open(person, role):
    client = person(role)
    landing = client.get("/")
    where = landing["Location"] if landing.status_code == 302 else "/"
    assert where == LANDS_ON[role]
    page = client.get(where)
    assert page.status_code == 200
    if role == roles.WALL_DISPLAY:
        # A kiosk's wall has no top bar: nothing there to click with a mouse.
        assert bar_links(page.content.decode()) == []
        return
    shown = set(bar_links(page.content.decode()))
    assert where == "/" or where in shown
    for link in navigation.LINKS:
        response = client.get(link.url)
        opens = response.status_code
        if link.url in shown:
            assert opens != 403, (role, link.url)
        else:
            # A page the role can open is in its bar; one it cannot answers 403 (the admin
            # sends a non-staff account to its own login).
            refused = opens == 403 or (opens == 302 and "login" in response["Location"])
            assert refused, (role, link.url, opens)


def test_the_bar_names_the_person_and_their_role_in_words(person):
    page = person(roles.OPERATOR).get("/alerts/").content.decode()
    assert 'id="who"' in page and "nav-operator" in page
    assert '<span class="roles">Operator</span>' in page
    assert 'action="/i18n/setlang/"' in page


def test_operators_follow_crisis_progress_but_do_not_switch_modes(person):
    operator = person(roles.OPERATOR)
    assert operator.get("/crisis/").status_code == 200
    assert operator.get("/crisis/modes/flood/").status_code == 403


@pytest.fixture
def three_walls(db):
    """The demo room's three active screens."""
    for slug in ("video", "salle"):
        WallScreen.objects.create(slug=slug, name=slug.title())
    return WallScreen.objects.filter(active=True)


def test_a_kiosk_lands_on_its_own_wall_among_several(make_user, three_walls):
    kiosk = make_user(roles.WALL_DISPLAY, username="kiosk-video")
    three_walls.filter(slug="video").update(kiosk=kiosk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(kiosk)
    assert client.get("/")["Location"] == "/wall/video/"


def test_a_kiosk_with_no_wall_of_its_own_chooses_among_several(make_user, three_walls):
    other = make_user(roles.WALL_DISPLAY, username="kiosk-other")
    three_walls.filter(slug="main").update(kiosk=other)
    kiosk = make_user(roles.WALL_DISPLAY, username="kiosk-unlinked")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(kiosk)
    assert client.get("/")["Location"] == "/wall/"


def test_a_kiosk_whose_wall_is_switched_off_chooses_among_the_others(make_user, three_walls):
    kiosk = make_user(roles.WALL_DISPLAY, username="kiosk-off")
    three_walls.filter(slug="salle").update(kiosk=kiosk, active=False)
    assert navigation.landing_url(kiosk) == "/wall/"


def test_the_admin_links_a_kiosk_to_its_wall_and_the_log_says_so(make_user, three_walls):
    kiosk = make_user(roles.WALL_DISPLAY, username="kiosk-admin")
    make_user(roles.OPERATOR, username="not-a-kiosk")
    admin = Client(HTTP_ACCEPT_LANGUAGE="en")
    admin.force_login(make_user(roles.ADMINISTRATOR, username="nav-admin"))
    screen = three_walls.get(slug="salle")
    form = admin.get(f"/admin/supervision/wallscreen/{screen.pk}/change/").content.decode()
    kiosk_select = re.search(r'<select name="kiosk".*?</select>', form, re.S).group(0)
    assert "kiosk-admin" in kiosk_select and "not-a-kiosk" not in kiosk_select
    data = {
        "name": screen.name,
        "slug": screen.slug,
        "active": "on",
        "kiosk": kiosk.pk,
        "center_latitude": screen.center_latitude,
        "center_longitude": screen.center_longitude,
        "zoom": screen.zoom,
        "width_m": screen.width_m,
        "viewing_distance_m": screen.viewing_distance_m,
        "video_layout": screen.video_layout,
        "video_tiles": "[]",
        "alarm_tile": "",
    }
    response = admin.post(f"/admin/supervision/wallscreen/{screen.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert navigation.landing_url(kiosk) == "/wall/salle/"
    event = Event.objects.get(kind="wall_screen.updated")
    assert "kiosk" in event.payload["fields"]
    assert event.payload["wall_screen"]["kiosk_id"] == kiosk.pk

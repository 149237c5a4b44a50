"""The top bar: each role sees exactly the pages it may open, and lands on its own desk."""

import re

import pytest
from django.test import Client

from interventions.models import Officer, Team
from ondijon import navigation, roles
from supervision.models import WallScreen

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

"""Each role against each page and endpoint: allowed or refused, never a 500.

The expectations are written out here, independently of `ondijon/roles.py`, so a
permission slipping into the wrong role fails a test.
"""

import pytest
from django.test import Client

from ondijon import navigation
from ondijon import roles as r

ALL = set(r.ROLE_LABELS)
CITY = {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR, r.DISPATCHER}
ACTING = {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR}  # act on devices
SOCIAL = {r.SOCIAL_SUPPORT, r.SOCIAL_SUPPORT_LEAD}

READ_ACCESS = {
    "/api/v1/districts/": CITY | {r.HOTLINE_AGENT, r.FIELD_TEAM} | SOCIAL,
    "/api/v1/districts/geojson/": CITY | {r.HOTLINE_AGENT, r.FIELD_TEAM} | SOCIAL,
    "/api/v1/sites/": CITY,
    "/api/v1/equipment/": CITY | {r.FIELD_TEAM},
    "/api/v1/equipment/geojson/": CITY | {r.FIELD_TEAM},
    "/api/v1/readings/": {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR},
    "/api/v1/teams/": CITY | {r.FIELD_TEAM},
    "/api/v1/teams/geojson/": CITY | {r.FIELD_TEAM},
    "/api/v1/interventions/": CITY | {r.FIELD_TEAM},
    "/api/v1/interventions/geojson/": CITY | {r.FIELD_TEAM},
    "/api/v1/hotline/categories/": {r.ADMINISTRATOR, r.SUPERVISOR, r.HOTLINE_AGENT},
    "/api/v1/hotline/articles/": {r.ADMINISTRATOR, r.SUPERVISOR, r.HOTLINE_AGENT},
    "/api/v1/calls/": {r.ADMINISTRATOR, r.SUPERVISOR, r.HOTLINE_AGENT},
    # Personal data: administrators do not read it (hotline/personal_data.py).
    "/api/v1/referrals/": {r.HOTLINE_AGENT} | SOCIAL,
    "/api/v1/alerts/": CITY,
    "/api/v1/alerts/geojson/": CITY,
    "/api/v1/events/": CITY,
    "/api/schema/": ALL - {r.WALL_DISPLAY},
    # Commands and crisis modes.
    "/api/v1/commands/": ACTING,
    "/api/v1/commands/catalogue/": ACTING,
    "/api/v1/crisis-modes/": ACTING,
    "/api/v1/crisis-activations/": ACTING,
}

PAGE_ACCESS = {
    # The others land on their own desk from "/" (tests/ondijon/test_navigation.py).
    "/": {r.ADMINISTRATOR},
    "/api/docs/": ALL - {r.WALL_DISPLAY},
    "/admin/": {r.ADMINISTRATOR},
    "/admin/equipment/equipment/": {r.ADMINISTRATOR},
    "/admin/supervision/event/": {r.ADMINISTRATOR},
    "/admin/supervision/alertrule/": {r.ADMINISTRATOR},
    "/admin/equipment/devicetoken/": {r.ADMINISTRATOR},
    "/dispatch/": {r.ADMINISTRATOR, r.DISPATCHER},
    "/log/": CITY,
    "/log/at/": CITY,
    "/log/export.csv": CITY,
    "/admin/supervision/wallscreen/": {r.ADMINISTRATOR},
    # Wall screens: the room's roles and the kiosk; the migration creates "main".
    "/wall/": CITY | {r.WALL_DISPLAY},
    "/wall/main/": CITY | {r.WALL_DISPLAY},
    "/wall/main/snapshot/": CITY | {r.WALL_DISPLAY},
    "/wall/main/events/?after=0": CITY | {r.WALL_DISPLAY},
    "/admin/hotline/category/": {r.ADMINISTRATOR},
    "/admin/hotline/article/": {r.ADMINISTRATOR},
    "/hotline/": {r.ADMINISTRATOR, r.HOTLINE_AGENT},
    "/hotline/answers/?q=form": {r.ADMINISTRATOR, r.SUPERVISOR, r.HOTLINE_AGENT},
    "/hotline/callbacks/": {r.HOTLINE_AGENT},
    "/hotline/referrals/": {r.HOTLINE_AGENT} | SOCIAL,
    "/hotline/register/": {r.HOTLINE_AGENT} | SOCIAL,
    "/hotline/personal-data-reads/": {r.SOCIAL_SUPPORT_LEAD},
    "/hotline/campaigns/": {r.ADMINISTRATOR, r.SUPERVISOR, r.HOTLINE_AGENT},
    "/hotline/statistics/": {r.ADMINISTRATOR, r.SUPERVISOR},
    "/hotline/statistics.csv": {r.ADMINISTRATOR, r.SUPERVISOR},
    "/hotline/figures.json": CITY | {r.WALL_DISPLAY},
    # Operators follow crisis progress; switching modes stays the supervisors'.
    "/crisis/": {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR},
    "/overview/": {r.ADMINISTRATOR, r.SUPERVISOR},
    "/admin/supervision/crisismode/": {r.ADMINISTRATOR},
}


def intervention_payload():
    return {
        "title": "Broken streetlight",
        "category": "lighting",
        "service": "lighting",
        "priority": 3,
        "latitude": 47.32,
        "longitude": 5.04,
    }


WRITE_ACCESS = {
    ("/api/v1/interventions/", "intervention"): {r.ADMINISTRATOR, r.DISPATCHER, r.HOTLINE_AGENT},
    ("/api/v1/alerts/", "alert"): {r.ADMINISTRATOR, r.OPERATOR},
    ("/api/v1/events/note/", "note"): {r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR, r.DISPATCHER},
    ("/api/v1/referrals/", "referral"): {r.HOTLINE_AGENT},
    ("/api/v1/commands/", "command"): ACTING,
}

PAYLOADS = {
    "intervention": intervention_payload,
    "alert": lambda: {
        "title": "Water leak",
        "category": "water",
        "severity": 4,
        "source": "operator",
    },
    "note": lambda: {"text": "Market opened late."},
    "referral": lambda: {"person_name": "Jeanne D.", "consent": True},
    "command": lambda: {"equipment": a_streetlight().code, "action": "off", "reason": "Test"},
}


def a_streetlight():
    from equipment.models import District, Equipment

    district, _ = District.objects.get_or_create(
        code="centre", defaults={"name": "Centre", "center_latitude": 47.3, "center_longitude": 5.0}
    )
    return Equipment.objects.get_or_create(
        code="SL-ROLES",
        defaults={"kind": "streetlight", "district": district, "latitude": 47.3, "longitude": 5.0},
    )[0]


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize("url", sorted(READ_ACCESS))
def test_api_reads_per_role(api_client_for, role, url):
    response = api_client_for(role).get(url)
    expected = 200 if role in READ_ACCESS[url] else 403
    assert response.status_code == expected, response.content[:300]


@pytest.mark.parametrize("url", sorted(READ_ACCESS))
def test_api_refuses_anonymous_with_401(api_client_for, url):
    response = api_client_for(None).get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize("target", sorted(WRITE_ACCESS))
def test_api_writes_per_role(api_client_for, role, target):
    url, payload_name = target
    response = api_client_for(role).post(url, PAYLOADS[payload_name](), format="json")
    expected = 201 if role in WRITE_ACCESS[target] else 403
    assert response.status_code == expected, response.content[:300]


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize("url", sorted(PAGE_ACCESS))
def test_pages_per_role(make_user, role, url):
    client = Client()
    user = make_user(role)
    client.force_login(user)
    response = client.get(url)
    # A field team member not yet in a team has no desk to land on: the home page says so.
    if role in PAGE_ACCESS[url] or (url == "/" and navigation.landing_url(user) is None):
        assert response.status_code == 200
    elif url == "/":
        assert response.status_code == 302
        assert response["Location"] == navigation.landing_url(user)
    else:
        # The admin sends non-staff users to its login page; other pages refuse with 403.
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("url", sorted(PAGE_ACCESS))
def test_pages_send_anonymous_to_login(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_wall_display_role_has_only_the_wall_and_its_cameras(make_user):
    kiosk = make_user(r.WALL_DISPLAY)
    assert kiosk.get_all_permissions() == {
        "supervision.view_wall",
        "equipment.view_camera",
        "equipment.watch_camera",
    }


def test_personal_data_hidden_from_supervisor(api_client_for, make_user):
    from rest_framework.test import APIClient

    from hotline.models import Call, Category

    category = Category.objects.create(code="other", name="Other")
    agent = make_user(r.HOTLINE_AGENT)
    Call.objects.create(
        agent=agent,
        started_at="2026-11-27T10:00:00Z",
        category=category,
        caller_name="Jean Dupont",
        caller_phone="0601",
    )
    agent_client = APIClient()
    agent_client.force_authenticate(agent)
    agent_view = agent_client.get("/api/v1/calls/").json()["results"][0]
    supervisor_view = api_client_for(r.SUPERVISOR).get("/api/v1/calls/").json()["results"][0]
    assert agent_view["caller_name"] == "Jean Dupont"
    assert "caller_name" not in supervisor_view and "caller_phone" not in supervisor_view


@pytest.mark.parametrize("role", sorted(ALL))
def test_crisis_activation_per_role(api_client_for, role):
    from supervision.models import CrisisMode

    CrisisMode.objects.create(code="heatwave", name="Heatwave")
    response = api_client_for(role).post(
        "/api/v1/crisis-modes/heatwave/activate/", {"reason": "Heat", "confirm": True}
    )
    expected = 201 if role in {r.ADMINISTRATOR, r.SUPERVISOR} else 403
    assert response.status_code == expected, response.content[:300]


def test_status_page_is_public(db):
    assert Client().get("/status/").status_code == 200

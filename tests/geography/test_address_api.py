"""The address API: who may search, and what a caller gets back."""

import pytest
from django.core.management import call_command

from ondijon import roles

pytestmark = pytest.mark.django_db

ALLOWED = [
    roles.DISPATCHER,
    roles.HOTLINE_AGENT,
    roles.OPERATOR,
    roles.SUPERVISOR,
    roles.FIELD_TEAM,
    roles.ADMINISTRATOR,
]
REFUSED = [roles.SOCIAL_SUPPORT, roles.WALL_DISPLAY]


@pytest.fixture
def imported(ban_file):
    call_command("import_ban", ban_file)


@pytest.mark.parametrize("role", ALLOWED)
def test_room_roles_search_and_reverse(api_client_for, imported, role):
    client = api_client_for(role)
    found = client.get("/api/v1/geocode/", {"q": "12 r liberté dijon"})
    assert found.status_code == 200
    first = found.json()["features"][0]
    assert first["properties"]["label"] == "12 Rue de la Liberté, 21000 Dijon"
    assert first["geometry"]["coordinates"] == [5.0395, 47.3219]
    near = client.get("/api/v1/reverse/", {"lat": 47.32191, "lon": 5.03979})
    assert near.status_code == 200
    assert near.json()["features"][0]["properties"]["label"].startswith("14 Rue de la Liberté")


@pytest.mark.parametrize("role", [*REFUSED, None])
def test_other_roles_are_refused(api_client_for, imported, role):
    client = api_client_for(role)
    assert client.get("/api/v1/geocode/", {"q": "liberte"}).status_code in (401, 403)
    assert client.get("/api/v1/reverse/", {"lat": 47.3, "lon": 5.0}).status_code in (401, 403)


def test_bad_queries_get_field_errors(api_client_for, imported):
    client = api_client_for(roles.DISPATCHER)
    answer = client.get("/api/v1/geocode/", {"q": ""})
    assert answer.status_code == 400 and "q" in str(answer.json())
    answer = client.get("/api/v1/reverse/", {"lat": "north", "lon": 500})
    assert answer.status_code == 400
    assert "lat" in str(answer.json()) and "lon" in str(answer.json())


def test_a_point_that_is_not_a_number_is_refused(api_client_for, imported):
    client = api_client_for(roles.DISPATCHER)
    for lat in ("nan", "inf", "-Infinity"):
        answer = client.get("/api/v1/reverse/", {"lat": lat, "lon": 5.0})
        assert answer.status_code == 400 and "lat" in str(answer.json())

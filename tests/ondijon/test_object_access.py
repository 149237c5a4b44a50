"""Who sees which object: each role against its own and other people's objects.

`test_roles.py` checks that a role reaches a route at all; this checks what it then sees. A
field crew reads only its own team's interventions (those it is or was sent to), its own
team (position included) and its own directions; a hotline agent reads and corrects only the
calls and referrals they took; the room's roles see the whole city. The expectations are
written out here, independently of the code, as one row per (caller, route, object).
"""

from collections import Counter

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from hotline.models import Call, Category, Referral
from interventions import services
from interventions.models import Intervention, Officer, Team
from ondijon import roles as r

CREW = "crew_a"  # a field crew of team A
CITY = [r.ADMINISTRATOR, r.SUPERVISOR, r.OPERATOR, r.DISPATCHER]

INTERVENTION_OBJECTS = {
    "own": True,  # team A is on it
    "past": True,  # team A was sent, then called back; team C is on it now
    "other": False,  # only team B is on it
    "unassigned": False,
}
TEAM_OBJECTS = {"own": True, "other": False}
INTERVENTION_READS = ["interventions list", "interventions detail", "interventions geojson"]
TEAM_READS = ["teams list", "teams detail", "teams geojson"]

# (caller, route, object) -> whether the caller sees (or may act on) that object.
MATRIX: dict[tuple[str, str, str], bool] = {}
for route in INTERVENTION_READS:
    for obj, crew_sees in INTERVENTION_OBJECTS.items():
        MATRIX[(CREW, route, obj)] = crew_sees
        for role in CITY:
            MATRIX[(role, route, obj)] = True
for route in TEAM_READS:
    for obj, crew_sees in TEAM_OBJECTS.items():
        MATRIX[(CREW, route, obj)] = crew_sees
        for role in CITY:
            MATRIX[(role, route, obj)] = True
MATRIX.update(
    {
        # The crew's phone: its own position and steps, never another team's.
        (CREW, "team position", "own"): True,
        (CREW, "team position", "other"): False,
        (CREW, "intervention step", "own"): True,
        (CREW, "intervention step", "other"): False,
        (CREW, "directions (teams/mine)", "own"): True,
        (CREW, "directions (teams/mine)", "other"): False,
    }
)
CALL_ROUTES = ["calls list", "calls detail", "calls change"]
REFERRAL_ROUTES = ["referrals list", "referrals detail"]
for route in CALL_ROUTES:
    MATRIX[(r.HOTLINE_AGENT, route, "own")] = True
    MATRIX[(r.HOTLINE_AGENT, route, "other agent's")] = False
for route in CALL_ROUTES[:2]:
    # Every call, without the caller's identity (checked below).
    for role in (r.SUPERVISOR, r.ADMINISTRATOR):
        MATRIX[(role, route, "own")] = MATRIX[(role, route, "other agent's")] = True
for route in REFERRAL_ROUTES:
    MATRIX[(r.HOTLINE_AGENT, route, "own")] = True
    MATRIX[(r.HOTLINE_AGENT, route, "other agent's")] = False
    # The social support centre works the whole queue.
    MATRIX[(r.SOCIAL_SUPPORT, route, "own")] = True
    MATRIX[(r.SOCIAL_SUPPORT, route, "other agent's")] = True


def matrix_counts() -> list[str]:
    """One line per caller: how many (route, object) cases it is allowed and refused."""
    allowed = Counter(caller for (caller, _, _), sees in MATRIX.items() if sees)
    refused = Counter(caller for (caller, _, _), sees in MATRIX.items() if not sees)
    return [
        f"{caller}: {allowed[caller]} allowed / {refused[caller]} refused"
        for caller in sorted({c for c, _, _ in MATRIX})
    ]


def test_every_route_of_the_matrix_has_an_own_and_an_other_object(capsys):
    """`pytest -s` prints the matrix a reviewer reads (callers × routes × objects)."""
    routes = sorted({route for _, route, _ in MATRIX})
    with capsys.disabled():
        print(f"\nrole × object matrix: {len(MATRIX)} cases over {len(routes)} routes")
        for line in matrix_counts():
            print(f"  {line}")
    for caller, route in {(c, route) for c, route, _ in MATRIX}:
        objects = {obj for c, rt, obj in MATRIX if (c, rt) == (caller, route)}
        assert "own" in objects and len(objects) >= 2, (caller, route)


def role_user(role: str, username: str | None = None):
    """A user of `role` with no password (force-authenticated: no slow hashing per test)."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(
        username or f"{role}-user", password=None, is_staff=role == r.ADMINISTRATOR
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def city(db):
    """Teams A and B with a crew each; interventions own, past, other and unassigned."""
    team_a = Team.objects.create(
        call_sign="A-1", service="lighting", latitude=47.32, longitude=5.04
    )
    team_b = Team.objects.create(
        call_sign="B-1", service="lighting", latitude=47.33, longitude=5.05
    )
    crew_a = role_user(r.FIELD_TEAM, "crew-a")
    Officer.objects.create(user=crew_a, team=team_a, service="lighting", badge_number="A-1")
    crew_b = role_user(r.FIELD_TEAM, "crew-b")
    Officer.objects.create(user=crew_b, team=team_b, service="lighting", badge_number="B-1")

    def intervention(title: str) -> Intervention:
        return services.create_intervention(
            {
                "title": title,
                "category": "lighting",
                "service": "lighting",
                "priority": 3,
                "latitude": 47.32,
                "longitude": 5.04,
            }
        )

    past = intervention("past")
    services.assign_team(past, team_a)
    services.release_team(past, team_a)
    own = intervention("own")
    services.assign_team(own, team_a)
    other = intervention("other")
    services.assign_team(other, team_b)
    past.refresh_from_db()
    team_c = Team.objects.create(call_sign="C-1", service="lighting", latitude=47.3, longitude=5.0)
    services.assign_team(past, team_c)
    objects = {
        "intervention": {
            "own": own,
            "past": past,
            "other": other,
            "unassigned": intervention("unassigned"),
        },
        "team": {"own": team_a, "other": team_b},
    }
    users = {CREW: crew_a}
    for role in CITY:
        users[role] = role_user(role)
    return users, objects


@pytest.fixture
def hotline(db):
    """Two hotline agents, a call and a referral each."""
    category = Category.objects.create(code="other", name="Other")
    agent, colleague = role_user(r.HOTLINE_AGENT), role_user(r.HOTLINE_AGENT, "colleague")
    now = timezone.now()
    calls = {
        "own": Call.objects.create(
            agent=agent, started_at=now, category=category, caller_name="Jean Dupont"
        ),
        "other agent's": Call.objects.create(
            agent=colleague, started_at=now, category=category, caller_name="Marie Curie"
        ),
    }
    referrals = {
        "own": Referral.objects.create(
            person_name="Paul D.", consent=True, created_by=agent, created_at=now
        ),
        "other agent's": Referral.objects.create(
            person_name="Anne E.", consent=True, created_by=colleague, created_at=now
        ),
    }
    users = {
        r.HOTLINE_AGENT: agent,
        r.SUPERVISOR: role_user(r.SUPERVISOR),
        r.ADMINISTRATOR: role_user(r.ADMINISTRATOR),
        r.SOCIAL_SUPPORT: role_user(r.SOCIAL_SUPPORT),
    }
    return users, {"call": calls, "referral": referrals}


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def listed(response, pk) -> bool:
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    if "features" in body:
        return any(feature["id"] == pk for feature in body["features"])
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return any(row["id"] == pk for row in rows)


def found(response) -> bool:
    assert response.status_code in (200, 202, 403, 404), response.content[:300]
    return response.status_code in (200, 202)


def sees(client: APIClient, route: str, obj) -> bool:
    kind, _, how = route.partition(" ")
    base = {"interventions": "/api/v1/interventions/", "teams": "/api/v1/teams/"}.get(kind)
    if how in ("list", "geojson"):
        url = base if how == "list" else f"{base}geojson/"
        return listed(client.get(url), obj.pk)
    if how == "detail":
        return found(client.get(f"{base}{obj.pk}/"))
    if route == "team position":
        return found(
            client.post(
                f"/api/v1/teams/{obj.pk}/position/",
                {"latitude": 47.3, "longitude": 5.0},
                format="json",
            )
        )
    if route == "intervention step":
        return found(client.post(f"/api/v1/interventions/{obj.pk}/en-route/", {}, format="json"))
    raise AssertionError(route)


FIELD_ROUTES = ("interventions", "teams", "team", "intervention")
FIELD_CASES = {key: sees for key, sees in MATRIX.items() if key[1].split(" ")[0] in FIELD_ROUTES}


@pytest.mark.parametrize("caller", sorted({caller for caller, _, _ in FIELD_CASES}))
def test_field_crews_see_only_their_own_team(city, caller):
    """One caller's row of the matrix at once: every route against every object."""
    users, objects = city
    client = client_of(users[caller])
    expected = {(route, obj): sees for (c, route, obj), sees in FIELD_CASES.items() if c == caller}
    seen = {}
    for route, obj in sorted(expected):
        kind = "team" if route.startswith("team") else "intervention"
        if route.startswith("directions"):
            continue  # checked by the next test
        seen[(route, obj)] = sees(client, route, objects[kind][obj])
    assert seen == {key: value for key, value in expected.items() if key in seen}


@pytest.mark.parametrize("obj", ["own", "other"])
def test_a_crew_reads_directions_only_to_its_own_work(city, obj):
    """`teams/mine` is the only door to directions, and it names the caller's own team."""
    users, objects = city
    body = client_of(users[CREW]).get("/api/v1/teams/mine/").json()
    shows = body["team"]["id"] == objects["team"][obj].pk
    shows_work = (body["intervention"] or {}).get("id") == objects["intervention"][obj].pk
    expected = MATRIX[(CREW, "directions (teams/mine)", obj)]
    assert shows is expected and shows_work is expected
    assert bool(body["directions"]) is True


def test_a_crew_filtering_by_another_team_gets_nothing(city):
    users, _ = city
    client = client_of(users[CREW])
    assert client.get("/api/v1/interventions/", {"team": "B-1"}).json()["results"] == []
    on_c = client.get("/api/v1/interventions/", {"team": "C-1"}).json()["results"]
    assert [row["title"] for row in on_c] == ["past"]


HOTLINE_CASES = {
    key: sees for key, sees in MATRIX.items() if key[1].split(" ")[0] in ("calls", "referrals")
}


def hotline_sees(client: APIClient, route: str, target) -> bool:
    kind, how = route.split(" ")
    url = f"/api/v1/{kind}/"
    if how == "list":
        return listed(client.get(url), target.pk)
    if how == "detail":
        return found(client.get(f"{url}{target.pk}/"))
    return found(client.patch(f"{url}{target.pk}/", {"answer": "Noted."}, format="json"))


@pytest.mark.parametrize("caller", sorted({caller for caller, _, _ in HOTLINE_CASES}))
def test_hotline_agents_see_only_their_own_calls_and_referrals(hotline, caller):
    users, objects = hotline
    client = client_of(users[caller])
    expected = {(route, obj): v for (c, route, obj), v in HOTLINE_CASES.items() if c == caller}
    seen = {
        (route, obj): hotline_sees(client, route, objects[route.split(" ")[0].rstrip("s")][obj])
        for route, obj in sorted(expected)
    }
    assert seen == expected


@pytest.mark.parametrize("role", [r.SUPERVISOR, r.ADMINISTRATOR])
def test_room_roles_read_calls_without_the_callers_identity(hotline, role):
    users, _ = hotline
    rows = client_of(users[role]).get("/api/v1/calls/").json()["results"]
    assert len(rows) == 2
    assert all("caller_name" not in row and "caller_phone" not in row for row in rows)

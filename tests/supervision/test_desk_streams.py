"""Live desks: who may open the dispatch and field streams, what each receives, replay."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from equipment import services as equipment_services
from equipment.models import Equipment
from interventions import services
from interventions.models import Officer, Team
from ondijon import bus, roles
from ondijon.asgi import application
from supervision.live import streams as desks
from supervision.wall import state as wall
from tests.interventions.test_interventions import make_intervention, make_team

ORIGIN = (b"origin", b"http://127.0.0.1")
FOREIGN = (b"origin", b"http://evil.example")


@pytest.fixture
def cookie_for(transactional_db, make_user):
    """A session cookie for a user of a role; "officer" is a field team member of ECL-01."""
    made = {}

    def cookie(role: str) -> tuple[bytes, bytes]:
        if role not in made:
            if role == "officer":
                user = make_user(roles.FIELD_TEAM, username="officer-ws")
                team = Team.objects.get_or_create(
                    call_sign="ECL-01", defaults={"service": "lighting"}
                )[0]
                Officer.objects.create(user=user, team=team, service="lighting", badge_number="1")
            else:
                user = make_user(role, username=f"{role}-ws")
            client = Client()
            client.force_login(user)
            made[role] = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
        return made[role]

    return cookie


def socket(path: str, headers, after: int | None = 0) -> WebsocketCommunicator:
    query = "" if after is None else f"?after={after}"
    return WebsocketCommunicator(application, f"/ws/{path}/{query}", headers=headers)


async def opened(path: str, cookie, after: int | None = None) -> WebsocketCommunicator:
    if after is None:
        after = await sync_to_async(wall.last_seq)()
    communicator = socket(path, [ORIGIN, cookie], after)
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_json_from()
    assert first["type"] == "frame" and first["after"] == after
    return communicator


async def next_frame(communicator, timeout: float = 5) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["type"] == "frame":
            return message


# --- Who may connect ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "role", "allowed"),
    [
        ("dispatch", roles.DISPATCHER, True),
        ("dispatch", roles.OPERATOR, True),
        ("dispatch", roles.SUPERVISOR, True),
        ("dispatch", roles.ADMINISTRATOR, True),
        ("dispatch", "officer", False),
        ("dispatch", roles.FIELD_TEAM, False),
        ("dispatch", roles.HOTLINE_AGENT, False),
        ("dispatch", roles.SOCIAL_SUPPORT, False),
        ("dispatch", roles.WALL_DISPLAY, False),
        ("dispatch", None, False),
        ("field", "officer", True),
        ("field", roles.FIELD_TEAM, False),  # a field account not in a team
        ("field", roles.DISPATCHER, False),
        ("field", roles.OPERATOR, False),
        ("field", roles.SUPERVISOR, False),
        ("field", roles.WALL_DISPLAY, False),
        ("field", None, False),
    ],
)
async def test_who_may_open_a_desk_stream(cookie_for, path, role, allowed):
    headers = [ORIGIN] if role is None else [ORIGIN, await sync_to_async(cookie_for)(role)]
    communicator = socket(path, headers)
    connected, _ = await communicator.connect()
    assert connected is allowed
    if allowed:
        first = await communicator.receive_json_from()
        assert first["type"] == "frame"
    await communicator.disconnect()


@pytest.mark.parametrize(("path", "role"), [("dispatch", roles.DISPATCHER), ("field", "officer")])
async def test_a_foreign_origin_is_refused(cookie_for, path, role):
    communicator = socket(path, [FOREIGN, await sync_to_async(cookie_for)(role)])
    connected, _ = await communicator.connect()
    assert not connected


# --- What the dispatch stream carries -----------------------------------------------------


async def test_dispatch_stream_carries_interventions_and_teams_not_equipment(
    cookie_for, streetlight
):
    communicator = await opened("dispatch", await sync_to_async(cookie_for)(roles.DISPATCHER))
    team = await sync_to_async(make_team)("ECL-07")
    await sync_to_async(equipment_services.update_equipment)(
        await sync_to_async(Equipment.objects.get)(pk=streetlight.pk), {"status": "fault"}
    )
    intervention = await sync_to_async(make_intervention)(title="Lamp out, rue Monge")
    last = await sync_to_async(wall.last_seq)()
    received: dict = {}
    while not received.get("intervention"):
        frame = await next_frame(communicator)
        for kind, objects in frame["objects"].items():
            received.setdefault(kind, {}).update(objects)
    assert frame["seq"] == last
    assert set(received) == {"team", "intervention"}
    assert received["team"][str(team.pk)]["call_sign"] == "ECL-07"
    assert received["intervention"][str(intervention.pk)]["title"] == "Lamp out, rue Monge"
    await communicator.disconnect()


async def test_numbers_with_nothing_for_the_desk_move_it_forward_with_the_heartbeat(
    cookie_for, streetlight, settings
):
    settings.WALL_HEARTBEAT_SECONDS = 0.3
    start = await sync_to_async(wall.last_seq)()
    communicator = await opened("dispatch", await sync_to_async(cookie_for)(roles.DISPATCHER))
    await sync_to_async(equipment_services.update_equipment)(
        await sync_to_async(Equipment.objects.get)(pk=streetlight.pk), {"status": "fault"}
    )
    frame = await next_frame(communicator)
    assert (frame["after"], frame["seq"], frame["objects"]) == (start, start + 1, {})
    await communicator.disconnect()


# --- What the field stream carries --------------------------------------------------------


async def test_field_stream_carries_only_its_team_and_its_assignment(cookie_for):
    cookie = await sync_to_async(cookie_for)("officer")
    mine = await sync_to_async(Team.objects.get)(call_sign="ECL-01")
    other = await sync_to_async(make_team)("ECL-02")
    communicator = await opened("field", cookie)

    def elsewhere_then_mine():
        services.assign_team(make_intervention(title="Not yours"), other)
        services.report_team_position(other, 47.31, 5.03)
        services.assign_team(make_intervention(title="Yours"), mine)

    await sync_to_async(elsewhere_then_mine)()
    last = await sync_to_async(wall.last_seq)()
    frames = []
    while not frames or frames[-1]["seq"] < last:
        frames.append(await next_frame(communicator))
    objects: dict = {}
    for frame in frames:
        for kind, changed in frame["objects"].items():
            objects.setdefault(kind, {}).update(changed)
    assert list(objects["team"]) == [str(mine.pk)]
    assert objects["team"][str(mine.pk)]["status"] == "busy"
    assert [i["title"] for i in objects["intervention"].values()] == ["Yours"]
    await communicator.disconnect()


async def test_field_stream_follows_the_steps_and_the_release_of_its_assignment(cookie_for):
    cookie = await sync_to_async(cookie_for)("officer")
    mine = await sync_to_async(Team.objects.get)(call_sign="ECL-01")
    intervention = await sync_to_async(make_intervention)()
    await sync_to_async(services.assign_team)(intervention, mine)
    communicator = await opened("field", cookie)
    await sync_to_async(services.report_progress)(mine, "on_site")
    frame = await next_frame(communicator)
    assert frame["objects"]["intervention"][str(intervention.pk)]["status"] == "on_site"
    await sync_to_async(services.release_team)(intervention, mine)
    frame = await next_frame(communicator)
    assert frame["objects"]["team"][str(mine.pk)]["status"] == "available"
    await communicator.disconnect()


async def test_field_stream_replays_what_happened_while_the_phone_was_away(cookie_for):
    cookie = await sync_to_async(cookie_for)("officer")
    mine = await sync_to_async(Team.objects.get)(call_sign="ECL-01")
    away_since = await sync_to_async(wall.last_seq)()
    await sync_to_async(make_intervention)(title="Somebody else's")
    assigned = await sync_to_async(make_intervention)(title="Sent while away")
    await sync_to_async(services.assign_team)(assigned, mine)
    communicator = socket("field", [ORIGIN, cookie], away_since)
    await communicator.connect()
    replay = await communicator.receive_json_from()
    assert replay["after"] == away_since and replay["seq"] == await sync_to_async(wall.last_seq)()
    assert list(replay["objects"]["intervention"]) == [str(assigned.pk)]
    await communicator.disconnect()


async def test_a_desk_too_far_behind_is_told_to_reload(cookie_for, settings):
    settings.WALL_REPLAY_LIMIT = 2
    cookie = await sync_to_async(cookie_for)(roles.DISPATCHER)
    start = await sync_to_async(wall.last_seq)()
    for n in range(3):
        await sync_to_async(make_team)(f"ECL-1{n}")
    communicator = socket("dispatch", [ORIGIN, cookie], start)
    await communicator.connect()
    assert await communicator.receive_json_from() == {"type": "reload"}


# --- The feed's rule ------------------------------------------------------------------------


def event(seq: int, subject_type: str, subject_id: int, **payload) -> dict:
    return {
        "seq": seq,
        "time": "2026-11-27T10:00:00+00:00",
        "kind": f"{subject_type}.updated",
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "payload": payload,
    }


def test_frames_of_a_narrowed_feed_chain_on_what_the_page_was_told():
    # Each event is read from the log up to its own number, as a catch-up reads it.
    feed = desks.StreamFeed(10, desks.DISPATCH_GROUPS)
    assert feed.take_frame(always=True) == {"type": "frame", "after": 10, "seq": 10, "objects": {}}
    feed.receive([event(11, "equipment", 1, equipment={"code": "SL"})], 11)
    assert feed.take_frame() is None  # nothing for the desk: not sent
    feed.receive([event(12, "team", 3, team={"id": 3, "status": "busy"})], 12)
    frame = feed.take_frame()
    assert (frame["after"], frame["seq"]) == (10, 12)
    assert frame["objects"] == {"team": {"3": {"id": 3, "status": "busy"}}}
    feed.receive([event(13, "alert", 4, alert={"id": 4, "status": "raised"})], 13)
    assert feed.take_frame() is None
    assert feed.take_frame(always=True) == {"type": "frame", "after": 12, "seq": 13, "objects": {}}
    assert feed.take_frame(always=True) is None  # nothing new: no empty frame either


def test_a_team_filter_recognises_its_team_however_an_event_names_it():
    mine = desks.for_team(3)

    def keep(event: dict) -> bool:
        return desks.shows(mine, event)

    assert keep(event(1, "team", 3, team={"id": 3}))
    assert not keep(event(2, "team", 4, team={"id": 4}))
    assert keep(event(3, "intervention", 9, intervention={"teams": [3]}))
    assert keep(event(4, "intervention", 9, intervention={"teams": []}, team={"id": 3}))
    # A status change names the team that moved it by call sign, and lists every team sent.
    assert keep(
        event(5, "intervention", 9, intervention={"teams": []}, team="ECL-03", teams=[{"id": 3}])
    )
    assert keep(event(6, "intervention", 9, intervention={"teams": []}, teams=[{"id": 3}]))
    assert not keep(event(7, "intervention", 9, intervention={"teams": [4]}, team="ECL-04"))
    assert not keep(event(8, "alert", 3, alert={"id": 3}))


# --- The desks' starting points -------------------------------------------------------------


def test_dispatch_state_is_for_dispatchers_and_holds_teams_and_open_interventions(db, make_user):
    team = make_team()
    open_one = make_intervention(title="Open")
    closed = make_intervention(title="Cancelled")
    services.change_status(closed, "cancelled")
    for role, status in [
        (roles.DISPATCHER, 200),
        (roles.ADMINISTRATOR, 200),
        (roles.FIELD_TEAM, 403),
        (roles.HOTLINE_AGENT, 403),
        (roles.WALL_DISPLAY, 403),
    ]:
        client = Client()
        client.force_login(make_user(role, username=f"{role}-state"))
        assert client.get("/dispatch/state/").status_code == status, role
    state = client.__class__()
    state.force_login(make_user(roles.DISPATCHER, username="dora"))
    body = state.get("/dispatch/state/").json()
    assert body["seq"] == bus.last_seq()
    assert body["team"][str(team.pk)]["call_sign"] == "ECL-01"
    assert list(body["intervention"]) == [str(open_one.pk)]
    assert Client().get("/dispatch/state/").status_code == 302  # to the login page


def test_field_assignment_says_which_events_log_number_it_is_current_to(db, make_user):
    user = make_user(roles.FIELD_TEAM, username="fabien")
    team = make_team()
    Officer.objects.create(user=user, team=team, service="lighting", badge_number="7")
    client = Client()
    client.force_login(user)
    assert client.get("/api/v1/teams/mine/").json()["seq"] == bus.last_seq()

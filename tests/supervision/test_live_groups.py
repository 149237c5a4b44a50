"""Each live socket joins only the channel-layer groups of what its page shows.

Per stream (wall screen, dispatch desk, field phone, alert desk): (a) it receives its
subjects' events, (b) its channel is in no other group, so the layer never hands it another
subject's event (a field crew's phone gets no telemetry), and (c) a page that drops and
reconnects with its last number replays exactly what it missed, although it receives only
part of the numbers. The last tests drive a page's feed through interleaved, reordered and
lost messages of several groups: no frame ever goes past an event the page has not shown.
"""

import copy
import random
from collections import defaultdict
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from equipment.ingest import ingest
from equipment.models import Equipment
from interventions import services as interventions
from interventions.models import Intervention, Officer, Team
from ondijon import bus, roles
from ondijon.asgi import application
from supervision.alerts import services as alerts
from supervision.live import streams as desks
from supervision.models import Alert, WallScreen
from supervision.wall import state as wall
from tests.interventions.test_interventions import make_intervention, make_team

ORIGIN = (b"origin", b"http://127.0.0.1")
# The wall screen of these tests: its alert queue and key figures, no map, no equipment panel.
FIGURES_SCREEN = ["alerts", "figures"]


# --- Helpers ----------------------------------------------------------------------------------


@pytest.fixture
def cookie_for(transactional_db, make_user):
    """A session cookie per role; "officer" is a member of team ECL-01."""

    def cookie(role: str) -> tuple[bytes, bytes]:
        user = make_user(roles.FIELD_TEAM if role == "officer" else role, username=f"{role}-lg")
        if role == "officer":
            team = Team.objects.get(call_sign="ECL-01")
            Officer.objects.create(user=user, team=team, service="lighting", badge_number="1")
        client = Client()
        client.force_login(user)
        return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())

    return cookie


@pytest.fixture
def city(transactional_db, streetlight, settings):
    """A streetlight that reports telemetry, two lighting crews, a screen of alerts and figures.

    Numbers with nothing for a page reach it with the heartbeat: a short one here."""
    settings.WALL_HEARTBEAT_SECONDS = 0.5
    WallScreen.objects.create(slug="figures", name="Figures", panels=FIGURES_SCREEN)
    return {"streetlight": streetlight, "mine": make_team("ECL-01"), "other": make_team("ECL-02")}


async def memberships() -> dict[str, set[str]]:
    """Which groups each channel belongs to, read from the channel layer itself."""
    layer = get_channel_layer()
    found: dict[str, set[str]] = defaultdict(set)
    if isinstance(layer, InMemoryChannelLayer):
        for group, channels in layer.groups.items():
            for channel in channels:
                found[channel].add(group)
        return found
    connection = layer.connection(0)
    prefix = f"{layer.prefix}:group:"
    async for key in connection.scan_iter(match=prefix + "*"):
        for channel in await connection.zrange(key, 0, -1):
            found[channel.decode()].add(key.decode().removeprefix(prefix))
    return found


class Page:
    """A live page's socket, and the groups its channel joined."""

    def __init__(self, path: str, cookie) -> None:
        self.path, self.cookie = path, cookie
        self.frames: list[dict] = []

    async def open(self, after: int) -> dict:
        before = await memberships()
        self.socket = WebsocketCommunicator(
            application, f"/ws/{self.path}/?after={after}", headers=[ORIGIN, self.cookie]
        )
        connected, _ = await self.socket.connect()
        assert connected
        first = await self.socket.receive_json_from()
        assert (first["type"], first["after"]) == ("frame", after)
        (self.groups,) = [groups for channel, groups in (await memberships()).items()
                          if channel not in before]  # fmt: skip
        return first

    async def frames_until(self, seq: int, timeout: float = 5) -> list[dict]:
        frames = []
        while not frames or frames[-1]["seq"] < seq:
            message = await self.socket.receive_json_from(timeout=timeout)
            if message["type"] == "frame":
                frames.append(message)
        return frames

    async def drop(self) -> None:
        await self.socket.disconnect()


def objects_of(frames: list[dict]) -> dict[str, dict]:
    """The latest state per object the frames carried, as a page applies them."""
    objects: dict[str, dict] = {}
    for frame in frames:
        for kind, changed in frame["objects"].items():
            objects.setdefault(kind, {}).update(changed)
    return objects


def apply(state: dict, frames: list[dict], kinds: tuple[str, ...]) -> dict:
    """A desk's state after frames (static/interventions/dispatch.js, supervision/alerts.js)."""
    for frame in frames:
        assert frame["after"] == state["seq"], "frames chain on the page's number"
        for kind in kinds:
            for key, value in frame["objects"].get(kind, {}).items():
                if value is None:
                    state[kind].pop(key, None)
                else:
                    state[kind][key] = value
        state["seq"] = frame["seq"]
    return state


def report(device: Equipment, status: str) -> None:
    """A device's telemetry through the ingest, as a device sends it."""
    reading = {"device": device.code, "time": timezone.now().isoformat()}
    assert ingest([{**reading, "metrics": {"status": status}}]).accepted == 1


def raise_alert(title: str) -> Alert:
    return alerts.raise_alert(
        {"title": title, "source": Alert.Source.OPERATOR, "severity": 3, "category": "lighting"}
    )


def announce_mode(code: str) -> None:
    mode = {"code": code, "name": code.title(), "banner": "", "hotline_24_7": False}
    bus.emit("city.mode_changed", subject_type="city", payload={"mode": mode})


def moved(team: Team, minutes: int) -> None:
    when = timezone.now() + timedelta(minutes=minutes)
    interventions.report_team_position(team, 47.3 + minutes / 1000, 5.04, when)


last_seq = sync_to_async(wall.last_seq)


# --- Wall screen ------------------------------------------------------------------------------


async def test_a_wall_screen_follows_its_panels_only_and_replays_exactly(city, cookie_for):
    streetlight, mine = city["streetlight"], city["mine"]
    page = Page("wall/figures", await sync_to_async(cookie_for)(roles.WALL_DISPLAY))
    start = await sync_to_async(wall.build_snapshot)()
    await page.open(start["seq"])
    assert page.groups == {
        "events.alert",
        "events.intervention",
        "events.team",
        "events.call",
        "events.city_mode",
    }

    def interleaved():
        report(streetlight, "fault")
        alert = raise_alert("Cabinet door open")
        report(streetlight, "ok")
        moved(mine, 1)
        announce_mode("flood")
        report(streetlight, "fault")
        return alert

    alert = await sync_to_async(interleaved)()
    frames = await page.frames_until(await last_seq())
    shown = objects_of(frames)
    assert set(shown) == {"alert", "team"}  # (b) the streetlight changed thrice: not shown
    assert shown["alert"][str(alert.pk)]["title"] == "Cabinet door open"
    assert shown["team"][str(mine.pk)]["lat"] == pytest.approx(47.301)
    assert [frame["mode"]["code"] for frame in frames if "mode" in frame] == ["flood"]

    await page.drop()

    def while_away():
        report(streetlight, "ok")
        alerts.acknowledge_alert(alert, None)
        moved(mine, 2)
        report(streetlight, "degraded")
        announce_mode("normal")

    await sync_to_async(while_away)()
    replay = await page.open(frames[-1]["seq"])
    assert replay["seq"] == await last_seq()
    state = wall.apply_frame(copy.deepcopy(start), frames[0])
    for frame in [*frames[1:], replay]:
        state = wall.apply_frame(state, frame)
    fresh = await sync_to_async(wall.build_snapshot)()
    for shown_key in ("seq", "alert", "intervention", "team", "calls", "mode"):
        assert state[shown_key] == fresh[shown_key], shown_key
    # What the screen does not show it was never sent: its copy is as it loaded it.
    assert state["equipment"] == start["equipment"] != fresh["equipment"]
    await page.drop()


# --- Dispatch desk ----------------------------------------------------------------------------


async def test_the_dispatch_desk_follows_teams_and_interventions_and_replays_exactly(
    city, cookie_for
):
    streetlight, mine, other = city["streetlight"], city["mine"], city["other"]
    page = Page("dispatch", await sync_to_async(cookie_for)(roles.DISPATCHER))
    start = await sync_to_async(interventions.desk_state)()
    await page.open(start["seq"])
    assert page.groups == {"events.team", "events.intervention"}

    def interleaved():
        report(streetlight, "fault")
        lamp = make_intervention(title="Lamp out, rue Monge")
        raise_alert("Cabinet door open")
        interventions.assign_team(lamp, mine)
        report(streetlight, "ok")
        moved(other, 1)
        return lamp

    lamp = await sync_to_async(interleaved)()
    frames = await page.frames_until(await last_seq())
    shown = objects_of(frames)
    assert set(shown) == {"team", "intervention"}  # (b) no equipment, no alert
    assert shown["intervention"][str(lamp.pk)]["status"] == "dispatched"
    assert shown["team"][str(mine.pk)]["status"] == "busy"

    await page.drop()

    def while_away():
        interventions.report_progress(mine, "en_route")
        report(streetlight, "fault")
        raise_alert("Second cabinet")
        moved(other, 2)
        make_intervention(title="Bollard stuck")
        interventions.report_progress(mine, "done")

    await sync_to_async(while_away)()
    replay = await page.open(frames[-1]["seq"])
    state = apply(copy.deepcopy(start), [*frames, replay], ("team", "intervention"))
    assert state == await sync_to_async(interventions.desk_state)()
    await page.drop()


async def test_a_lost_message_of_one_group_is_noticed_through_another_groups_message(
    city, cookie_for, settings
):
    """The desk follows teams and interventions; a team's message is lost (a full channel).
    The next intervention message says how far the teams group has gone, so the desk reads the
    missing event from the log at once, not at the next heartbeat."""
    settings.WALL_HEARTBEAT_SECONDS = 30
    mine = city["mine"]
    page = Page("dispatch", await sync_to_async(cookie_for)(roles.DISPATCHER))
    start = await last_seq()
    await page.open(start)

    def lost_then_published():
        published = bus.publish
        bus.publish = lambda sends: None
        try:
            moved(mine, 5)
        finally:
            bus.publish = published
        return make_intervention(title="Lamp out, rue Monge")

    lamp = await sync_to_async(lost_then_published)()
    frames = await page.frames_until(await last_seq(), timeout=2)
    shown = objects_of(frames)
    assert frames[0]["after"] == start
    assert shown["team"][str(mine.pk)]["lat"] == pytest.approx(47.305)
    assert str(lamp.pk) in shown["intervention"]
    await page.drop()


# --- Field phone ------------------------------------------------------------------------------


async def test_a_field_phone_follows_its_team_only_and_replays_exactly(city, cookie_for):
    streetlight, mine, other = city["streetlight"], city["mine"], city["other"]
    cookie = await sync_to_async(cookie_for)("officer")
    page = Page("field", cookie)
    await page.open(await last_seq())
    assert page.groups == {f"events.team.{mine.pk}"}  # (b) no telemetry, no other crew

    def interleaved():
        report(streetlight, "fault")
        elsewhere = make_intervention(title="Not yours")
        interventions.assign_team(elsewhere, other)
        moved(other, 1)
        yours = make_intervention(title="Yours")
        interventions.assign_team(yours, mine)
        report(streetlight, "ok")
        moved(mine, 1)
        return yours

    yours = await sync_to_async(interleaved)()
    frames = await page.frames_until(await last_seq())
    shown = objects_of(frames)
    assert list(shown["team"]) == [str(mine.pk)]
    assert list(shown["intervention"]) == [str(yours.pk)]
    assert set(shown) == {"team", "intervention"}

    await page.drop()

    def while_away():
        moved(other, 2)
        report(streetlight, "fault")
        interventions.report_progress(mine, "on_site")
        interventions.change_status(Intervention.objects.get(title="Not yours"), "cancelled")
        moved(mine, 2)

    await sync_to_async(while_away)()
    replay = await page.open(frames[-1]["seq"])
    assert replay["seq"] == await last_seq()

    def fresh() -> dict:
        yours.refresh_from_db()
        mine.refresh_from_db()
        return {
            "team": {str(mine.pk): interventions.team_snapshot(mine)},
            "intervention": {str(yours.pk): interventions.intervention_snapshot(yours)},
        }

    assert replay["objects"] == await sync_to_async(fresh)()
    await page.drop()


# --- Alert desk -------------------------------------------------------------------------------


async def test_the_alert_desk_follows_alerts_only_and_replays_exactly(city, cookie_for):
    streetlight, mine = city["streetlight"], city["mine"]
    page = Page("alerts", await sync_to_async(cookie_for)(roles.OPERATOR))
    start = await last_seq()
    await page.open(start)
    assert page.groups == {"events.alert"}

    def interleaved():
        report(streetlight, "fault")
        moved(mine, 1)
        first = raise_alert("Cabinet door open")
        make_intervention(title="Lamp out")
        report(streetlight, "ok")
        return first

    first = await sync_to_async(interleaved)()
    frames = await page.frames_until(await last_seq())
    assert objects_of(frames) == {
        "alert": {str(first.pk): await sync_to_async(alerts.alert_snapshot)(first)}
    }

    await page.drop()

    def while_away():
        report(streetlight, "fault")
        alerts.acknowledge_alert(first, None)
        moved(mine, 2)
        second = raise_alert("Water valve leaking")
        report(streetlight, "ok")
        return second

    second = await sync_to_async(while_away)()
    replay = await page.open(frames[-1]["seq"])
    assert replay["seq"] == await last_seq()

    def fresh() -> dict:
        return {
            "alert": {
                str(alert.pk): alerts.alert_snapshot(alert)
                for alert in Alert.objects.filter(pk__in=[first.pk, second.pk])
            }
        }

    assert replay["objects"] == await sync_to_async(fresh)()
    await page.drop()


# --- A page's feed through interleaved, reordered and lost messages ---------------------------


def snapshot(subject_type: str, subject_id: int, seq: int, teams: list[int]) -> dict:
    """An object's state as its event carries it, marked with the event's number."""
    common = {"id": subject_id, "status": "ok", "seq": seq}
    if subject_type == "equipment":
        return {**common, "code": f"SL-{subject_id}", "kind": "streetlight", "district": 1,
                "lat": 47.3, "lon": 5.0}  # fmt: skip
    if subject_type == "intervention":
        return {**common, "status": "dispatched", "teams": teams}
    return common


def random_log(rng: random.Random, size: int) -> list[list[dict]]:
    """Events of several subjects in committed batches of one to four."""
    batches, seq = [], 0
    while seq < size:
        batch = []
        for _ in range(rng.randint(1, 4)):
            seq += 1
            subject_type = rng.choice(["equipment", "equipment", "team", "intervention", "alert"])
            subject_id = rng.randint(1, 3)
            teams = rng.sample([1, 2, 3], rng.randint(0, 2))
            payload = {subject_type: snapshot(subject_type, subject_id, seq, teams)}
            batch.append(
                {
                    "seq": seq,
                    "time": "2026-11-27T10:00:00+00:00",
                    "kind": f"{subject_type}.updated",
                    "subject_type": subject_type,
                    "subject_id": str(subject_id),
                    "payload": payload,
                }
            )
        batches.append(batch)
    return batches


def page_events(log: list[dict], groups, after: int, through: int) -> list[dict]:
    """What desks.events_after reads: the page's events in (after, through]."""
    return [e for e in log if after < e["seq"] <= through and desks.shows(groups, e)]


STREAMS = {
    "wall": bus.SUBJECT_GROUPS,
    "dispatch": desks.DISPATCH_GROUPS,
    "field": desks.for_team(2),
    "alert desk": desks.ALERT_DESK_GROUPS,
}


@pytest.mark.parametrize("stream", sorted(STREAMS))
@pytest.mark.parametrize("seed", range(25))
def test_frames_never_pass_an_event_the_page_has_not_been_shown(stream, seed):
    groups = frozenset(STREAMS[stream])
    rng = random.Random(seed)
    batches = random_log(rng, 120)
    log = [event for batch in batches for event in batch]
    heads: dict[str, int] = {}
    mail = []  # what the page's channel is handed: its groups' messages, in publish order
    for batch in batches:
        sends, heads = bus.deliveries(batch, heads)
        mail += [message for group, message in sends if message["group"] in groups]
    # Several processes publish: messages overtake each other; a full channel drops some.
    for index in range(len(mail) - 1):
        if rng.random() < 0.3:
            mail[index], mail[index + 1] = mail[index + 1], mail[index]
    mail = [message for message in mail if rng.random() > 0.1]

    feed = desks.StreamFeed(0, groups)
    frames = [feed.take_frame(always=True)]
    committed = 0
    for message in mail:
        committed = max(committed, message["seq"])  # published after commit
        feed.receive_published(message)
        if rng.random() < 0.4:
            frames.append(feed.take_frame())
        if feed.has_gap() and rng.random() < 0.3:  # the consumer reads the log
            feed.receive(page_events(log, groups, feed.known, committed), committed)
    feed.learn(log[-1]["seq"], heads)  # the heartbeat reads the log's counter
    if feed.has_gap():
        feed.receive(page_events(log, groups, feed.known, log[-1]["seq"]), log[-1]["seq"])
    frames.append(feed.take_frame(always=True))
    frames = [frame for frame in frames if frame]

    assert frames[-1]["seq"] == log[-1]["seq"]
    for previous, frame in zip([None, *frames], frames, strict=False):
        assert frame["after"] == (previous["seq"] if previous else 0)
        shown = [e for e in log if frame["after"] < e["seq"] <= frame["seq"]]
        expected = wall.frame_of(frame["after"], [e for e in shown if desks.shows(groups, e)])
        assert frame["objects"] == expected["objects"], f"frame {frame['after']}..{frame['seq']}"


def test_every_wall_panel_follows_what_it_draws():
    """A panel that draws a kind of object follows its group (desks.PANEL_GROUPS)."""
    assert set(desks.PANEL_GROUPS) == set(WallScreen.Panel.values)
    assert desks.for_wall([]) == {bus.CITY_MODE}  # the header's city mode, on every screen
    every_panel = desks.for_wall(WallScreen.Panel.values)
    assert every_panel == set(bus.SUBJECT_GROUPS)
    # Every kind of event a wall frame folds concerns one of those groups.
    for kind, subject_type in [
        (wall.CALL_LOGGED, "call"),
        (wall.MODE_CHANGED, "city"),
        (wall.COMMANDS_SENT, "commands"),
        (wall.COMMAND_ACKNOWLEDGED, "command"),
        *[("x.updated", subject_type) for subject_type in wall.OBJECT_TYPES],
    ]:
        event = {"kind": kind, "subject_type": subject_type, "subject_id": "1", "payload": {}}
        assert desks.shows(every_panel, event), (kind, subject_type)


@pytest.mark.forged_events
def test_a_pages_replay_from_the_log_reads_exactly_the_events_it_follows(db):
    """The database filter of a replay (desks.stored_filter) keeps every event the page shows,
    and the page gets only those: the same rule, live and replayed."""
    start = bus.last_seq()
    events = [
        bus.emit(kind, subject_type=subject_type, subject_id=subject_id, payload=payload)
        for kind, subject_type, subject_id, payload in [
            ("equipment.status_changed", "equipment", 1, {"equipment": {}}),
            ("team.moved", "team", 2, {"team": {"id": 2}}),
            ("team.moved", "team", 3, {"team": {"id": 3}}),
            ("intervention.created", "intervention", 4, {"intervention": {"teams": []}}),
            ("intervention.team_assigned", "intervention", 4, {"team": {"id": 2}}),
            ("intervention.status_changed", "intervention", 5, {"teams": [{"id": 3}]}),
            ("alert.raised", "alert", 6, {"alert": {}}),
            ("command.acknowledged", "command", 7, {"command": {}}),
            ("commands.sent", "commands", "", {"commands": []}),
            ("city.mode_changed", "city", "mode", {"mode": {"code": "flood"}}),
            ("hotline.call_logged", "call", 8, {"call": {}}),
            ("market.occupancy_changed", "market", 9, {"market": {}}),
            ("priority.granted", "priority", 10, {"priority": {}}),
            ("note.added", "note", 11, {"text": "Shift handed over"}),
        ]
    ]
    log = [bus.event_message(event) for event in events]
    for groups in [*STREAMS.values(), desks.for_wall(["markets"]), desks.for_team(3)]:
        read, through = desks.events_after(start, frozenset(groups))
        assert through == log[-1]["seq"]
        expected = [event["seq"] for event in log if desks.shows(frozenset(groups), event)]
        assert [event["seq"] for event in read] == expected, sorted(groups)
        assert expected  # every page follows something here

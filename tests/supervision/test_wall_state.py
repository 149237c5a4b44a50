"""In the style of Zulip's event tests: for each kind of change the room must see, a wall's old
snapshot plus the frames of the events that followed equals a fresh snapshot."""

import copy
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from equipment import commands
from equipment import services as equipment_services
from equipment.ingest import ingest
from equipment.models import Command, Equipment, Site
from hotline import services as hotline_services
from hotline.models import Category
from interventions import services as intervention_services
from interventions.models import Intervention, Team
from ondijon import bus, roles
from supervision import markets
from supervision import traffic as priority
from supervision.alerts import services as supervision_services
from supervision.live import streams as desks
from supervision.models import Alert, PriorityRequest
from supervision.platform import replication
from supervision.wall import state as wall
from tests import admin_forms


def commands_on_their_way(make_equipment) -> dict:
    """Commands at each step of their life (on_commit never runs here: nothing is sent unless
    a test sends it, and the devices answer only when a test answers for them)."""
    bollard = make_equipment("BO-1", Equipment.Kind.BOLLARD, {"position": "lowered"})
    camera = make_equipment("CAM-1", Equipment.Kind.CAMERA, {"preset": 1})
    door = make_equipment("BA-1", Equipment.Kind.BUILDING_ACCESS, {"locked": False})
    valve = make_equipment("WV-1", Equipment.Kind.WATER_VALVE, {"position": "open"})
    requested = commands.request_command(bollard, "raise", reason="Market day")
    sent = commands.request_command(camera, "goto_preset", {"preset": 4}, reason="Crowd")
    commands.mark_sent([sent.pk])
    last_try = commands.request_command(door, "lock", reason="Lockdown")
    for attempt in range(settings.COMMAND_MAX_ATTEMPTS):
        if attempt:  # not handed over: it waits to go out again
            commands.return_to_queue([last_try])
        commands.mark_sent([last_try.pk])
    refused = commands.request_command(valve, "close", reason="Leak")
    commands.mark_sent([refused.pk])
    commands.record_acknowledgements([commands.Acknowledgement(refused.pk, ok=False)])
    return {
        "requested": requested,
        "sent": sent,
        "last_try": last_try,
        "refused": refused,
        "door": door,
    }


def answer(command: Command, ok: bool, error: str = "") -> None:
    commands.record_acknowledgements([commands.Acknowledgement(command.pk, ok=ok, error=error)])


def overdue() -> dict:
    later = timezone.now() + timedelta(seconds=settings.COMMAND_ACK_TIMEOUT_S + 1)
    return commands.expire_overdue_commands(later)


@pytest.fixture
def city(district, streetlight, make_user, make_equipment):
    team = Team.objects.create(call_sign="PM-01", service="police", latitude=47.32, longitude=5.04)
    intervention = intervention_services.create_intervention(
        {
            "title": "Streetlight out",
            "category": "lighting",
            "service": "lighting",
            "priority": 2,
            "latitude": 47.321,
            "longitude": 5.042,
        }
    )
    alert = supervision_services.raise_alert(
        {"title": "Leak", "category": "water", "severity": 4, "source": "operator"}
    )
    category = Category.objects.create(code="other", name="Other")
    market = Site.objects.create(
        code="halles",
        name="Les Halles",
        kind=Site.Kind.MARKET,
        district=district,
        latitude=47.3233,
        longitude=5.0386,
        capacity=100,
    )
    for n in (1, 2):
        equipment_services.create_equipment(
            {
                "code": f"MG-{n}",
                "kind": Equipment.Kind.MARKET_GATE,
                "district": district,
                "site": market,
                "latitude": 47.3233,
                "longitude": 5.0386 + n / 1000,
                "state": {"in": 0, "out": 0, "display": "open"},
            }
        )
    Site.objects.create(  # never regulated yet: on the wall as empty and open
        code="chenove",
        name="Marché de Chenôve",
        kind=Site.Kind.MARKET,
        district=district,
        latitude=47.292,
        longitude=5.009,
        capacity=600,
    )
    junctions = [
        equipment_services.create_equipment(
            {
                "code": f"TS-{n}",
                "kind": Equipment.Kind.TRAFFIC_SIGNAL,
                "district": district,
                "latitude": 47.32 + n / 1000,
                "longitude": 5.04,
                "state": {"mode": "normal", "plan": 1},
            }
        )
        for n in (1, 2)
    ]
    held = priority.Wanted(junctions[0], "south", 100.0)
    priority.request_priority("emergency", "POL-01", held, "Emergency vehicle POL-01")
    return {
        **commands_on_their_way(make_equipment),
        "market": market,
        "junctions": junctions,
        "district": district,
        "streetlight": streetlight,
        "team": team,
        "intervention": intervention,
        "alert": alert,
        "category": category,
        "operator": make_user("operator"),
    }


CHANGES = {
    "equipment status changed": lambda c: equipment_services.update_equipment(
        c["streetlight"], {"status": Equipment.Status.FAULT}
    ),
    "equipment state updated": lambda c: equipment_services.update_equipment(
        c["streetlight"], {"state": {"lamp": "off"}, "latitude": 47.3255}
    ),
    "equipment created": lambda c: equipment_services.create_equipment(
        {
            "code": "CAM-9",
            "kind": Equipment.Kind.CAMERA,
            "district": c["district"],
            "latitude": 47.33,
            "longitude": 5.03,
        }
    ),
    "team moved": lambda c: intervention_services.report_team_position(c["team"], 47.31, 5.05),
    "team status changed": lambda c: intervention_services.update_team(
        c["team"], {"status": Team.Status.BUSY}
    ),
    "team created": lambda c: intervention_services.create_team(
        {"call_sign": "EP-02", "service": "lighting", "latitude": 47.3, "longitude": 5.0}
    ),
    "intervention created": lambda c: intervention_services.create_intervention(
        {
            "title": "Bollard stuck",
            "category": "roads",
            "service": "roads",
            "priority": 1,
            "latitude": 47.32,
            "longitude": 5.04,
        }
    ),
    "intervention moved on": lambda c: intervention_services.update_intervention(
        c["intervention"], {"status": Intervention.Status.ON_SITE}
    ),
    "intervention resolved": lambda c: intervention_services.update_intervention(
        c["intervention"], {"status": Intervention.Status.RESOLVED}
    ),
    "alert raised": lambda c: supervision_services.raise_alert(
        {
            "title": "Camera down",
            "category": "video",
            "severity": 5,
            "source": "rule",
            "equipment": c["streetlight"],
        }
    ),
    "alert acknowledged": lambda c: supervision_services.acknowledge_alert(
        c["alert"], c["operator"]
    ),
    "alert cleared": lambda c: supervision_services.update_alert(
        c["alert"], {"cleared_at": timezone.now()}
    ),
    "alert resolved": lambda c: supervision_services.update_alert(
        c["alert"], {"status": Alert.Status.RESOLVED}
    ),
    "hotline call logged": lambda c: hotline_services.log_call({"category": c["category"]}),
    "city mode changed": lambda c: bus.emit(
        "city.mode_changed",
        subject_type="city_mode",
        subject_label="Heatwave",
        payload={
            "mode": {
                "code": "heatwave",
                "name": "Heatwave",
                "banner": "Heatwave plan",
                "hotline_24_7": True,
            }
        },
    ),
    "alarm flood started": lambda c: bus.emit(
        "alarm.flood_started",
        subject_type="platform",
        subject_label="Alarm flood",
        payload={"rate": 14, "threshold": 10, "window_seconds": 600, "positions": 1},
    ),
    "database failed over (the watch sees a new primary)": lambda c: failed_over(),
    "note added (not on the wall)": lambda c: supervision_services.add_note("Quiet", None),
    "market gates counted (telemetry)": lambda c: count_people(entered=40, left=5),
    "market full (telemetry)": lambda c: count_people(entered=130, left=20),
    "market regulated by the periodic job": lambda c: regulated_after_manual_count(c),
    "priority requested at a junction": lambda c: priority.request_priority(
        "bus", "BUS-12", priority.Wanted(c["junctions"][1], "east", 80.0), "Bus BUS-12 late"
    ),
    "priority released": lambda c: priority.release_priority(
        PriorityRequest.objects.select_related("junction").get(
            released_at__isnull=True, requester_code="POL-01"
        ),
        "passed",
    ),
    "command requested": lambda c: commands.request_command(
        c["streetlight"], "dim", {"level": 30}, reason="Energy saving"
    ),
    "command to an offline device fails at once": lambda c: (
        equipment_services.update_equipment(c["door"], {"status": Equipment.Status.OFFLINE}),
        commands.request_command(c["door"], "unlock", reason="Lockdown over"),
    ),
    "commands sent": lambda c: commands.mark_sent([c["requested"].pk, c["sent"].pk]),
    "command acknowledged": lambda c: answer(c["sent"], ok=True),
    "command refused by the device": lambda c: answer(c["sent"], ok=False, error="Jammed"),
    "commands not delivered": lambda c: commands.fail_commands(
        [c["requested"].pk, c["sent"].pk], "Could not reach the devices: broker down"
    ),
    "command resent, then timed out after its last attempt": lambda c: overdue(),
    "late acknowledgement of a timed-out command": lambda c: (
        overdue(),
        answer(c["last_try"], ok=True),
    ),
    "failed command retried by an operator": lambda c: commands.retry_commands([c["refused"]]),
    "retry of a command to a device gone offline fails again": lambda c: (
        equipment_services.update_equipment(
            Equipment.objects.get(code="WV-1"), {"status": Equipment.Status.OFFLINE}
        ),
        commands.retry_commands([c["refused"]]),
    ),
}


def failed_over() -> None:
    """The primary watch sees site-a first, then site-b: a failover, as after losing site-a."""
    for site, port in (("site-a", 5432), ("site-b", 5433)):
        seen = replication.DatabaseState(primary=site, address=f"10.0.0.1:{port}")
        replication.watch_primary(state=seen)


def count_people(entered: int, left: int) -> None:
    """Gate MG-1 reports its counters through the telemetry ingest, as a device does."""
    result = ingest(
        [
            {
                "device": "MG-1",
                "time": timezone.now().isoformat(),
                "metrics": {"in": entered, "out": left},
            }
        ]
    )
    assert result.accepted == 1


def regulated_after_manual_count(c) -> None:
    gate = Equipment.objects.get(code="MG-2")
    equipment_services.update_equipment(gate, {"state": {**gate.state, "in": 12}})
    markets.regulate_markets()


def replayed(old: dict) -> dict:
    events = wall.events_after(old["seq"])
    return wall.apply_frame(copy.deepcopy(old), wall.frame_of(old["seq"], events))


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_old_snapshot_plus_events_equals_fresh_snapshot(city, change):
    old = wall.build_snapshot()
    CHANGES[change](city)
    fresh = wall.build_snapshot()
    assert fresh["seq"] > old["seq"]
    assert replayed(old) == fresh


def test_every_change_at_once_coalesced_into_one_frame(city):
    old = wall.build_snapshot()
    for change in sorted(CHANGES):
        CHANGES[change](city)
    assert replayed(old) == wall.build_snapshot()


def test_one_frame_per_event_gives_the_same_state_as_one_coalesced_frame(city):
    old = wall.build_snapshot()
    for change in sorted(CHANGES):
        CHANGES[change](city)
    state = copy.deepcopy(old)
    for event in wall.events_after(old["seq"]):
        state = wall.apply_frame(state, wall.frame_of(state["seq"], [event]))
    assert state == replayed(old)


def test_a_frame_that_does_not_follow_the_state_is_refused(city):
    state = wall.build_snapshot()
    CHANGES["team moved"](city)
    CHANGES["team moved"](city)
    events = wall.events_after(state["seq"])
    with pytest.raises(ValueError):
        wall.apply_frame(state, wall.frame_of(events[0]["seq"], events[1:]))


def test_calls_today_restart_on_a_new_day(city):
    state = wall.build_snapshot()
    frame = {
        "after": state["seq"],
        "seq": state["seq"] + 1,
        "objects": {},
        "calls": {"2999-01-01": 2},
    }
    assert wall.apply_frame(state, frame)["calls"] == {"day": "2999-01-01", "count": 2}


def test_coalesced_frame_keeps_the_latest_state_of_each_object(city):
    old = wall.build_snapshot()
    for status in ["fault", "offline", "degraded", "ok", "fault"]:
        equipment_services.update_equipment(city["streetlight"], {"status": status})
    frame = wall.frame_of(old["seq"], wall.events_after(old["seq"]))
    assert frame["seq"] == old["seq"] + 5
    assert frame["objects"]["equipment"] == {
        str(city["streetlight"].pk): wall.equipment_row(
            equipment_services.equipment_snapshot(city["streetlight"])
        )
    }


def test_feed_sends_only_contiguous_numbers_and_reports_gaps():
    def event(seq):
        return {
            "seq": seq,
            "time": "2026-11-27T10:00:00+00:00",
            "kind": "equipment.updated",
            "subject_type": "equipment",
            "subject_id": "1",
            "payload": {
                "equipment": {
                    "code": "X",
                    "kind": "camera",
                    "status": "ok",
                    "district": 1,
                    "lat": 47.0,
                    "lon": 5.0,
                }
            },
        }

    def published(seq):
        """The equipment group's message of a one-event batch (the previous one was seq - 1)."""
        sends, _ = bus.deliveries([event(seq)], {bus.EQUIPMENT: seq - 1})
        return sends[0][1]

    feed = desks.StreamFeed(after=10, groups=bus.SUBJECT_GROUPS)
    for seq in (9, 10, 12):  # 11 is late (another process) or lost
        feed.receive_published(published(seq))
    assert feed.has_gap()
    assert feed.take_frame() is None
    feed.receive_published(published(11))
    assert not feed.has_gap()
    frame = feed.take_frame()
    assert (frame["after"], frame["seq"]) == (10, 12)
    for seq in (11, 12):  # duplicates of what was sent
        feed.receive_published(published(seq))
    assert feed.take_frame() is None


def test_replay_orders_a_reload_when_too_far_behind_or_ahead(city):
    seq = wall.last_seq()
    assert wall.replay_frame(seq)["type"] == "frame"
    assert wall.replay_frame(seq + 5)["type"] == "reload"
    assert wall.events_after(0, limit=seq - 1) is None


def test_market_occupancy_and_priority_are_on_the_wall(city):
    snapshot = wall.build_snapshot()
    market = city["market"]
    assert snapshot["market"][str(market.pk)] == {
        **snapshot["market"][str(market.pk)],
        "name": "Les Halles",
        "occupancy": 0,
        "capacity": 100,
        "full": False,
    }
    [held] = snapshot["priority"].values()
    assert (held["junction"], held["requester"], held["approach"]) == ("TS-1", "POL-01", "south")
    assert (held["lat"], held["lon"]) == (city["junctions"][0].latitude, 5.04)

    count_people(entered=130, left=20)
    after = replayed(snapshot)
    assert after["market"][str(market.pk)]["occupancy"] == 110
    assert after["market"][str(market.pk)]["full"] is True
    CHANGES["priority released"](city)
    assert replayed(snapshot)["priority"] == {}


def test_commands_in_flight_and_finished_today_are_on_the_wall(city):
    snapshot = wall.build_snapshot()
    requested, sent, last_try, refused = (
        city[name] for name in ("requested", "sent", "last_try", "refused")
    )
    rows = snapshot["command"]
    assert rows[str(requested.pk)] == ["raise", "BO-1", "requested", 0, iso(requested)]
    assert rows[str(sent.pk)] == ["goto_preset", "CAM-1", "sent", 1, iso(sent)]
    assert rows[str(last_try.pk)][2:4] == ["sent", 3]
    assert str(refused.pk) not in rows  # finished: out of the in-flight set
    finished = snapshot["commands"]
    assert (finished["day"], finished["acknowledged"], finished["failed"]) == (
        timezone.localdate().isoformat(),
        0,
        1,
    )
    [failure] = finished["failures"]
    assert (failure["id"], failure["equipment_code"], failure["status"]) == (
        refused.pk,
        "WV-1",
        "failed",
    )

    CHANGES["commands sent"](city)
    assert replayed(snapshot)["command"][str(requested.pk)] == [
        "raise",
        "BO-1",
        "sent",
        1,
        iso(requested),
    ]
    CHANGES["command acknowledged"](city)
    CHANGES["command resent, then timed out after its last attempt"](city)
    state = replayed(snapshot)
    assert set(state["command"]) == {str(requested.pk)} | {
        key for key in rows if key not in (str(sent.pk), str(last_try.pk))
    }
    assert (state["commands"]["acknowledged"], state["commands"]["failed"]) == (1, 2)
    assert [f["id"] for f in state["commands"]["failures"]] == [last_try.pk, refused.pk]
    assert state["commands"]["failures"][0]["status"] == "timed_out"
    assert state == wall.build_snapshot()


def iso(command: Command) -> str:
    return command.requested_at.isoformat()


def test_a_burst_of_commands_travels_as_compact_rows_and_names_only_the_latest_failures(
    city, make_equipment
):
    devices = [make_equipment(f"BA-{n:03d}", Equipment.Kind.BUILDING_ACCESS) for n in range(40)]
    old = wall.build_snapshot()
    burst = commands.request_commands(devices, "lock", reason="Lockdown")
    commands.mark_sent([c.pk for c in burst])
    answer_batch = [commands.Acknowledgement(c.pk, ok=True) for c in burst[:25]]
    answer_batch += [commands.Acknowledgement(c.pk, ok=False, error="Jammed") for c in burst[25:]]
    commands.record_acknowledgements(answer_batch)
    commands.retry_commands(burst[25:28])  # back in flight...
    commands.fail_commands([c.pk for c in burst[25:28]], "Unreachable")  # ...and failed again

    frame = wall.frame_of(old["seq"], wall.events_after(old["seq"]))
    rows = frame["objects"]["command"]
    assert len(rows) == 40
    assert all(row is None for row in rows.values())  # all finished within the frame
    [counts] = frame["commands"].values()
    assert (counts["acknowledged"], counts["failed"]) == (25, 18)
    latest = [f["id"] for f in counts["failures"]]
    assert len(latest) == wall.RECENT_FAILURES
    assert set(latest[:3]) == {c.pk for c in burst[25:28]}  # failed last, shown first
    assert len(set(latest)) == len(latest)

    fresh = wall.build_snapshot()
    assert wall.apply_frame(copy.deepcopy(old), frame) == fresh
    assert (fresh["commands"]["acknowledged"], fresh["commands"]["failed"]) == (25, 19)


def test_finished_commands_today_restart_on_a_new_day(city):
    state = wall.build_snapshot()
    failure = {**state["commands"]["failures"][0], "seq": state["seq"] + 1}
    frame = {
        "after": state["seq"],
        "seq": state["seq"] + 1,
        "objects": {},
        "commands": {"2999-01-01": {"acknowledged": 0, "failed": 1, "failures": [failure]}},
    }
    assert wall.apply_frame(state, frame)["commands"] == {
        "day": "2999-01-01",
        "acknowledged": 0,
        "failed": 1,
        "failures": [failure],
    }


# --- Every write path, not only the service calls ------------------------------------------
# The API and the admin are doors too: each write through them must leave a stale wall (and a
# stale dispatcher's desk) that replays the events exactly where a fresh one starts.


@pytest.fixture
def doors(city, api_client_for, make_user):
    from django.test import Client

    site = Client()
    site.force_login(make_user(roles.ADMINISTRATOR, username="door-admin"))
    return {"api": api_client_for(roles.ADMINISTRATOR), "admin": site}


def api(doors, method: str, url: str, body: dict | None = None, status: int = 200) -> dict:
    response = getattr(doors["api"], method)(f"/api/v1/{url}", body, format="json")
    assert response.status_code == status, response.content[:500]
    return response.json() if response.content else {}


def admin_save(doors, url: str, **changes) -> None:
    admin_forms.save(doors["admin"], f"/admin/{url}", **changes)


def admin_delete(doors, url: str) -> None:
    response = doors["admin"].post(f"/admin/{url}", {"post": "yes"})
    assert response.status_code == 302


def admin_bulk_delete(doors, model: str, pks: list[int]) -> None:
    response = admin_forms.bulk_delete(doors["admin"], f"/admin/{model}/", pks)
    assert response.status_code == 302


def spare_device(c) -> Equipment:
    return equipment_services.create_equipment(
        {
            "code": "CAM-77",
            "kind": Equipment.Kind.CAMERA,
            "district": c["district"],
            "latitude": 47.33,
            "longitude": 5.03,
        }
    )


def now_fields(name: str) -> dict:
    now = timezone.localtime()
    return {f"{name}_0": now.strftime("%Y-%m-%d"), f"{name}_1": now.strftime("%H:%M:%S")}


WRITE_PATHS = {
    # The API
    "API: equipment created": lambda c, d: api(
        d,
        "post",
        "equipment/",
        {
            "code": "CAM-9",
            "kind": "camera",
            "district": "centre",
            "latitude": 47.33,
            "longitude": 5.03,
        },
        201,
    ),
    "API: equipment updated": lambda c, d: api(
        d, "patch", f"equipment/{c['streetlight'].pk}/", {"status": "fault", "latitude": 47.33}
    ),
    "API: equipment deleted": lambda c, d: api(
        d, "delete", f"equipment/{c['streetlight'].pk}/", status=204
    ),
    "API: team created": lambda c, d: api(
        d, "post", "teams/", {"call_sign": "EP-02", "service": "lighting"}, 201
    ),
    "API: team updated": lambda c, d: api(
        d, "patch", f"teams/{c['team'].pk}/", {"status": "off_duty", "vehicle": "Van 3"}
    ),
    "API: team deleted": lambda c, d: api(d, "delete", f"teams/{c['team'].pk}/", status=204),
    "API: intervention created": lambda c, d: api(
        d,
        "post",
        "interventions/",
        {
            "title": "Bollard stuck",
            "category": "roads",
            "service": "roads",
            "priority": 1,
            "latitude": 47.32,
            "longitude": 5.04,
        },
        201,
    ),
    "API: intervention updated": lambda c, d: api(
        d, "patch", f"interventions/{c['intervention'].pk}/", {"priority": 1, "title": "Dark"}
    ),
    "API: intervention deleted": lambda c, d: api(
        d, "delete", f"interventions/{c['intervention'].pk}/", status=204
    ),
    "API: market created": lambda c, d: api(
        d,
        "post",
        "sites/",
        {
            "code": "talant",
            "name": "Marché de Talant",
            "kind": "market",
            "district": "centre",
            "latitude": 47.33,
            "longitude": 5.0,
            "capacity": 300,
        },
        201,
    ),
    "API: market renamed, new capacity": lambda c, d: api(
        d, "patch", f"sites/{c['market'].pk}/", {"name": "Halles", "capacity": 30}
    ),
    "API: market no longer regulated": lambda c, d: api(
        d, "patch", f"sites/{c['market'].pk}/", {"capacity": None}
    ),
    "API: market deleted": lambda c, d: api(
        d, "delete", f"sites/{Site.objects.get(code='chenove').pk}/", status=204
    ),
    "API: district renamed": lambda c, d: api(
        d, "patch", f"districts/{c['district'].pk}/", {"name": "Centre-ville"}
    ),
    "API: district created, then deleted": lambda c, d: api(
        d,
        "delete",
        "districts/{}/".format(
            api(
                d,
                "post",
                "districts/",
                {
                    "code": "spare",
                    "name": "Spare",
                    "center_latitude": 47.3,
                    "center_longitude": 5.0,
                },
                201,
            )["id"]
        ),
        status=204,
    ),
    "API: alert raised": lambda c, d: api(
        d,
        "post",
        "alerts/",
        {"title": "Smoke", "category": "fire", "severity": 5, "source": "operator"},
        201,
    ),
    "API: alert updated": lambda c, d: api(
        d, "patch", f"alerts/{c['alert'].pk}/", {"title": "Big leak", "severity": 5}
    ),
    "API: hotline call logged": lambda c, d: api(d, "post", "calls/", {"category": "other"}, 201),
    # The admin
    "admin: equipment changed": lambda c, d: admin_save(
        d, f"equipment/equipment/{c['streetlight'].pk}/change/", status="maintenance"
    ),
    "admin: equipment deleted": lambda c, d: admin_delete(
        d, f"equipment/equipment/{c['streetlight'].pk}/delete/"
    ),
    "admin: equipment bulk-deleted": lambda c, d: admin_bulk_delete(
        d, "equipment/equipment", [c["streetlight"].pk, spare_device(c).pk]
    ),
    "admin: team changed": lambda c, d: admin_save(
        d, f"interventions/team/{c['team'].pk}/change/", status="off_duty"
    ),
    "admin: team deleted": lambda c, d: admin_delete(
        d, f"interventions/team/{c['team'].pk}/delete/"
    ),
    "admin: team bulk-deleted": lambda c, d: admin_bulk_delete(
        d,
        "interventions/team",
        [
            c["team"].pk,
            intervention_services.create_team({"call_sign": "X", "service": "roads"}).pk,
        ],
    ),
    "admin: intervention changed": lambda c, d: admin_save(
        d, f"interventions/intervention/{c['intervention'].pk}/change/", priority="1"
    ),
    "admin: intervention deleted": lambda c, d: admin_delete(
        d, f"interventions/intervention/{c['intervention'].pk}/delete/"
    ),
    "admin: market changed": lambda c, d: admin_save(
        d, f"equipment/site/{c['market'].pk}/change/", capacity="20", name="Halles"
    ),
    "admin: market bulk-deleted": lambda c, d: admin_bulk_delete(
        d, "equipment/site", [Site.objects.get(code="chenove").pk]
    ),
    "admin: district changed": lambda c, d: admin_save(
        d, f"equipment/district/{c['district'].pk}/change/", name="Centre-ville"
    ),
    "admin: alert changed": lambda c, d: admin_save(
        d, f"supervision/alert/{c['alert'].pk}/change/", severity="5"
    ),
    "admin: alert resolved": lambda c, d: admin_save(
        d, f"supervision/alert/{c['alert'].pk}/change/", status="resolved"
    ),
    "admin: hotline call logged": lambda c, d: admin_save(
        d, "hotline/call/add/", category=str(c["category"].pk), **now_fields("started_at")
    ),
}


def desk_replayed(old: dict) -> dict:
    frame, _ = desks.replay(old["seq"], desks.DISPATCH_GROUPS)
    return wall.apply_frame(copy.deepcopy(old), frame)


@pytest.mark.parametrize("write", sorted(WRITE_PATHS))
def test_every_write_path_leaves_old_snapshot_plus_events_equal_to_a_fresh_one(city, doors, write):
    old, old_desk = wall.build_snapshot(), intervention_services.desk_state()
    WRITE_PATHS[write](city, doors)
    fresh = wall.build_snapshot()
    assert fresh["seq"] > old["seq"]
    assert replayed(old) == fresh
    assert desk_replayed(old_desk) == intervention_services.desk_state()


def test_every_write_path_at_once_coalesced_into_one_frame(city, doors):
    old, old_desk = wall.build_snapshot(), intervention_services.desk_state()
    for write in sorted(WRITE_PATHS):
        if "deleted" not in write:  # deleting the fixture's objects twice is refused
            WRITE_PATHS[write](city, doors)
    assert replayed(old) == wall.build_snapshot()
    assert desk_replayed(old_desk) == intervention_services.desk_state()


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_stale_dispatch_desk_plus_its_frame_equals_a_fresh_one(city, change):
    old = intervention_services.desk_state()
    CHANGES[change](city)
    assert desk_replayed(old) == intervention_services.desk_state()

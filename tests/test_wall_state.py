"""In the style of Zulip's event tests: for each kind of change the room must see, a wall's old
snapshot plus the frames of the events that followed equals a fresh snapshot."""

import copy

import pytest
from django.utils import timezone

from equipment import services as equipment_services
from equipment.ingest import ingest
from equipment.models import Equipment, Site
from hotline import services as hotline_services
from hotline.models import Category
from interventions import services as intervention_services
from interventions.models import Intervention, Team
from ondijon import bus
from supervision import markets, priority, wall
from supervision import services as supervision_services
from supervision.models import Alert, PriorityRequest


@pytest.fixture
def city(district, streetlight, make_user):
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
}


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

    feed = wall.WallFeed(after=10)
    feed.receive([event(9), event(10), event(12)])  # 11 is late (another process) or lost
    assert feed.has_gap()
    assert feed.take_frame() is None
    feed.receive([event(11)])
    assert not feed.has_gap()
    frame = feed.take_frame()
    assert (frame["after"], frame["seq"]) == (10, 12)
    feed.receive([event(11), event(12)])  # duplicates of what was sent
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

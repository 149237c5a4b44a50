"""Priority at junctions: emergency vehicles en route, late buses; release once passed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from equipment.models import Command, Equipment
from interventions.models import Assignment, Intervention, Team
from supervision import traffic as priority
from supervision.models import Event, PriorityRequest

NORMAL = {"mode": "normal", "plan": 3}


@pytest.fixture
def junctions(make_equipment):
    spots = {
        "TS-1": (47.301, 5.04),  # 111 m ahead on the way
        "TS-2": (47.303, 5.04),  # 334 m ahead
        "TS-3": (47.306, 5.04),  # 668 m ahead: not yet
        "TS-EAST": (47.302, 5.045),  # 380 m off the way
        "TS-BEHIND": (47.299, 5.04),
    }
    return {
        code: make_equipment(code, "traffic_signal", dict(NORMAL), latitude=lat, longitude=lon)
        for code, (lat, lon) in spots.items()
    }


@pytest.fixture
def run(db):
    team = Team.objects.create(
        call_sign="POL-01", service="police", emergency_vehicle=True, latitude=47.30, longitude=5.04
    )
    intervention = Intervention.objects.create(
        reference="INT-TEST-1",
        title="Fight",
        category="public-order",
        service="police",
        priority=1,
        latitude=47.31,
        longitude=5.04,
        status=Intervention.Status.EN_ROUTE,
        reported_at=timezone.now(),
    )
    Assignment.objects.create(intervention=intervention, team=team, assigned_at=timezone.now())
    return team, intervention


def tick(capture):
    with capture(execute=True):
        return priority.update_emergency_priorities()


def held():
    return list(
        PriorityRequest.objects.filter(released_at__isnull=True)
        .order_by("requested_at", "pk")
        .values_list("junction__code", flat=True)
    )


def mode(code):
    return Equipment.objects.get(code=code).state


def move(team, lat):
    team.latitude = lat
    team.save()


def test_junctions_on_the_way_get_priority_in_order_and_are_released_once_passed(
    junctions, run, django_capture_on_commit_callbacks
):
    team, intervention = run
    assert tick(django_capture_on_commit_callbacks) == {"requested": 2, "released": 0}
    assert held() == ["TS-1", "TS-2"]
    assert mode("TS-1") == {"mode": "priority", "plan": 3, "priority_approach": "south"}
    assert mode("TS-EAST") == NORMAL and mode("TS-BEHIND") == NORMAL
    first = Command.objects.filter(action="priority").order_by("pk")
    assert [c.equipment.code for c in first] == ["TS-1", "TS-2"]

    move(team, 47.302)  # past TS-1
    assert tick(django_capture_on_commit_callbacks) == {"requested": 0, "released": 1}
    assert held() == ["TS-2"]
    assert mode("TS-1") == {"mode": "normal", "plan": 3, "priority_approach": None}

    move(team, 47.304)  # past TS-2, TS-3 now close
    tick(django_capture_on_commit_callbacks)
    assert held() == ["TS-3"]

    intervention.status = Intervention.Status.ON_SITE
    intervention.save()
    tick(django_capture_on_commit_callbacks)
    assert held() == []
    assert mode("TS-3")["mode"] == "normal"
    reasons = dict(PriorityRequest.objects.values_list("junction__code", "release_reason"))
    assert reasons == {"TS-1": "passed", "TS-2": "passed", "TS-3": "arrived"}
    assert Event.objects.filter(kind="priority.requested").count() == 3
    assert Event.objects.filter(kind="priority.released").count() == 3


def test_priority_is_released_after_a_timeout_and_not_asked_again(
    settings, junctions, run, django_capture_on_commit_callbacks
):
    tick(django_capture_on_commit_callbacks)
    PriorityRequest.objects.update(
        requested_at=timezone.now() - timedelta(seconds=settings.PRIORITY_TIMEOUT_S + 1)
    )
    assert tick(django_capture_on_commit_callbacks) == {"requested": 0, "released": 2}
    assert held() == []
    assert tick(django_capture_on_commit_callbacks) == {"requested": 0, "released": 0}


def test_a_flashing_junction_goes_back_to_flashing(
    junctions, run, django_capture_on_commit_callbacks
):
    Equipment.objects.filter(code="TS-1").update(state={"mode": "flashing", "plan": 2})
    tick(django_capture_on_commit_callbacks)
    move(run[0], 47.302)
    tick(django_capture_on_commit_callbacks)
    assert mode("TS-1")["mode"] == "flashing"


def test_late_bus_near_a_junction_gets_priority(
    settings, junctions, make_equipment, django_capture_on_commit_callbacks
):
    bus = make_equipment(
        "BUS-001", "bus", {"line": "L1", "delay_s": 300}, latitude=47.3005, longitude=5.04
    )
    make_equipment("BUS-002", "bus", {"line": "L2", "delay_s": 30}, latitude=47.303, longitude=5.04)
    with django_capture_on_commit_callbacks(execute=True):
        assert priority.update_bus_priorities() == {"requested": 1, "released": 0}
    assert held() == ["TS-1"]
    assert PriorityRequest.objects.get().requester_code == "BUS-001"

    bus.state = {"line": "L1", "delay_s": 20}  # caught up
    bus.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert priority.update_bus_priorities() == {"requested": 0, "released": 1}
    assert mode("TS-1")["mode"] == "normal"


def test_with_a_road_graph_priority_follows_the_route_junctions(
    junctions, make_equipment, run, django_capture_on_commit_callbacks
):
    from geography import roads, services
    from geography.models import Street

    # The only way north goes 150 m east first: TS-1 and TS-2 stand on no road it takes.
    legs = [
        ([1, 2], [[5.040, 47.300], [5.042, 47.300]], "Rue du Départ"),
        ([2, 3, 4], [[5.042, 47.300], [5.042, 47.302], [5.042, 47.310]], "Rue du Détour"),
        ([4, 5], [[5.042, 47.310], [5.040, 47.310]], "Rue de l'Arrivée"),
    ]
    services.import_streets(
        [
            Street(
                source="demo",
                source_id=n,
                name=name,
                road_class="residential",
                nodes=nodes,
                points=points,
            )
            for n, (nodes, points, name) in enumerate(legs)
        ],
        source="test",
    )
    make_equipment("TS-ROUTE", "traffic_signal", dict(NORMAL), latitude=47.302, longitude=5.042)
    roads.forget_graph()
    try:
        assert tick(django_capture_on_commit_callbacks)["requested"] == 1
        assert held() == ["TS-ROUTE"]
        assert mode("TS-ROUTE")["priority_approach"] == "south"
    finally:
        roads.forget_graph()

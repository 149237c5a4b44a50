"""The road graph: a real OpenStreetMap extract imported, travel times, routes, directions."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from geography import roads, services
from geography.directions import directions
from geography.models import Street
from interventions.dispatch import rank_teams
from interventions.models import Team
from ondijon.geo import distance_m
from tests.geography.roads import EAST, NORTH, SOUTH, helsinki_pbf, river_town

pytestmark = pytest.mark.django_db


def make_team(call_sign: str, lat: float, lon: float, service: str = "police") -> Team:
    return Team.objects.create(
        call_sign=call_sign,
        service=service,
        latitude=lat,
        longitude=lon,
        position_at=timezone.now() - timedelta(seconds=30),
    )


@pytest.fixture(autouse=True)
def _fresh_graph():
    roads.forget_graph()
    yield
    roads.forget_graph()


def test_import_osm_reads_the_real_extract_and_updates_in_place(capsys):
    call_command("import_osm", str(helsinki_pbf()))
    first = capsys.readouterr().out
    count = Street.objects.filter(source="osm").count()
    assert count > 800 and f"{count} created, 0 updated" in first
    named = Street.objects.exclude(name="").count()
    assert named > count / 2  # Helsinki's streets keep their names
    assert Street.objects.filter(oneway=True).exists()
    call_command("import_osm", str(helsinki_pbf()))
    assert f"0 created, {count} updated" in capsys.readouterr().out
    assert Street.objects.count() == count
    graph = roads.graph()
    assert graph is not None and graph.edge_count > 2 * 1000


def test_one_search_times_every_node_and_routes_follow_the_roads():
    call_command("import_osm", str(helsinki_pbf()))
    graph = roads.graph()
    # Two points of central Helsinki, about 600 m apart.
    tree = graph.search_to(60.1665, 24.9433, "roads")
    route = tree.route_from(60.1700, 24.9400)
    assert route is not None and route.nodes[-1] == tree.target
    straight = distance_m(60.1665, 24.9433, 60.1700, 24.9400)
    assert route.metres >= straight * 0.9
    # Every consecutive pair of the route is an edge of the graph, in its direction.
    assert all(
        graph.edge(a, b) is not None for a, b in zip(route.nodes, route.nodes[1:], strict=False)
    )


def test_one_way_streets_are_driven_one_way_only():
    oneway = Street(
        source="demo",
        source_id=10,
        name="Rue à sens unique",
        road_class="residential",
        oneway=True,
        nodes=[1, 2],
        points=[[5.000, 47.30], [5.002, 47.30]],
    )
    around = Street(
        source="demo",
        source_id=11,
        name="Rue du Détour",
        road_class="residential",
        oneway=False,
        nodes=[2, 3, 4, 1],
        points=[[5.002, 47.30], [5.002, 47.302], [5.000, 47.302], [5.000, 47.30]],
    )
    services.import_streets([oneway, around], source="test")
    graph = roads.graph()
    with_the_flow = graph.search_to(47.30, 5.002, "roads").route_from(47.30, 5.000)
    against_it = graph.search_to(47.30, 5.000, "roads").route_from(47.30, 5.002)
    assert round(with_the_flow.metres) == 151
    assert against_it.metres > 3 * with_the_flow.metres


def test_speeds_depend_on_the_service():
    services.import_streets(river_town(), source="test")
    graph = roads.graph()
    police = graph.search_to(NORTH, 5.005, "police").route_from(NORTH, 5.020).seconds
    cleaning = graph.search_to(NORTH, 5.005, "cleaning").route_from(NORTH, 5.020).seconds
    assert cleaning > 2 * police


def test_the_nearest_team_by_road_is_not_the_nearest_as_the_crow_flies(settings):
    across = make_team("POL-ACROSS", SOUTH, 5.005)  # 110 m away, across the river
    along = make_team("POL-ALONG", NORTH, 5.012)  # 530 m away, same quay
    # No street imported yet: the crow-flies estimate ranks, and says so.
    fallback = rank_teams(NORTH, 5.005, "police")
    assert [c.team.call_sign for c in fallback.candidates] == ["POL-ACROSS", "POL-ALONG"]
    assert not any(c.as_dict()["by_road"] for c in fallback.candidates)

    services.import_streets(river_town(), source="test")
    roads.forget_graph()
    ranking = rank_teams(NORTH, 5.005, "police")
    assert [c.team.call_sign for c in ranking.candidates] == ["POL-ALONG", "POL-ACROSS"]
    first, second = (c.as_dict() for c in ranking.candidates)
    assert first["by_road"] and second["by_road"]
    assert second["route_m"] > 3500  # to the bridge and back
    route = second["route"]["coordinates"]
    assert route[0] == [5.005, SOUTH] and route[-1] == [5.005, NORTH]
    assert [EAST, SOUTH] in route and [EAST, NORTH] in route
    assert Team.objects.get(pk=along.pk).call_sign == "POL-ALONG"
    assert across.pk != along.pk


def test_turn_by_turn_directions_name_the_streets_in_french():
    services.import_streets(river_town(), source="test")
    graph = roads.graph()
    route = graph.search_to(NORTH, 5.005, "roads").route_from(SOUTH, 5.005)
    with translation.override("fr"):
        steps = [step.instruction for step in directions(graph, route, "12 Quai Nord")]
    assert steps == [
        "Prenez Quai Sud vers l'est",
        "Tournez à gauche sur Pont de l'Est",
        "Tournez à gauche sur Quai Nord",
        "Vous êtes arrivé : 12 Quai Nord",
    ]
    with translation.override("en"):
        assert directions(graph, route)[1].instruction == "Turn left onto Pont de l'Est"

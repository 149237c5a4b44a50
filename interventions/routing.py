"""Travel times and routes over the city's road graph for dispatch and the crews' phones.

Ranking times every candidate in one reverse search from the incident (geography.roads);
without an imported street network, or for a team off the network, the fallback estimator
(crow flies x detour factor by default) answers, and the candidate says it is not by road.
"""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from geography import directions, roads


@dataclass(frozen=True)
class Estimate:
    seconds: float
    route: list[list[float]] | None = None  # [lon, lat] from the team to the incident
    metres: float | None = None


@cache
def _fallback_for(path: str):
    return import_string(path)()


def fallback():
    return _fallback_for(settings.DISPATCH_FALLBACK_ESTIMATOR)


class RoadEstimator:
    """Road-graph travel time; the fallback estimator where the graph cannot answer."""

    def seconds(
        self, team_lat: float, team_lon: float, lat: float, lon: float, service: str
    ) -> float:
        return self.estimates([(team_lat, team_lon)], lat, lon, service)[0].seconds

    def estimates(
        self, origins: list[tuple[float, float]], lat: float, lon: float, service: str
    ) -> list[Estimate]:
        graph = roads.graph()
        tree = graph.search_to(lat, lon, service) if graph is not None else None
        found = []
        for team_lat, team_lon in origins:
            route = tree.route_from(team_lat, team_lon) if tree is not None else None
            if route is None:
                found.append(Estimate(fallback().seconds(team_lat, team_lon, lat, lon, service)))
            else:
                line = [
                    [round(team_lon, 6), round(team_lat, 6)],
                    *graph.coordinates(route.nodes),
                    [round(lon, 6), round(lat, 6)],
                ]
                found.append(Estimate(route.seconds, line, route.metres))
        return found


def road_directions(
    team_lat: float, team_lon: float, lat: float, lon: float, service: str, destination: str
) -> dict | None:
    """A crew's route and its turn-by-turn steps; None without a road graph to follow."""
    graph = roads.graph()
    tree = graph.search_to(lat, lon, service) if graph is not None else None
    route = tree.route_from(team_lat, team_lon) if tree is not None else None
    if route is None:
        return None
    return {
        "seconds": round(route.seconds),
        "distance_m": round(route.metres),
        "route": {
            "type": "LineString",
            "coordinates": [
                [round(team_lon, 6), round(team_lat, 6)],
                *graph.coordinates(route.nodes),
                [round(lon, 6), round(lat, 6)],
            ],
        },
        "steps": [step.as_dict() for step in directions.directions(graph, route, destination)],
    }

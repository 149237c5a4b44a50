"""Travel times and routes over the city's road graph for dispatch and the crews' phones.

Ranking times every candidate in one reverse search from the incident (geography.roads);
without an imported street network, or for a team off the network, the fallback estimator
(crow flies x detour factor by default) answers, and the candidate says it is not by road.
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from geography import directions, roads


class Estimate:
    """A travel time; its route by road is read from the search only when asked for (the
    ranking shows a few candidates' routes, and times many more)."""

    def __init__(self, seconds: float, tree=None, start: int | None = None, origin=None) -> None:
        self.seconds = seconds
        self._tree, self._start, self._origin = tree, start, origin
        self._route = None

    def _road(self):
        if self._route is None and self._tree is not None:
            lat, lon = self._origin
            self._route = self._tree.route_of(self._start, self.seconds, lat, lon)
        return self._route

    @property
    def route(self) -> list[list[float]] | None:
        """[lon, lat] from the team to the incident, None when timed as the crow flies."""
        road = self._road()
        if road is None:
            return None
        lat, lon = self._origin
        end_lat, end_lon = road.end
        return [
            [round(lon, 6), round(lat, 6)],
            *self._tree.graph.coordinates(road.nodes),
            [round(end_lon, 6), round(end_lat, 6)],
        ]

    @property
    def metres(self) -> float | None:
        road = self._road()
        return road.metres if road is not None else None


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
        timed = tree.seconds_from(origins) if tree is not None else [None] * len(origins)
        found = []
        for origin, by_road in zip(origins, timed, strict=True):
            if by_road is None:
                found.append(Estimate(fallback().seconds(*origin, lat, lon, service)))
            else:
                found.append(Estimate(by_road[0], tree, by_road[1], origin))
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

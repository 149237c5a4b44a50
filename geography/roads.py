"""The road graph: travel times over the imported streets, one search for every team.

Streets become directed edges between their consecutive nodes (both ways unless one way),
timed by road class and service (settings ROAD_SPEEDS_KMH, ROAD_SERVICE_FACTOR,
ROAD_SERVICE_SPEEDS_KMH). Ranking teams runs ONE Dijkstra from the incident over the reversed
graph: the time from every node to the incident, so every candidate is timed at once, and the
predecessor tree gives each candidate's route.
"""

import itertools
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geography.models import Import, Street

METRES_PER_DEGREE = 111_195.0
RELOAD_CHECK_SECONDS = 30.0


@dataclass
class Route:
    """From a start to the incident: seconds, metres, and the nodes followed."""

    seconds: float
    metres: float
    nodes: list[int]  # graph indexes, from the start to the incident
    start: tuple[float, float]  # (lat, lon) the route leaves from
    end: tuple[float, float]  # (lat, lon) of the incident


@dataclass
class SearchTree:
    """One reverse search from an incident: the time from every node to it."""

    graph: "RoadGraph"
    target: int
    seconds: np.ndarray
    predecessors: np.ndarray
    service: str
    lat: float
    lon: float
    access_seconds: float

    def seconds_from(self, origins: list[tuple[float, float]]) -> list[tuple[float, int] | None]:
        """(seconds to the incident, start node) from each (lat, lon) origin, all at once;
        None for an origin off the network or that cannot reach it."""
        if not origins:
            return []
        starts, snaps = self.graph.nearest_nodes(origins)
        access_speed = settings.ROAD_ACCESS_SPEED_KMH / 3.6
        found: list[tuple[float, int] | None] = []
        for start, snap_m in zip(starts.tolist(), snaps.tolist(), strict=True):
            on_road = float(self.seconds[start])
            if snap_m > settings.ROAD_SNAP_MAX_M or not math.isfinite(on_road):
                found.append(None)
            else:
                found.append((on_road + self.access_seconds + snap_m / access_speed, start))
        return found

    def route_from(self, lat: float, lon: float) -> Route | None:
        (timed,) = self.seconds_from([(lat, lon)])
        return None if timed is None else self.route_of(timed[1], timed[0], lat, lon)

    def route_of(self, start: int, seconds: float, lat: float, lon: float) -> Route | None:
        """The route from a start node, read from the search's predecessor tree."""
        nodes = [start]
        predecessors = self.predecessors
        while nodes[-1] != self.target:
            step = int(predecessors[nodes[-1]])
            if step < 0:
                return None
            nodes.append(step)
        return Route(
            seconds=seconds,
            metres=self.graph.path_metres(nodes),
            nodes=nodes,
            start=(lat, lon),
            end=(self.lat, self.lon),
        )


@dataclass
class RoadGraph:
    lon: np.ndarray
    lat: np.ndarray
    source: np.ndarray  # edge origin (node index)
    target: np.ndarray  # edge end
    metres: np.ndarray
    road_class: np.ndarray  # index into `classes`
    street: np.ndarray  # index into `names`
    classes: list[str]
    names: list[str]
    _reversed: dict[str, csr_matrix] = field(default_factory=dict, repr=False)
    _edge_of: dict[tuple[int, int], int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.scale = math.cos(math.radians(float(np.mean(self.lat)))) if len(self.lat) else 1.0
        self.tree = cKDTree(np.column_stack([self.lon * self.scale, self.lat]))

    @property
    def edge_count(self) -> int:
        return len(self.source)

    def nearest_node(self, lat: float, lon: float) -> tuple[int | None, float]:
        if not len(self.lat):
            return None, math.inf
        distance, index = self.tree.query((lon * self.scale, lat))
        return int(index), float(distance) * METRES_PER_DEGREE

    def nearest_nodes(self, points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node and its distance (m) of each (lat, lon), in one query."""
        array = np.asarray(points, dtype=float)
        distances, indexes = self.tree.query(
            np.column_stack([array[:, 1] * self.scale, array[:, 0]])
        )
        return indexes, distances * METRES_PER_DEGREE

    def speeds_ms(self, service: str) -> np.ndarray:
        """Metres per second of each road class for `service` (0: not taken)."""
        factor = settings.ROAD_SERVICE_FACTOR.get(service, 1.0)
        overrides = settings.ROAD_SERVICE_SPEEDS_KMH.get(service, {})
        speeds = []
        for name in self.classes:
            if name in overrides:
                speeds.append(overrides[name])
            else:
                base = settings.ROAD_SPEEDS_KMH.get(name, settings.ROAD_DEFAULT_SPEED_KMH)
                speeds.append(base * factor)
        return np.array(speeds) / 3.6

    def reversed_for(self, service: str) -> csr_matrix:
        """The graph with every edge turned around, weighted in seconds for `service`."""
        matrix = self._reversed.get(service)
        if matrix is None:
            speed = self.speeds_ms(service)[self.road_class]
            usable = speed > 0
            seconds = np.maximum(self.metres[usable] / speed[usable], 1e-3)
            rows, cols = self.target[usable], self.source[usable]
            # Two ways between the same junctions: keep the faster (a sparse matrix would add).
            order = np.lexsort((seconds, cols, rows))
            rows, cols, seconds = rows[order], cols[order], seconds[order]
            first = np.ones(len(rows), dtype=bool)
            first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
            size = len(self.lat)
            matrix = csr_matrix((seconds[first], (rows[first], cols[first])), shape=(size, size))
            self._reversed[service] = matrix
        return matrix

    def search_to(
        self, lat: float, lon: float, service: str, limit_s: float = np.inf
    ) -> SearchTree | None:
        """Times from every node to (lat, lon): one search, whatever the number of teams."""
        target, snap_m = self.nearest_node(lat, lon)
        if target is None or snap_m > settings.ROAD_SNAP_MAX_M:
            return None
        seconds, predecessors = dijkstra(
            self.reversed_for(service),
            directed=True,
            indices=target,
            return_predecessors=True,
            limit=limit_s,
        )
        return SearchTree(
            self,
            target,
            seconds,
            predecessors,
            service,
            lat,
            lon,
            snap_m / (settings.ROAD_ACCESS_SPEED_KMH / 3.6),
        )

    def edge(self, a: int, b: int) -> int | None:
        if self._edge_of is None:
            self._edge_of = {}
            for index, (s, t) in enumerate(
                zip(self.source.tolist(), self.target.tolist(), strict=True)
            ):
                self._edge_of.setdefault((s, t), index)
        return self._edge_of.get((a, b))

    def path_metres(self, nodes: list[int]) -> float:
        """Length of a path of consecutive nodes (each edge is the straight segment between
        them, as its length was measured)."""
        if len(nodes) < 2:
            return 0.0
        index = np.asarray(nodes)
        lon, lat = self.lon[index], self.lat[index]
        return float(_metres(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum())

    def coordinates(self, nodes: list[int]) -> list[list[float]]:
        """[lon, lat] of each node, as GeoJSON writes a line."""
        index = np.asarray(nodes)
        return np.round(np.column_stack([self.lon[index], self.lat[index]]), 6).tolist()


def _metres(lon0, lat0, lon1, lat1) -> np.ndarray:
    scale = np.cos(np.radians((lat0 + lat1) / 2))
    return np.hypot((lon1 - lon0) * scale, lat1 - lat0) * METRES_PER_DEGREE


def build_graph(streets) -> RoadGraph:
    """streets: (name, road_class, oneway, nodes, points) of each way."""
    index_of: dict[int, int] = {}
    lons: list[float] = []
    lats: list[float] = []
    sources: list[int] = []
    targets: list[int] = []
    classes: list[str] = []
    class_of: dict[str, int] = {}
    class_index: list[int] = []
    names: list[str] = []
    street_index: list[int] = []
    for name, road_class, oneway, nodes, points in streets:
        if len(nodes) < 2 or len(nodes) != len(points):
            continue
        klass = class_of.setdefault(road_class, len(classes))
        if klass == len(classes):
            classes.append(road_class)
        names.append(name)
        number = len(names) - 1
        indexes = []
        for node, (lon, lat) in zip(nodes, points, strict=True):
            index = index_of.get(node)
            if index is None:
                index = index_of[node] = len(lons)
                lons.append(lon)
                lats.append(lat)
            indexes.append(index)
        pairs = list(itertools.pairwise(indexes))
        for a, b in pairs:
            sources.append(a)
            targets.append(b)
        if not oneway:
            for a, b in pairs:
                sources.append(b)
                targets.append(a)
        count = len(pairs) * (1 if oneway else 2)
        class_index.extend([klass] * count)
        street_index.extend([number] * count)
    lon, lat = np.array(lons), np.array(lats)
    source, target = np.array(sources, dtype=np.int32), np.array(targets, dtype=np.int32)
    return RoadGraph(
        lon=lon,
        lat=lat,
        source=source,
        target=target,
        metres=_metres(lon[source], lat[source], lon[target], lat[target])
        if len(source)
        else np.array([]),
        road_class=np.array(class_index, dtype=np.int16),
        street=np.array(street_index, dtype=np.int32),
        classes=classes,
        names=names,
    )


def load_graph() -> RoadGraph | None:
    rows = Street.objects.values_list("name", "road_class", "oneway", "nodes", "points")
    graph = build_graph(rows.iterator(chunk_size=5000))
    return graph if graph.edge_count else None


_lock = threading.Lock()
_graph: RoadGraph | None = None
_graph_import: int | None = -1
_checked_at = 0.0


def graph() -> RoadGraph | None:
    """This process's road graph (None when no street is imported), reloaded after a newer
    import of streets."""
    global _graph, _graph_import, _checked_at
    now = time.monotonic()
    if _graph_import != -1 and now - _checked_at < RELOAD_CHECK_SECONDS:
        return _graph
    with _lock:
        latest = (
            Import.objects.filter(kind=Import.Kind.STREETS)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if latest != _graph_import:
            _graph, _graph_import = (load_graph() if latest is not None else None), latest
        _checked_at = now
        return _graph


def forget_graph() -> None:
    global _graph, _graph_import, _checked_at
    with _lock:
        _graph, _graph_import, _checked_at = None, -1, 0.0

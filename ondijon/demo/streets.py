"""Streets and addresses of the demo metropolis: a street grid around each commune's centre,
main roads between neighbouring communes, French street names and BAN-format addresses
numbered along them (odd on the left, even on the right, as in France)."""

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from geography.models import Street
from ondijon.geo import distance_m, offset

# (blocks per side, block length in metres) of a commune's grid: the city, then the others.
CITY_GRID = (30, 160.0)
TOWN_GRID = (8, 130.0)
ADDRESS_SPACING_M = 30.0
ADDRESS_SETBACK_M = 8.0
POSTCODES = {
    "21231": "21000",
    "21166": "21300",
    "21617": "21240",
    "21171": "21800",
    "21515": "21800",
    "21355": "21600",
    "21278": "21121",
    "21540": "21850",
    "21390": "21160",
    "21485": "21370",
    "21452": "21800",
    "21605": "21800",
    "21481": "21160",
    "21003": "21121",
    "21223": "21121",
    "21315": "21121",
    "21473": "21600",
    "21263": "21600",
    "21105": "21110",
    "21371": "21110",
    "21103": "21560",
    "21192": "21160",
    "21271": "21160",
}
# Who and what French streets are named after, one name for one street of a commune (a real
# commune has one rue Pasteur, which is what lets a typed address name one place). The city's
# main east-west street is rue de la Liberté. The city's grid takes 62 of them.
NAMES = [
    "de la Liberté",
    "Victor Hugo",
    "Jean Jaurès",
    "du Général de Gaulle",
    "Pasteur",
    "Jules Ferry",
    "de la République",
    "Gambetta",
    "Carnot",
    "Voltaire",
    "Émile Zola",
    "Saint-Michel",
    "des Tilleuls",
    "du Château",
    "de l'Église",
    "Gustave Eiffel",
    "Marie Curie",
    "Jean Moulin",
    "du Maréchal Foch",
    "Sainte-Anne",
    "des Écoles",
    "de la Gare",
    "Berbisey",
    "Chabot-Charny",
    "Vauban",
    "Condorcet",
    "Monge",
    "d'Auxonne",
    "des Vignes",
    "du Stade",
    "Anatole France",
    "Paul Bert",
    "Léon Blum",
    "Lamartine",
    "Mozart",
    "des Lilas",
    "des Peupliers",
    "du Moulin",
    "de la Fontaine",
    "Saint-Nicolas",
    "Danton",
    "Claude Bernard",
    "des Rosiers",
    "du Lavoir",
    "de la Mairie",
    "des Jardins",
    "Rameau",
    "Buffon",
    "Devosge",
    "de la Verrerie",
    "des Godrans",
    "Piron",
    "Jeannin",
    "des Forges",
    "Sambin",
    "de Mirande",
    "Courtépée",
    "Mably",
    "Bossuet",
    "Crébillon",
    "Parmentier",
    "Mirabeau",
    "Lamonnoye",
    "des Perrières",
]
ROW_TYPES = ["Rue", "Rue", "Rue", "Impasse", "Rue", "Allée"]
COLUMN_TYPES = ["Avenue", "Rue", "Boulevard", "Rue", "Chemin", "Rue"]


@dataclass
class DemoGeography:
    streets: list[Street]
    addresses: list[dict]  # BAN rows

    def snapper(self) -> "StreetSnapper":
        return StreetSnapper(self.streets)


class StreetSnapper:
    """Moves a point onto the nearest street (equipment stands along streets)."""

    def __init__(self, streets: list[Street]) -> None:
        points = []
        for street in streets:
            for (lon0, lat0), (lon1, lat1) in zip(street.points, street.points[1:], strict=False):
                steps = max(1, round(distance_m(lat0, lon0, lat1, lon1) / 10))
                for step in range(steps):
                    t = step / steps
                    points.append((lon0 + t * (lon1 - lon0), lat0 + t * (lat1 - lat0)))
        self.points = np.array(points)
        self.scale = math.cos(math.radians(float(np.mean(self.points[:, 1]))))
        self.tree = cKDTree(np.column_stack([self.points[:, 0] * self.scale, self.points[:, 1]]))

    def snap(self, lat: float, lon: float) -> tuple[float, float]:
        _, index = self.tree.query((lon * self.scale, lat))
        lon_s, lat_s = self.points[index]
        return float(lat_s), float(lon_s)


def build(communes: list[tuple], insee: dict[str, str]) -> DemoGeography:
    """communes: (code, name, lat, lon, population) as the seed lists them."""
    streets: list[Street] = []
    addresses: list[dict] = []
    for number, (code, name, lat, lon, population) in enumerate(communes):
        blocks, block_m = CITY_GRID if population > 100_000 else TOWN_GRID
        for street, named in _grid(number, lat, lon, blocks, block_m):
            streets.append(street)
            if named:
                addresses.extend(_addresses(street, insee[code], name))
    for street, commune in _main_roads(communes):
        streets.append(street)
        addresses.extend(_addresses(street, insee[commune[0]], commune[1]))
    return DemoGeography(streets, addresses)


def _grid(number: int, lat: float, lon: float, blocks: int, block_m: float) -> Iterator:
    half = blocks * block_m / 2

    def node(row: int, column: int) -> int:
        return number * 10_000 + row * 100 + column

    def point(row: int, column: int) -> list[float]:
        plat, plon = offset(lat, lon, half - row * block_m, column * block_m - half)
        return [round(plon, 7), round(plat, 7)]

    middle = blocks // 2
    # The commune's own names, each given once: its main street first, then the rows (the
    # main street is the middle row), then the columns.
    names = [NAMES[(number + k) % len(NAMES)] for k in range(len(NAMES))]
    if 2 * (blocks + 1) - 1 > len(names):
        raise ValueError(f"{blocks + 1} x 2 streets need more than {len(NAMES)} names")
    row_names = iter(names[1 : blocks + 1])
    column_names = iter(names[blocks + 1 :])
    for row in range(blocks + 1):
        kind = ROW_TYPES[row % len(ROW_TYPES)]
        # In the city, every third street is one way, alternately east and west.
        oneway = blocks > 10 and row % 3 == 1 and row != middle
        columns = list(range(blocks + 1))
        if oneway and row % 2:
            columns.reverse()
        yield (
            Street(
                source=Street.Source.DEMO,
                source_id=node(row, 99),
                name=f"Rue {names[0]}" if row == middle else f"{kind} {next(row_names)}",
                road_class="secondary" if row == middle else "residential",
                oneway=oneway,
                nodes=[node(row, c) for c in columns],
                points=[point(row, c) for c in columns],
            ),
            True,
        )
    for column in range(blocks + 1):
        name = next(column_names)
        kind = COLUMN_TYPES[column % len(COLUMN_TYPES)]
        yield (
            Street(
                source=Street.Source.DEMO,
                source_id=node(99, column),
                name=f"{kind} {name}" if column != middle else f"Boulevard {name}",
                road_class="secondary" if column == middle else "residential",
                oneway=False,
                nodes=[node(r, column) for r in range(blocks + 1)],
                points=[point(r, column) for r in range(blocks + 1)],
            ),
            True,
        )


def _main_roads(communes: list[tuple]) -> Iterator:
    """A primary road from each commune's centre to its three nearest neighbours'."""
    pairs = set()
    for i, (_, _, lat, lon, _) in enumerate(communes):
        nearest = sorted(
            (distance_m(lat, lon, other[2], other[3]), j)
            for j, other in enumerate(communes)
            if j != i
        )[:3]
        pairs.update(tuple(sorted((i, j))) for _, j in nearest)
    for index, (i, j) in enumerate(sorted(pairs)):
        a, b = communes[i], communes[j]
        blocks_a = (CITY_GRID if a[4] > 100_000 else TOWN_GRID)[0]
        blocks_b = (CITY_GRID if b[4] > 100_000 else TOWN_GRID)[0]
        start = i * 10_000 + (blocks_a // 2) * 100 + blocks_a // 2
        end = j * 10_000 + (blocks_b // 2) * 100 + blocks_b // 2
        length = distance_m(a[2], a[3], b[2], b[3])
        steps = max(2, round(length / 250))
        points = [
            [
                round(a[3] + (b[3] - a[3]) * k / steps, 7),
                round(a[2] + (b[2] - a[2]) * k / steps, 7),
            ]
            for k in range(steps + 1)
        ]
        nodes = [start, *(5_000_000 + index * 1000 + k for k in range(1, steps)), end]
        yield (
            Street(
                source=Street.Source.DEMO,
                source_id=900_000 + index,
                name=f"Route de {b[1]}",
                road_class="primary",
                oneway=False,
                nodes=nodes,
                points=points,
            ),
            a,
        )


def _addresses(street: Street, code_insee: str, commune: str) -> list[dict]:
    """BAN rows numbered from the street's start: odd on the left, even on the right."""
    rows = []
    walked = 0.0
    numero = {1: 1, -1: 2}
    street_code = street.source_id % 100_000
    for (lon0, lat0), (lon1, lat1) in zip(street.points, street.points[1:], strict=False):
        length = distance_m(lat0, lon0, lat1, lon1)
        if length == 0:
            continue
        north = (lat1 - lat0) / length * 111_195
        east = (lon1 - lon0) / length * 111_195 * math.cos(math.radians(lat0))
        position = ADDRESS_SPACING_M / 2 - walked % ADDRESS_SPACING_M
        position = position if position >= 0 else position + ADDRESS_SPACING_M
        while position < length:
            t = position / length
            lat, lon = lat0 + t * (lat1 - lat0), lon0 + t * (lon1 - lon0)
            for side in (1, -1):  # left of the direction of travel, then right
                plat, plon = offset(
                    lat, lon, side * east * ADDRESS_SETBACK_M, -side * north * ADDRESS_SETBACK_M
                )
                rows.append(
                    {
                        "id": f"{code_insee}_{street_code:05d}_{numero[side]:05d}",
                        "numero": str(numero[side]),
                        "rep": "",
                        "nom_voie": street.name,
                        "code_postal": POSTCODES.get(code_insee, ""),
                        "code_insee": code_insee,
                        "nom_commune": commune,
                        "lon": f"{plon:.7f}",
                        "lat": f"{plat:.7f}",
                    }
                )
                numero[side] += 2
            position += ADDRESS_SPACING_M
        walked += length
    return rows

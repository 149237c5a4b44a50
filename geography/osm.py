"""Streets and the road graph from an OpenStreetMap extract (.osm.pbf), read with osmium."""

from collections.abc import Iterator
from pathlib import Path

import osmium

from geography.models import Street

# The ways a vehicle drives on, as OpenStreetMap tags them.
DRIVABLE = {
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
}
ONEWAY = {"yes", "true", "1"}


def streets(path: str | Path) -> Iterator[Street]:
    """The drivable ways of an extract as Street rows (not saved), nodes located."""
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for way in processor:
        if not way.is_way():
            continue
        tags = way.tags
        road_class = tags.get("highway", "")
        if road_class not in DRIVABLE or tags.get("area") == "yes":
            continue
        if tags.get("access") in ("no", "private") or tags.get("motor_vehicle") == "no":
            continue
        nodes, points = [], []
        for node in way.nodes:
            location = node.location
            if not location.valid():
                continue
            nodes.append(node.ref)
            points.append([round(location.lon, 7), round(location.lat, 7)])
        if len(nodes) < 2:
            continue
        oneway_tag = tags.get("oneway", "")
        oneway = (
            oneway_tag in ONEWAY
            or oneway_tag == "-1"
            or tags.get("junction") == "roundabout"
            or road_class == "motorway"
        )
        if oneway_tag == "-1":  # one way against the drawing direction
            nodes.reverse()
            points.reverse()
        yield Street(
            source=Street.Source.OSM,
            source_id=way.id,
            name=(tags.get("name") or tags.get("ref") or "")[:200],
            road_class=road_class[:32],
            oneway=oneway,
            nodes=nodes,
            points=points,
        )

"""Turn-by-turn directions for a crew, with street names, in the user's language."""

import itertools
import math
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from geography.roads import RoadGraph, Route


def compass() -> list[str]:
    return [
        pgettext("heading", "north"),
        pgettext("heading", "north-east"),
        pgettext("heading", "east"),
        pgettext("heading", "south-east"),
        pgettext("heading", "south"),
        pgettext("heading", "south-west"),
        pgettext("heading", "west"),
        pgettext("heading", "north-west"),
    ]


@dataclass
class Step:
    instruction: str
    street: str
    metres: float
    maneuver: str  # depart, straight, slight_left, left, sharp_left, uturn, ..., arrive
    latitude: float
    longitude: float

    def as_dict(self) -> dict:
        return {
            "instruction": self.instruction,
            "street": self.street,
            "distance_m": round(self.metres),
            "maneuver": self.maneuver,
            "latitude": round(self.latitude, 6),
            "longitude": round(self.longitude, 6),
        }


def _bearing(graph: RoadGraph, a: int, b: int) -> float:
    dx = (graph.lon[b] - graph.lon[a]) * graph.scale
    dy = graph.lat[b] - graph.lat[a]
    return (math.degrees(math.atan2(dx, dy)) + 360) % 360


def _maneuver(turn: float) -> str:
    """The kind of turn for a change of heading in degrees (positive: to the right)."""
    size = abs(turn)
    if size < 25:
        return "straight"
    side = "right" if turn > 0 else "left"
    if size < 60:
        return f"slight_{side}"
    if size < 135:
        return side
    if size < 170:
        return f"sharp_{side}"
    return "uturn"


def _instruction(maneuver: str, street: str) -> str:
    texts = {
        "straight": _("Continue onto %(street)s"),
        "slight_left": _("Bear left onto %(street)s"),
        "slight_right": _("Bear right onto %(street)s"),
        "left": _("Turn left onto %(street)s"),
        "right": _("Turn right onto %(street)s"),
        "sharp_left": _("Turn sharp left onto %(street)s"),
        "sharp_right": _("Turn sharp right onto %(street)s"),
        "uturn": _("Make a U-turn onto %(street)s"),
    }
    return texts[maneuver] % {"street": street}


def directions(graph: RoadGraph, route: Route, destination: str = "") -> list[Step]:
    """The steps of a route: depart, each change of street with its turn, arrive."""
    nodes = route.nodes
    unnamed = _("the unnamed road")
    legs: list[dict] = []  # consecutive edges on one street
    for a, b in itertools.pairwise(nodes):
        edge = graph.edge(a, b)
        name = (graph.names[int(graph.street[edge])] if edge is not None else "") or unnamed
        metres = float(graph.metres[edge]) if edge is not None else 0.0
        bearing = _bearing(graph, a, b)
        if legs and legs[-1]["street"] == name:
            legs[-1]["metres"] += metres
            legs[-1]["out"] = bearing
        else:
            legs.append({"street": name, "metres": metres, "in": bearing, "out": bearing, "at": a})
    steps: list[Step] = []
    for number, leg in enumerate(legs):
        at = leg["at"]
        lat, lon = float(graph.lat[at]), float(graph.lon[at])
        if number == 0:
            heading = compass()[round(leg["in"] / 45) % 8]
            text = _("Head %(heading)s on %(street)s") % {
                "heading": heading,
                "street": leg["street"],
            }
            steps.append(Step(text, leg["street"], leg["metres"], "depart", lat, lon))
            continue
        turn = (leg["in"] - legs[number - 1]["out"] + 540) % 360 - 180
        maneuver = _maneuver(turn)
        steps.append(
            Step(
                _instruction(maneuver, leg["street"]),
                leg["street"],
                leg["metres"],
                maneuver,
                lat,
                lon,
            )
        )
    end_lat, end_lon = route.end
    arrive = (
        _("Arrive at %(where)s") % {"where": destination}
        if destination
        else _("Arrive at the destination")
    )
    steps.append(Step(arrive, "", 0.0, "arrive", end_lat, end_lon))
    return steps

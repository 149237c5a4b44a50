"""GET /entities' query: type, id, q (simple), attrs, georel near/within, limit, offset."""

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from equipment.models import Equipment
from ondijon.geo import distance_m
from supervision.models import OPEN_ALERT_STATUSES, Alert
from supervision.ngsi_ld import entities as model

MAX_LIMIT = 1000
DEFAULT_LIMIT = 20
# `attr==value`, `attr!=value`, `attr>=1.5` …, joined by `;` (and).
TERM = re.compile(r"^\s*([A-Za-z_][\w.\[\]]*)\s*(==|!=|>=|<=|>|<)\s*(.+?)\s*$")


class BadQuery(ValueError):
    """A query the standard's grammar or this broker does not take: 400 BadRequestData."""


@dataclass
class Query:
    types: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    terms: list[tuple[str, str, Any]] = field(default_factory=list)
    attrs: list[str] = field(default_factory=list)
    near: tuple[float, float, float | None, float | None] | None = None  # lat, lon, max, min
    within: list[list[float]] | None = None  # exterior ring, [lon, lat]
    limit: int = DEFAULT_LIMIT
    offset: int = 0


def _listed(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _short_type(name: str) -> str:
    # A full IRI (https://smartdatamodels.org/dataModel.Streetlighting/Streetlight) or a term.
    return name.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _value(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        number = float(text)
    except ValueError:
        return text  # an unquoted string, as many clients send
    if not math.isfinite(number):
        raise BadQuery(_("Not a finite number: %(value)s") % {"value": text})
    return number


def supported_q() -> str:
    return _("attribute==value, !=, >, >=, <, <= joined by ';'")


def unsupported(what: str) -> BadQuery:
    return BadQuery(
        _("%(what)s is not supported in q; this broker takes %(supported)s.")
        % {"what": what, "supported": supported_q()}
    )


def parse_terms(q: str) -> list[tuple[str, str, Any]]:
    """The `q` terms, each (attribute path, operator, value); a 400 names what of the
    standard's grammar this broker does not take rather than answering something else."""
    if "|" in q:
        raise unsupported(_("'|' (or)"))
    if "(" in q or ")" in q:
        raise unsupported(_("Parentheses"))
    terms = []
    for part in q.split(";"):
        if "~=" in part:
            raise unsupported(_("'~=' (pattern)"))
        match = TERM.match(part)
        if match is None:
            raise BadQuery(
                _("Not a q term: %(term)s (expected %(supported)s).")
                % {"term": part, "supported": supported_q()}
            )
        text = match[3]
        unquoted = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
        if '"' in unquoted or ("," in text and not text.startswith('"')):
            raise unsupported(_("A list of values"))
        if ".." in text and not text.startswith('"'):
            raise unsupported(_("A range of values"))
        terms.append((match[1], match[2], _value(text)))
    return terms


def _int(params, name: str, default: int, upper: int | None = None) -> int:
    text = params.get(name)
    if text in (None, ""):
        return default
    if not str(text).isdigit():
        raise BadQuery(_("%(name)s is a non-negative integer.") % {"name": name})
    value = int(text)
    if upper is not None and value > upper:
        raise BadQuery(_("%(name)s is at most %(upper)d.") % {"name": name, "upper": upper})
    return value


def _coordinates(text: str | None) -> Any:
    try:
        value = json.loads(text or "")
    except ValueError:
        raise BadQuery(_("coordinates is a JSON array.")) from None
    return value


def _position(value: Any) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) < 2
        or not all(isinstance(c, int | float) and math.isfinite(c) for c in value[:2])
        or abs(value[0]) > 180
        or abs(value[1]) > 90
    ):
        raise BadQuery(_("A position is [longitude, latitude]."))
    return float(value[0]), float(value[1])


def parse(params) -> Query:
    query = Query(
        types=[_short_type(t) for t in _listed(params.get("type"))],
        ids=_listed(params.get("id")),
        attrs=_listed(params.get("attrs")),
        limit=_int(params, "limit", DEFAULT_LIMIT, MAX_LIMIT),
        offset=_int(params, "offset", 0),
    )
    if params.get("q"):
        query.terms = parse_terms(params["q"])
    georel = params.get("georel")
    if georel:
        geometry = params.get("geometry")
        coordinates = _coordinates(params.get("coordinates"))
        relation, *modifiers = georel.split(";")
        if relation == "near":
            if geometry != "Point":
                raise BadQuery(_("near takes a Point geometry."))
            lon, lat = _position(coordinates)
            bounds: dict[str, float] = {}
            for modifier in modifiers:
                name, _sep, text = modifier.partition("==")
                if name not in ("maxDistance", "minDistance"):
                    raise BadQuery(_("near takes maxDistance or minDistance."))
                try:
                    bounds[name] = float(text)
                except ValueError:
                    raise BadQuery(_("A distance is a number of metres.")) from None
            if not bounds:
                raise BadQuery(_("near needs a maxDistance or a minDistance."))
            query.near = (lat, lon, bounds.get("maxDistance"), bounds.get("minDistance"))
        elif relation == "within":
            if geometry != "Polygon" or not isinstance(coordinates, list) or not coordinates:
                raise BadQuery(_("within takes a Polygon geometry."))
            ring = [list(_position(p)) for p in coordinates[0]]
            if len(ring) < 4:
                raise BadQuery(_("A polygon ring has at least four positions."))
            query.within = ring
        else:
            raise BadQuery(_("georel is near or within here."))
    elif params.get("geometry") or params.get("coordinates"):
        raise BadQuery(_("geometry and coordinates go with georel."))
    return query


# --- Matching ----------------------------------------------------------------------------------


def _attribute_value(entity: dict, path: str) -> Any:
    name, _sep, sub = path.partition("[")
    attribute = entity.get(name.split(".")[0])
    if not isinstance(attribute, dict):
        return None
    value = attribute.get("value", attribute.get("object"))
    if sub and isinstance(value, dict):
        value = value.get(sub.rstrip("]"))
    if isinstance(value, dict) and "@value" in value:
        value = value["@value"]
    return value


def term_holds(entity: dict, term: tuple[str, str, Any]) -> bool:
    path, operator, wanted = term
    value = _attribute_value(entity, path)
    if value is None:
        return operator == "!="
    if operator in ("==", "!="):
        same = value == wanted or (
            isinstance(wanted, float) and isinstance(value, int | float) and value == wanted
        )
        return same if operator == "==" else not same
    if type(value) is bool or not isinstance(value, int | float | str):
        return False
    if isinstance(value, str) != isinstance(wanted, str):
        return False
    return {">": value > wanted, "<": value < wanted, ">=": value >= wanted, "<=": value <= wanted}[
        operator
    ]


def _inside(lon: float, lat: float, ring: list[list[float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def geo_holds(query: Query, entity: dict) -> bool:
    if query.near is None and query.within is None:
        return True
    location = entity.get("location")
    if not location:
        return False
    lon, lat = location["value"]["coordinates"]
    if query.near is not None:
        here_lat, here_lon, most, least = query.near
        distance = distance_m(lat, lon, here_lat, here_lon)
        return (most is None or distance <= most) and (least is None or distance >= least)
    return _inside(lon, lat, query.within)


def project(entity: dict, attrs: list[str]) -> dict:
    if not attrs:
        return entity
    return {k: v for k, v in entity.items() if k in ("id", "type", "@context") or k in attrs}


# --- The candidates, narrowed in the database first ----------------------------------------


S = Equipment.Status
WORKING_FINE = [S.OK]
FAILING = [S.FAULT, S.DEGRADED]
STOPPED = [S.OFFLINE, S.MAINTENANCE]
# The equality terms the database answers (the common questions of a partner: failing
# streetlights, buses out of service, a district's devices): each the equipment whose entity
# carries the attribute with that value (supervision/ngsi_ld/entities.py), nothing more.
STATUS_OF_VALUE = {
    ("status", "ok"): ("Streetlight", WORKING_FINE),
    ("status", "defectiveLamp"): ("Streetlight", FAILING),
    ("serviceStatus", "onRoute"): ("Vehicle", WORKING_FINE),
    ("serviceStatus", "outOfService"): ("Vehicle", [*FAILING, *STOPPED]),
}
IN_DATABASE = {"status", "serviceStatus", "deviceState", "areaServed"}


def in_database(term: tuple[str, str, Any]) -> bool:
    return term[0] in IN_DATABASE and term[1] == "=="


def equality_filter(term: tuple[str, str, Any]) -> Q:
    """The equipment whose entity holds `attribute == value` (an impossible Q when none can)."""
    name, _operator, value = term
    nothing = Q(pk__in=[])
    if not isinstance(value, str):
        return nothing  # these attributes are all text
    if name == "areaServed":
        return Q(district__name=value)
    if name == "deviceState":
        device_kinds = model.KINDS_OF_TYPE.get(model.DEVICE, [])
        return Q(kind__in=device_kinds, status=value) if value in S.values else nothing
    if (name, value) not in STATUS_OF_VALUE:
        return nothing
    entity_type, statuses = STATUS_OF_VALUE[(name, value)]
    return Q(kind__in=model.KINDS_OF_TYPE[entity_type], status__in=statuses)


def _equipment(query: Query, types: set[str]) -> QuerySet[Equipment]:
    kinds = [kind for t in types for kind in model.KINDS_OF_TYPE.get(t, [])]
    found = Equipment.objects.filter(kind__in=kinds).select_related("district", "parent")
    for term in query.terms:
        if in_database(term):
            found = found.filter(equality_filter(term))
    codes = [
        parsed[1]
        for parsed in map(model.parse_urn, query.ids)
        if parsed and parsed[0] != model.ALERT
    ]
    if query.ids:
        found = found.filter(code__in=codes)
    if query.near is not None and query.near[2] is not None:
        lat, lon, most, _least = query.near
        dlat = most / 111_320 + 1e-6
        dlon = most / (111_320 * max(math.cos(math.radians(lat)), 0.01)) + 1e-6
        found = found.filter(
            latitude__range=(lat - dlat, lat + dlat), longitude__range=(lon - dlon, lon + dlon)
        )
    if query.within is not None:
        lons, lats = zip(*query.within, strict=True)
        found = found.filter(
            latitude__range=(min(lats), max(lats)), longitude__range=(min(lons), max(lons))
        )
    return found.order_by("code")


def public_alerts() -> QuerySet[Alert]:
    """Open alerts, less the hotline's (their titles may speak of a caller)."""
    return (
        Alert.objects.filter(status__in=OPEN_ALERT_STATUSES)
        .exclude(source=Alert.Source.HOTLINE)
        .select_related("equipment", "equipment__district")
    )


def _alerts(query: Query) -> QuerySet[Alert]:
    found = public_alerts()
    if any(in_database(term) for term in query.terms):
        return found.none()  # an alert entity has none of those attributes
    if query.ids:
        pks = [
            parsed[1]
            for parsed in map(model.parse_urn, query.ids)
            if parsed and parsed[0] == model.ALERT and parsed[1].isdigit()
        ]
        found = found.filter(pk__in=pks)
    return found.order_by("pk")


def _types(query: Query) -> set[str]:
    types = set(query.types or model.TYPES) & set(model.TYPES)
    if query.ids:
        types &= {parsed[0] for parsed in map(model.parse_urn, query.ids) if parsed}
    return types


def candidates(query: Query) -> Iterator[dict]:
    types = _types(query)
    wanted = set(query.ids)
    equipment_types = types - {model.ALERT}
    if equipment_types:
        for equipment in _equipment(query, equipment_types).iterator(chunk_size=2000):
            entity = model.equipment_entity(equipment)
            if not wanted or entity["id"] in wanted:  # the id names its type too
                yield entity
    if model.ALERT in types:
        for alert in _alerts(query):
            yield model.alert_entity(alert)


def matches(query: Query, entity: dict) -> bool:
    return all(term_holds(entity, term) for term in query.terms) and geo_holds(query, entity)


def _run_in_database(query: Query) -> tuple[list[dict], int]:
    """Type, paging and the equality terms the database answers: counted and sliced by the
    database (34,000 streetlights are not built to return 20)."""
    types = _types(query)
    equipment_types = types - {model.ALERT}
    equipment = _equipment(query, equipment_types) if equipment_types else None
    alerts = _alerts(query) if model.ALERT in types else None
    counts = [found.count() if found is not None else 0 for found in (equipment, alerts)]
    page: list[dict] = []
    start, stop = query.offset, query.offset + query.limit
    if equipment is not None and start < counts[0]:
        page += [model.equipment_entity(e) for e in equipment[start : min(stop, counts[0])]]
    if alerts is not None and stop > counts[0]:
        first = max(0, start - counts[0])
        page += [model.alert_entity(a) for a in alerts[first : stop - counts[0]]]
    return [project(entity, query.attrs) for entity in page], sum(counts)


def run(query: Query) -> tuple[list[dict], int]:
    """The page asked for, and how many match in all."""
    if (
        all(in_database(term) for term in query.terms)
        and query.near is None
        and query.within is None
        and not query.ids
    ):
        return _run_in_database(query)
    page, count = [], 0
    for entity in candidates(query):
        if not matches(query, entity):
            continue
        if query.offset <= count < query.offset + query.limit:
            page.append(project(entity, query.attrs))
        count += 1
    return page, count


def entity_named(entity_id: str) -> dict | None:
    parsed = model.parse_urn(entity_id)
    if parsed is None:
        return None
    found = list(candidates(Query(types=[parsed[0]], ids=[entity_id], limit=1)))
    return found[0] if found else None


def entities_of(ids: Iterable[str]) -> list[dict]:
    ids = list(ids)
    return list(candidates(Query(ids=ids, limit=len(ids)))) if ids else []

"""GET /temporal/entities: the readings history of the city's equipment as NGSI-LD temporal
entities (each attribute an array of its instances, with `observedAt`)."""

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from equipment.models import Equipment, Reading
from ondijon import inputs
from supervision.ngsi_ld import entities as model
from supervision.ngsi_ld import query as queries

DEFAULT_LAST_N = 100
MAX_LAST_N = 1000


def _same(value: Any) -> Any:
    return value


# Per data model: a reading's metric, the attribute it is, and how its value converts.
METRICS: dict[str, dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "Streetlight": {"power_w": ("powerConsumption", _same), "lamp": ("powerState", _same)},
    "StreetlightControlCabinet": {"voltage": ("voltageR", _same)},
    # The Smart Data Model's flow is in m³/s.
    "WaterObserved": {"flow_m3h": ("flow", lambda v: round(v / 3600, 6))},
}


def _time(params, name: str):
    try:
        return inputs.parse_timestamp(params.get(name) or "")
    except inputs.BadValue as problem:
        raise queries.BadQuery(f"{name}: {problem}") from None


def _window(params) -> tuple[Any, Any]:
    timerel = params.get("timerel")
    if not timerel:
        return None, None
    at = _time(params, "timeAt")
    if timerel == "before":
        return None, at
    if timerel == "after":
        return at, None
    if timerel == "between":
        end = _time(params, "endTimeAt")
        if end < at:
            raise queries.BadQuery(_("endTimeAt is before timeAt."))
        return at, end
    raise queries.BadQuery(_("timerel is before, after or between."))


def temporal_entities(params) -> list[dict]:
    query = queries.parse(params)
    query.types = [t for t in (query.types or list(METRICS)) if t in METRICS]
    query.terms = []  # q reads the current state; temporal q is not supported
    start, end = _window(params)
    last_n = queries._int(params, "lastN", DEFAULT_LAST_N, MAX_LAST_N) or DEFAULT_LAST_N
    simplified = "temporalValues" in params.get("options", "").split(",")
    page, _count = queries.run(query)
    codes = {entity["id"].rsplit(":", 1)[1]: entity for entity in page}
    results = []
    for equipment in Equipment.objects.filter(code__in=codes).order_by("code"):
        entity_type = model.equipment_type(equipment)
        readings = Reading.objects.filter(equipment=equipment).order_by("-time")
        if start:
            readings = readings.filter(time__gte=start)
        if end:
            readings = readings.filter(time__lt=end)
        instances: dict[str, list] = {}
        for reading in readings.only("time", "metrics")[:last_n]:
            for metric, (name, convert) in METRICS[entity_type].items():
                value = reading.metrics.get(metric)
                if value is None or (query.attrs and name not in query.attrs):
                    continue
                instances.setdefault(name, []).append(
                    (convert(value), timezone.localtime(reading.time).isoformat())
                )
        temporal: dict[str, Any] = {
            "id": model.urn(entity_type, equipment.code),
            "type": entity_type,
        }
        for name, values in instances.items():
            values.reverse()  # oldest first, as the standard lists instances
            if simplified:
                temporal[name] = {"type": "Property", "values": [[v, t] for v, t in values]}
            else:
                temporal[name] = [
                    {"type": "Property", "value": v, "observedAt": t} for v, t in values
                ]
        results.append(temporal)
    return results

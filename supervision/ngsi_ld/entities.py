"""The city's objects as FIWARE Smart Data Models entities, ids as URNs
(`urn:ngsi-ld:Streetlight:<code>`). Only what is public by nature: equipment and alerts."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from equipment.models import Equipment
from supervision.models import Alert

K = Equipment.Kind
# The data model of each kind of equipment (Device for the rest).
TYPE_OF_KIND = {
    K.STREETLIGHT: "Streetlight",
    K.LIGHTING_CABINET: "StreetlightControlCabinet",
    K.WATER_SENSOR: "WaterObserved",
    K.TRAFFIC_SIGNAL: "TrafficFlowObserved",
    K.BUS: "Vehicle",
}
DEVICE = "Device"
ALERT = "Alert"
TYPES = sorted({*TYPE_OF_KIND.values(), DEVICE, ALERT})
# The subject of each data model (its JSON-LD terms live under it at smartdatamodels.org).
SUBJECT = {
    "Streetlight": "dataModel.Streetlighting",
    "StreetlightControlCabinet": "dataModel.Streetlighting",
    "WaterObserved": "dataModel.Environment",
    "TrafficFlowObserved": "dataModel.Transportation",
    "Vehicle": "dataModel.Transportation",
    "Device": "dataModel.Device",
    "Alert": "dataModel.Alert",
}
KINDS_OF_TYPE: dict[str, list[str]] = {}
for _kind in K:
    KINDS_OF_TYPE.setdefault(TYPE_OF_KIND.get(_kind, DEVICE), []).append(_kind.value)

ALERT_SEVERITY = {1: "informational", 2: "low", 3: "medium", 4: "high", 5: "critical"}
# The room's alert categories as the Alert model's.
ALERT_CATEGORY = {"traffic": "traffic", "parking": "traffic", "water": "environment"}


def equipment_type(equipment: Equipment) -> str:
    return TYPE_OF_KIND.get(equipment.kind, DEVICE)


def urn(entity_type: str, local_id: Any) -> str:
    return f"urn:ngsi-ld:{entity_type}:{local_id}"


def parse_urn(entity_id: str) -> tuple[str, str] | None:
    parts = entity_id.split(":", 3)
    if len(parts) != 4 or parts[:2] != ["urn", "ngsi-ld"] or parts[2] not in TYPES:
        return None
    return parts[2], parts[3]


def _when(value: datetime) -> dict:
    return {"@type": "DateTime", "@value": timezone.localtime(value).isoformat()}


def _point(lat: float, lon: float) -> dict:
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}


def prop(value: Any, observed_at: datetime | None = None) -> dict:
    attribute = {"type": "Property", "value": value}
    if observed_at:
        attribute["observedAt"] = timezone.localtime(observed_at).isoformat()
    return attribute


def _number(state: dict, name: str) -> float | None:
    value = state.get(name)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def equipment_entity(equipment: Equipment) -> dict:
    """Normalized NGSI-LD entity of a piece of equipment, in its Smart Data Model."""
    entity_type = equipment_type(equipment)
    state, seen = equipment.state or {}, equipment.state_time
    entity: dict[str, Any] = {
        "id": urn(entity_type, equipment.code),
        "type": entity_type,
        "name": prop(equipment.name or equipment.code),
        "location": _point(equipment.latitude, equipment.longitude),
        "areaServed": prop(equipment.district.name),
        "dateModified": prop(_when(equipment.updated_at)),
    }
    working = equipment.status not in (Equipment.Status.OFFLINE, Equipment.Status.MAINTENANCE)
    failing = equipment.status in (Equipment.Status.FAULT, Equipment.Status.DEGRADED)
    if entity_type == "Streetlight":
        if working:
            entity["status"] = prop(
                "defectiveLamp" if failing else "ok", equipment.status_changed_at
            )
        if state.get("lamp") in ("on", "off"):
            entity["powerState"] = prop(state["lamp"], seen)
        if _number(state, "power_w") is not None:
            entity["powerConsumption"] = prop(_number(state, "power_w"), seen)
        if equipment.parent_id and equipment.parent.kind == K.LIGHTING_CABINET:
            entity["refStreetlightControlCabinet"] = {
                "type": "Relationship",
                "object": urn("StreetlightControlCabinet", equipment.parent.code),
            }
    elif entity_type == "StreetlightControlCabinet":
        if _number(state, "voltage") is not None:
            entity["voltageR"] = prop(_number(state, "voltage"), seen)
    elif entity_type == "WaterObserved":
        if seen:
            entity["dateObserved"] = prop(_when(seen))
        if _number(state, "flow_m3h") is not None:
            # The Smart Data Model's flow is in m³/s.
            entity["flow"] = prop(round(_number(state, "flow_m3h") / 3600, 6), seen)
    elif entity_type == "TrafficFlowObserved":
        if seen:
            entity["dateObserved"] = prop(_when(seen))
    elif entity_type == "Vehicle":
        entity["vehicleType"] = prop("bus")
        entity["serviceStatus"] = prop("onRoute" if working and not failing else "outOfService")
    else:
        entity["deviceState"] = prop(equipment.status, equipment.status_changed_at)
        entity["category"] = prop(["sensor"])
        if equipment.last_seen_at:
            entity["dateLastValueReported"] = prop(_when(equipment.last_seen_at))
    return entity


def alert_entity(alert: Alert) -> dict:
    entity: dict[str, Any] = {
        "id": urn(ALERT, alert.pk),
        "type": ALERT,
        "name": prop(alert.title),
        "category": prop(ALERT_CATEGORY.get(alert.category, "security")),
        "subCategory": prop(alert.category),
        "severity": prop(ALERT_SEVERITY.get(alert.severity, "medium")),
        "dateIssued": prop(_when(alert.raised_at)),
        "dateModified": prop(_when(alert.updated_at)),
    }
    equipment = alert.equipment
    if equipment is not None:
        entity["location"] = _point(equipment.latitude, equipment.longitude)
        entity["alertSource"] = {
            "type": "Relationship",
            "object": urn(equipment_type(equipment), equipment.code),
        }
    return entity


def key_values(entity: dict) -> dict:
    """The simplified (keyValues) form: each attribute's value or object."""
    simple = {}
    for name, value in entity.items():
        if isinstance(value, dict) and value.get("type") in ("Property", "GeoProperty"):
            simple[name] = value["value"]
            if isinstance(simple[name], dict) and simple[name].get("@type") == "DateTime":
                simple[name] = simple[name]["@value"]  # as the data model's key-values
        elif isinstance(value, dict) and value.get("type") == "Relationship":
            simple[name] = value["object"]
        else:
            simple[name] = value
    return simple

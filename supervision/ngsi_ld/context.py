"""The JSON-LD @context of ondijon's NGSI-LD entities: the NGSI-LD core terms it uses and the
Smart Data Models' terms of its attributes and types (no fetch from the internet: the room may
have none)."""

from supervision.ngsi_ld.entities import SUBJECT

CORE = "https://uri.etsi.org/ngsi-ld/"
SDM = "https://smartdatamodels.org/"

ATTRIBUTES = [
    "name",
    "areaServed",
    "dateModified",
    "powerState",
    "powerConsumption",
    "voltageR",
    "dateObserved",
    "flow",
    "vehicleType",
    "serviceStatus",
    "deviceState",
    "category",
    "dateLastValueReported",
    "subCategory",
    "severity",
    "dateIssued",
]
RELATIONSHIPS = ["refStreetlightControlCabinet", "alertSource"]

CONTEXT = {
    "@context": {
        "ngsi-ld": CORE,
        "geojson": "https://purl.org/geojson/vocab#",
        "id": "@id",
        "type": "@type",
        "value": f"{CORE}hasValue",
        "object": {"@id": f"{CORE}hasObject", "@type": "@id"},
        "Property": f"{CORE}Property",
        "Relationship": f"{CORE}Relationship",
        "GeoProperty": f"{CORE}GeoProperty",
        "DateTime": f"{CORE}DateTime",
        "observedAt": {"@id": f"{CORE}observedAt", "@type": "DateTime"},
        "location": f"{CORE}location",
        "status": f"{CORE}status",
        "Point": "geojson:Point",
        "Polygon": "geojson:Polygon",
        "coordinates": {"@id": "geojson:coordinates", "@container": "@list"},
        "Notification": f"{CORE}Notification",
        "Subscription": f"{CORE}Subscription",
        "EntityTypeList": f"{CORE}EntityTypeList",
        "typeList": {"@id": f"{CORE}typeList", "@type": "@vocab"},
        **{name: f"{SDM}{subject}/{name}" for name, subject in SUBJECT.items()},
        **{name: f"{SDM}{name}" for name in ATTRIBUTES},
        **{name: {"@id": f"{SDM}{name}", "@type": "@id"} for name in RELATIONSHIPS},
    }
}

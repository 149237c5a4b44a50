"""Open311 GeoReport v2's JSON responses as JSON Schemas, written from the published spec
(wiki.open311.org/GeoReport_v2): no package on PyPI or npm ships them, so they are written
here from the spec's field tables, with its required fields and types."""

NULLABLE_TEXT = {"type": ["string", "null"]}
W3C_DATETIME = {
    "type": ["string", "null"],
    "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$",
}

SERVICES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_code", "service_name", "metadata", "type"],
        "properties": {
            "service_code": {"type": "string", "minLength": 1},
            "service_name": {"type": "string"},
            "description": NULLABLE_TEXT,
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
            "keywords": NULLABLE_TEXT,
            "group": NULLABLE_TEXT,
        },
    },
}

SERVICE_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": {"type": "string"},
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["variable", "code", "datatype", "required", "order", "description"],
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": {"type": "string", "minLength": 1},
                    "datatype": {
                        "enum": [
                            "string",
                            "number",
                            "datetime",
                            "text",
                            "singlevaluelist",
                            "multivaluelist",
                        ]
                    },
                    "required": {"type": "boolean"},
                    "datatype_description": NULLABLE_TEXT,
                    "order": {"type": "integer"},
                    "description": {"type": "string"},
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "name"],
                            "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}

SERVICE_REQUESTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_request_id", "status", "service_code", "requested_datetime"],
        "properties": {
            "service_request_id": {"type": "string", "minLength": 1},
            "status": {"enum": ["open", "closed"]},
            "status_notes": NULLABLE_TEXT,
            "service_name": NULLABLE_TEXT,
            "service_code": {"type": "string"},
            "description": NULLABLE_TEXT,
            "agency_responsible": NULLABLE_TEXT,
            "service_notice": NULLABLE_TEXT,
            "requested_datetime": W3C_DATETIME,
            "updated_datetime": W3C_DATETIME,
            "expected_datetime": W3C_DATETIME,
            "address": NULLABLE_TEXT,
            "address_id": NULLABLE_TEXT,
            "zipcode": NULLABLE_TEXT,
            "lat": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
            "long": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
            "media_url": NULLABLE_TEXT,
        },
        # No personal data in a public read: the spec's POST fields about the requester
        # never come back.
        "not": {
            "anyOf": [
                {"required": [name]}
                for name in ("first_name", "last_name", "phone", "email", "device_id")
            ]
        },
    },
}

POSTED = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
        "properties": {
            "service_request_id": NULLABLE_TEXT,
            "token": NULLABLE_TEXT,
            "service_notice": NULLABLE_TEXT,
            "account_id": NULLABLE_TEXT,
        },
    },
}

ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}


# --- The FIWARE Smart Data Models of Open311 ------------------------------------------------
# The Smart Data Models programme publishes Open311's service and service request as data
# models (dataModel.IssueTracking: `services`, `service_requests`), with each GeoReport
# field's JSON type and enumeration; PyPI `pysmartdatamodels` ships them offline. They name
# the GeoReport `type` and `metadata` of a service `open311:type` and `open311:metadata` (their
# own `type` is the entity's).
# A request's `address` (GeoReport's text) is the model's `address_string` (its `address` is a
# postal address object); the position (`lat`, `long`), `address_id` and `zipcode` are
# GeoReport's own, the model holding them as a `location` GeoProperty and that object.
SMART_DATA_MODEL_NAMES = {
    "services": {"type": "open311:type", "metadata": "open311:metadata"},
    "service_requests": {"address": "address_string"},
}
GEOREPORT_ONLY = {"lat", "long", "address_id", "zipcode"}
JSON_TYPES = {"string": str, "number": (int, float), "boolean": bool, "array": list, "object": dict}


def smart_data_model(data_model: str) -> dict[str, dict]:
    from pysmartdatamodels import pysmartdatamodels as sdm

    rows = [
        row
        for row in sdm.load_all_attributes()
        if row.get("dataModel") == data_model
        and row.get("repoName") == "dataModel.IssueTracking"
        and "parentId" not in row
        and row.get("typeNGSI")
    ]
    return {row["property"]: row for row in rows}


def smart_data_model_problems(data_model: str, records: list[dict]) -> list[str]:
    """What in GeoReport records breaks the Smart Data Model's types and enumerations (a null
    is a field not given), and which of the records' fields the model does not know."""
    known = smart_data_model(data_model)
    renamed = SMART_DATA_MODEL_NAMES.get(data_model, {})
    problems = []
    for record in records:
        for name, value in record.items():
            if data_model == "service_requests" and name in GEOREPORT_ONLY:
                continue
            row = known.get(renamed.get(name, name))
            if row is None:
                problems.append(f"{name}: not in the {data_model} model")
                continue
            expected = JSON_TYPES.get(row.get("type"))
            if value is None or expected is None:
                continue
            if not isinstance(value, expected) or (
                isinstance(value, bool) and expected is not bool
            ):
                problems.append(f"{name}: {value!r} is not a {row['type']}")
            elif row.get("enum") and value not in row["enum"]:
                problems.append(f"{name}: {value!r} is not one of {row['enum']}")
    return problems

"""Checks an NGSI-LD entity against the FIWARE Smart Data Models as PyPI `pysmartdatamodels`
ships them offline (its attribute database: each model's attributes, their NGSI type, JSON
type and enumerations). Its own `validate_payload` fetches schemas from the internet, which
the room may not have: this reads the same models from the package's bundled database."""

from functools import cache

from pysmartdatamodels import pysmartdatamodels as sdm

from supervision.ngsi_ld.entities import SUBJECT

JSON_TYPES = {
    "string": str,
    "number": (int, float),
    "integer": int,
    "boolean": bool,
    "array": list,
    "object": dict,
}


@cache
def attributes_of(data_model: str) -> dict[str, dict]:
    """The model's top-level attributes, by name, in the subject ondijon uses."""
    rows = [
        row
        for row in sdm.load_all_attributes()
        if row.get("dataModel") == data_model
        and row.get("repoName") == SUBJECT[data_model]
        and "parentId" not in row
    ]
    return {
        row["property"]: row for row in rows if row.get("typeNGSI") or row["property"] == "type"
    }


def _value_problems(name: str, value, row: dict) -> list[str]:
    if isinstance(value, dict) and value.get("@type") == "DateTime":
        value = value.get("@value")
    expected = JSON_TYPES.get(row.get("type"))
    if expected and (
        not isinstance(value, expected) or (expected is not bool and isinstance(value, bool))
    ):
        return [f"{name}: {value!r} is not of JSON type {row['type']}"]
    if row.get("enum") and value not in row["enum"]:
        return [f"{name}: {value!r} is not one of {row['enum']}"]
    return []


def problems(entity: dict, key_values: bool = False) -> list[str]:
    """Why the entity is not one of its Smart Data Model (empty: it is)."""
    data_model = entity.get("type")
    if data_model not in SUBJECT or data_model not in sdm.datamodels_subject(SUBJECT[data_model]):
        return [f"type {data_model!r} is not a Smart Data Model here"]
    if not str(entity.get("id", "")).startswith(f"urn:ngsi-ld:{data_model}:"):
        return [f"id {entity.get('id')!r} is not an NGSI-LD URN of its type"]
    known = attributes_of(data_model)
    found = []
    for name, attribute in entity.items():
        if name in ("id", "type", "@context"):
            continue
        row = known.get(name)
        if row is None:
            found.append(f"{name}: not an attribute of {data_model}")
            continue
        if key_values:
            if row["typeNGSI"] == "GeoProperty":
                if not (isinstance(attribute, dict) and "coordinates" in attribute):
                    found.append(f"{name}: not a GeoJSON geometry")
                continue
            if row["typeNGSI"] == "Relationship":
                if not str(attribute).startswith("urn:ngsi-ld:"):
                    found.append(f"{name}: not a URN")
                continue
            found += _value_problems(name, attribute, row)
            continue
        if not isinstance(attribute, dict) or attribute.get("type") != row["typeNGSI"]:
            found.append(f"{name}: expected a {row['typeNGSI']}")
            continue
        if row["typeNGSI"] == "Relationship":
            if not str(attribute.get("object", "")).startswith("urn:ngsi-ld:"):
                found.append(f"{name}: its object is not a URN")
        elif row["typeNGSI"] == "GeoProperty":
            geometry = attribute.get("value", {})
            if geometry.get("type") != "Point" or len(geometry.get("coordinates", [])) != 2:
                found.append(f"{name}: not a GeoJSON Point")
        else:
            found += _value_problems(name, attribute.get("value"), row)
    return found

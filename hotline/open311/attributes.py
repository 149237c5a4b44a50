"""The questions a public category asks with a request (Open311 service definition attributes),
as the administrator types them in the category's admin page."""

from typing import Any

from django.utils.translation import gettext as _

# GeoReport v2's datatypes.
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
LISTS = {"singlevaluelist", "multivaluelist"}


def attributes_problem(attributes: Any) -> str | None:
    """Why the attributes are not a list of valid Open311 attributes (None: they are)."""
    if not isinstance(attributes, list):
        return _("A list of attributes is expected.")
    codes = set()
    for attribute in attributes:
        if not isinstance(attribute, dict):
            return _("Each attribute is an object.")
        code = attribute.get("code")
        if not isinstance(code, str) or not code.strip() or code in codes:
            return _("Each attribute needs a code of its own.")
        codes.add(code)
        if attribute.get("datatype", "string") not in DATATYPES:
            return _("Unknown datatype: %(datatype)s.") % {"datatype": attribute.get("datatype")}
        if not isinstance(attribute.get("description", ""), str):
            return _("An attribute's description is text.")
        values = attribute.get("values", [])
        if not isinstance(values, list) or not all(
            isinstance(value, dict) and "key" in value for value in values
        ):
            return _("An attribute's values are objects with a key and a name.")
        if attribute.get("datatype") in LISTS and not values:
            return _("A list attribute needs its values.")
    return None


def definition(attributes: list[dict]) -> list[dict]:
    """The attributes as GeoReport v2 describes them (every field present)."""
    return [
        {
            "variable": True,
            "code": attribute["code"],
            "datatype": attribute.get("datatype", "string"),
            "required": bool(attribute.get("required", False)),
            "datatype_description": attribute.get("datatype_description", ""),
            "order": order,
            "description": attribute.get("description", ""),
            "values": [
                {"key": str(value["key"]), "name": str(value.get("name", value["key"]))}
                for value in attribute.get("values", [])
            ],
        }
        for order, attribute in enumerate(attributes, start=1)
    ]

"""GeoReport v2 on the wire: the same records as XML (always) or JSON (optional in the spec)."""

import json
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse

# A list field's elements, as the spec names them inside it.
ITEM_TAGS = {"attributes": "attribute", "values": "value"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, record: dict) -> None:
    for name, value in record.items():
        child = ET.SubElement(element, name)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _fill(ET.SubElement(child, ITEM_TAGS.get(name, "item")), item)
                else:
                    ET.SubElement(child, ITEM_TAGS.get(name, "item")).text = _text(item)
        elif isinstance(value, dict):
            _fill(child, value)
        else:
            child.text = _text(value)


def to_xml(root: str, item: str | None, content: list[dict] | dict) -> bytes:
    """`<root><item>…</item>…</root>` for a list, `<root>…</root>` for one record."""
    element = ET.Element(root)
    if item is None:
        _fill(element, content)
    else:
        for record in content:
            _fill(ET.SubElement(element, item), record)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def respond(
    fmt: str, root: str, item: str | None, content: list[dict] | dict, status: int = 200
) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(content, ensure_ascii=False).encode()
        return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    return HttpResponse(
        to_xml(root, item, content), status=status, content_type="text/xml; charset=utf-8"
    )


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The spec's errors: `<errors><error><code/><description/></error></errors>`."""
    content = [{"code": status, "description": text} for text in descriptions]
    return respond(fmt, "errors", "error", content, status)

"""CAP 1.2 alerts and their Atom index, as alert aggregators read them.

Access is the setting STANDARDS_ACCESS["cap"] (public by default: alerts are for everyone),
with its rate limit (ondijon/standards.py). Nothing here names a person: a message says what
the city asks of the public, where, and until when.
"""

import xml.etree.ElementTree as ET

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ondijon.standards import StandardView
from supervision.crisis.cap import CAP_CONTENT_TYPE, cap_time
from supervision.models import CapMessage

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
ATOM_CONTENT_TYPE = "application/atom+xml"
FEED_ENTRIES = 100
ET.register_namespace("", ATOM_NAMESPACE)


class XmlRenderer(BaseRenderer):
    """The view's XML as it is; an error (404, 403, 429) as a short XML document."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, str):
            return data.encode()
        error = ET.Element("error")
        error.text = str((data or {}).get("detail", ""))
        return ET.tostring(error, encoding="utf-8", xml_declaration=True)


class CapRenderer(XmlRenderer):
    media_type = CAP_CONTENT_TYPE
    format = "xml"


class AtomRenderer(XmlRenderer):
    media_type = ATOM_CONTENT_TYPE
    format = "atom"


class FirstRenderer(BaseContentNegotiation):
    """Aggregators send all sorts of Accept headers: the document has one type, give it."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CapView(StandardView, APIView):
    standard = "cap"
    content_negotiation_class = FirstRenderer

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200:
            response["Cache-Control"] = "public, max-age=60"
        return response


class CapAlertView(CapView):
    renderer_classes = [CapRenderer]

    @extend_schema(
        summary="One public alert, as an OASIS CAP 1.2 message",
        responses={
            (200, CAP_CONTENT_TYPE): OpenApiTypes.STR,
            404: OpenApiResponse(description="No such message, or CAP is switched off."),
        },
        auth=[],
    )
    def get(self, request, identifier: str):
        message = get_object_or_404(CapMessage, identifier=identifier)
        return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + message.xml)


class CapFeedView(CapView):
    renderer_classes = [AtomRenderer]

    @extend_schema(
        summary="The public alerts, newest first, as an Atom feed linking each CAP message",
        responses={(200, ATOM_CONTENT_TYPE): OpenApiTypes.STR},
        auth=[],
    )
    def get(self, request):
        messages = list(CapMessage.objects.order_by("-sent", "-pk")[:FEED_ENTRIES])
        return Response(atom_feed(request, messages))


def atom(parent: ET.Element, tag: str, value: str | None = None, **attributes) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NAMESPACE}}}{tag}", attributes)
    if value is not None:
        element.text = value
    return element


def atom_feed(request, messages: list[CapMessage]) -> str:
    feed_url = request.build_absolute_uri(reverse("cap-feed"))
    feed = ET.Element(f"{{{ATOM_NAMESPACE}}}feed")
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
    atom(feed, "id", feed_url)
    atom(feed, "title", f"{settings.CAP_SENDER_NAME} — CAP")
    atom(feed, "updated", cap_time(messages[0].sent if messages else timezone.now()))
    author = atom(feed, "author")
    atom(author, "name", settings.CAP_SENDER_NAME)
    atom(feed, "link", rel="self", type=ATOM_CONTENT_TYPE, href=feed_url)
    for message in messages:
        url = request.build_absolute_uri(reverse("cap-alert", args=[message.identifier]))
        entry = atom(feed, "entry")
        atom(entry, "id", url)
        atom(entry, "title", message.headline)
        atom(entry, "updated", cap_time(message.sent))
        atom(entry, "published", cap_time(message.sent))
        atom(entry, "summary", f"{message.msg_type} ({message.status})")
        atom(entry, "link", rel="alternate", type=CAP_CONTENT_TYPE, href=url)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(feed, encoding="unicode")

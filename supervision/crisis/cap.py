"""The crisis mode's public message as CAP 1.2 alerts (OASIS Common Alerting Protocol).

Switching into a mode with a public message publishes an Alert; amending the message while
the mode lasts publishes an Update, and going back to normal the Cancel, each naming the
messages before it. Each is written in the same transaction as the crisis event that caused
it (the callers: supervision/crisis/services.py), stored as sent, and served at
`/cap/alerts/<identifier>.xml` with an Atom index (supervision/crisis/cap_views.py).

Each message has an info block in French and one in English, and one area per district
(its outline, lat,lon as CAP writes it, and its INSEE code). Times carry their offset from
UTC (Europe/Paris), never `Z`: the OASIS schema refuses it.
"""

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from equipment.models import District
from supervision.models import CapMessage, ModeActivation

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_CONTENT_TYPE = "application/cap+xml"
LANGUAGES = (("fr", "fr-FR"), ("en", "en-US"))
MsgType = CapMessage.MsgType
ET.register_namespace("", CAP_NAMESPACE)


def cap_time(moment: datetime) -> str:
    """`2026-12-02T07:40:00+01:00`: whole seconds, local offset (the XSD's pattern)."""
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(microsecond=0)
    return local.isoformat()


def reference(message: CapMessage) -> str:
    return f"{settings.CAP_SENDER},{message.identifier},{cap_time(message.sent)}"


def publish_alert(activation: ModeActivation) -> CapMessage | None:
    """The mode's public message as a CAP Alert; None when its playbook has none."""
    if not activation.public_message.strip():
        return None
    return publish(activation, MsgType.ALERT)


def publish_update(activation: ModeActivation) -> CapMessage:
    """The amended public message, as an Update of every message sent for the mode."""
    return publish(activation, MsgType.UPDATE if earlier(activation) else MsgType.ALERT)


def publish_cancel(activation: ModeActivation) -> CapMessage | None:
    """The mode ended: a Cancel of its messages; None when none was sent."""
    if not earlier(activation):
        return None
    return publish(activation, MsgType.CANCEL)


def earlier(activation: ModeActivation) -> list[CapMessage]:
    return list(activation.cap_messages.order_by("sent", "pk"))


def publish(activation: ModeActivation, msg_type: str) -> CapMessage:
    """Render and store one message (the caller holds the activation's row lock)."""
    before = earlier(activation)
    sent = timezone.now()
    identifier = f"{settings.CAP_IDENTIFIER_PREFIX}-crisis-{activation.pk}-{len(before) + 1}"
    references = " ".join(reference(message) for message in before)
    with translation.override("fr"):
        headline = headline_of(activation, msg_type)
    message = CapMessage.objects.create(
        identifier=identifier,
        msg_type=msg_type,
        status=settings.CAP_STATUS,
        sent=sent,
        references=references,
        activation=activation,
        headline=headline[:200],
        xml=render(activation, identifier, msg_type, sent, references),
    )
    return message


def headline_of(activation: ModeActivation, msg_type: str) -> str:
    name = activation.mode.name
    if msg_type == MsgType.CANCEL:
        return _("%(mode)s: the crisis mode has ended") % {"mode": name}
    if msg_type == MsgType.UPDATE:
        return _("%(mode)s: public message updated") % {"mode": name}
    return _("%(mode)s: crisis mode in force") % {"mode": name}


def text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NAMESPACE}}}{tag}")
    element.text = value
    return element


def render(
    activation: ModeActivation, identifier: str, msg_type: str, sent: datetime, references: str
) -> str:
    alert = ET.Element(f"{{{CAP_NAMESPACE}}}alert")
    text(alert, "identifier", identifier)
    text(alert, "sender", settings.CAP_SENDER)
    text(alert, "sent", cap_time(sent))
    text(alert, "status", settings.CAP_STATUS)
    text(alert, "msgType", msg_type)
    text(alert, "scope", "Public")
    if references:
        text(alert, "references", references)
    areas = district_areas()
    for language, cap_language in LANGUAGES:
        with translation.override(language):
            info_block(alert, cap_language, activation, msg_type, sent, areas)
    return ET.tostring(alert, encoding="unicode", xml_declaration=False)


def info_block(
    alert: ET.Element,
    cap_language: str,
    activation: ModeActivation,
    msg_type: str,
    sent: datetime,
    areas: list[tuple[str, str, str]],
) -> None:
    mode = activation.mode
    ended = msg_type == MsgType.CANCEL
    info = ET.SubElement(alert, f"{{{CAP_NAMESPACE}}}info")
    text(info, "language", cap_language)
    text(info, "category", mode.cap_category)
    text(info, "event", mode.name)
    text(info, "responseType", "AllClear" if ended else "Monitor")
    # An ended mode threatens no longer: the cancel says so in CAP's own terms.
    text(info, "urgency", "Past" if ended else mode.cap_urgency)
    text(info, "severity", "Minor" if ended else mode.cap_severity)
    text(info, "certainty", "Observed" if ended else mode.cap_certainty)
    text(info, "effective", cap_time(sent))
    text(info, "expires", cap_time(sent + timedelta(hours=settings.CAP_EXPIRES_HOURS)))
    text(info, "senderName", settings.CAP_SENDER_NAME)
    text(info, "headline", headline_of(activation, msg_type))
    since = cap_time(activation.activated_at)
    if ended:
        description = _("The metropolis is back to normal operation since %(time)s.") % {
            "time": cap_time(activation.deactivated_at or sent)
        }
        instruction = _("No further action is required.")
    else:
        description = _("The metropolis is in crisis mode %(mode)s since %(time)s.") % {
            "mode": mode.name,
            "time": since,
        }
        instruction = activation.public_message
    text(info, "description", description)
    text(info, "instruction", instruction)
    text(info, "web", settings.PUBLIC_BASE_URL + reverse("status"))
    text(info, "contact", _("City hotline: %(phone)s") % {"phone": settings.HOTLINE_PHONE})
    for name, polygon, insee in areas:
        area = ET.SubElement(info, f"{{{CAP_NAMESPACE}}}area")
        text(area, "areaDesc", name)
        if polygon:
            text(area, "polygon", polygon)
        if insee:
            geocode = ET.SubElement(area, f"{{{CAP_NAMESPACE}}}geocode")
            text(geocode, "valueName", "INSEE")
            text(geocode, "value", insee)


def district_areas() -> list[tuple[str, str, str]]:
    """(name, CAP polygon "lat,lon lat,lon …", INSEE code) of every district."""
    areas = []
    for name, boundary, insee in District.objects.order_by("name").values_list(
        "name", "boundary", "insee_code"
    ):
        areas.append((name, cap_polygon(boundary), insee))
    return areas


def cap_polygon(ring: list) -> str:
    """A GeoJSON ring ([lon, lat], closed) as CAP's polygon: lat,lon pairs, first = last,
    at least four; "" when the district has no usable outline."""
    points = [(float(p[1]), float(p[0])) for p in ring or [] if isinstance(p, list | tuple)]
    if len(points) < 3:
        return ""
    if points[0] != points[-1]:
        points.append(points[0])
    if len(points) < 4:
        return ""
    return " ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in points)

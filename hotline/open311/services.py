"""Open311 GeoReport v2's business: keys issued to citizens' apps, the services offered, a
request posted (it enters the room as a web call with its intervention, through the hotline's
own door), and the requests as the public may read them (no caller's name or phone)."""

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from equipment.models import District
from hotline import services as hotline_services
from hotline.models import Call, Category
from hotline.open311.attributes import LISTS, definition
from hotline.open311.models import Open311Key, Open311Request
from interventions.services import FINISHED
from ondijon import inputs

# GeoReport v2: without dates, the last 90 days; never more than 1,000 requests at once.
DEFAULT_WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
OPEN, CLOSED = "open", "closed"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# --- Keys ------------------------------------------------------------------------------------


@transaction.atomic
def issue_key(name: str, actor=None) -> tuple[Open311Key, str]:
    """A new key for a citizens' app: the key itself is returned once and never stored."""
    if not name.strip():
        raise ValidationError({"name": _("Name the application the key is for.")})
    raw = secrets.token_urlsafe(30)
    key = Open311Key(
        name=name.strip(),
        prefix=raw[:8],
        key_hash=_hash(raw),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    key.full_clean()
    key.save()
    return key, raw


@transaction.atomic
def update_key(key: Open311Key, changes: dict, actor=None) -> Open311Key:
    """Rename or withdraw a key (an inactive key is refused like an unknown one)."""
    for name in ("name", "active"):
        if name in changes:
            setattr(key, name, changes[name])
    key.full_clean()
    key.save()
    return key


def key_named(raw: str | None) -> Open311Key | None:
    """The active key the app sent, if it is one."""
    if not raw:
        return None
    return Open311Key.objects.filter(key_hash=_hash(raw), active=True).first()


# --- Services --------------------------------------------------------------------------------


def public_services() -> QuerySet[Category]:
    return Category.objects.filter(public=True, active=True)


def service_record(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": "",
        "group": category.get_service_display(),
    }


def service_definition(category: Category) -> dict:
    return {"service_code": category.code, "attributes": definition(category.attributes)}


# --- Posting a request -----------------------------------------------------------------------


def _coordinate(data: dict, name: str, bound: float) -> float | None:
    text = (data.get(name) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > bound:
        raise ValidationError({name: _("A WGS84 coordinate in decimal degrees is expected.")})
    return value


def district_at(lat: float, lon: float) -> District | None:
    """The district whose boundary holds the point (ray casting on the GeoJSON ring)."""
    for district in District.objects.exclude(boundary=[]):
        ring = district.boundary
        inside = False
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
                inside = not inside
        if inside:
            return district
    return None


def _answers(category: Category, data: dict) -> dict:
    """The answers to the category's questions (form fields `attribute[code]`)."""
    answers, problems = {}, {}
    for attribute in definition(category.attributes):
        code = attribute["code"]
        given = [value for value in data.getlist(f"attribute[{code}]") if value.strip()]
        if not given:
            if attribute["required"]:
                problems[f"attribute[{code}]"] = _("This question needs an answer.")
            continue
        if attribute["datatype"] in LISTS:
            keys = {value["key"] for value in attribute["values"]}
            if not set(given) <= keys:
                problems[f"attribute[{code}]"] = _("Not one of the listed values.")
                continue
        single = attribute["datatype"] != "multivaluelist"
        answers[code] = given[0] if single else given
    if problems:
        raise ValidationError(problems)
    return answers


def _text(data: dict, name: str, limit: int) -> str:
    value = (data.get(name) or "").strip()
    problem = inputs.text_problem(value)
    if problem:
        raise ValidationError({name: problem})
    if len(value) > limit:
        raise ValidationError({name: _("At most %(limit)d characters.") % {"limit": limit}})
    return value


@transaction.atomic
def submit_request(key: Open311Key, data) -> Open311Request:
    """A citizen's request, posted by an app with its key: a web call in the public category,
    with its intervention for the category's service, located by lat/long or by address.
    `data` is the posted form (a QueryDict: attributes may repeat). All or nothing."""
    code = (data.get("service_code") or "").strip()
    if not code:
        raise ValidationError({"service_code": _("The service_code is required.")})
    category = public_services().filter(code=code).first()
    if category is None:
        raise ValidationError({"service_code": _("No public service has this code.")})
    lat = _coordinate(data, "lat", 90)
    lon = _coordinate(data, "long", 180)
    address = _text(data, "address_string", 200)
    if (lat is None) != (lon is None):
        raise ValidationError({"long" if lon is None else "lat": _("Give both lat and long.")})
    if lat is None and not address:
        raise ValidationError({"lat": _("Locate the request: lat and long, or an address_string.")})
    media_url = _text(data, "media_url", 500)
    if media_url and urlparse(media_url).scheme not in {"http", "https"}:
        raise ValidationError({"media_url": _("An http or https address is expected.")})
    description = _text(data, "description", 4000)
    answers = _answers(category, data)
    name = " ".join(filter(None, [_text(data, "first_name", 70), _text(data, "last_name", 70)]))
    district = district_at(lat, lon) if lat is not None else None
    call = hotline_services.take_call(
        {
            "channel": Call.Channel.WEB,
            "category": category,
            # The citizen's words and identity stay on the call (the hotline's retention
            # anonymises them); the public reads of Open311 never show the identity.
            "question": description,
            "outcome": Call.Outcome.INTERVENTION,
            "caller_name": name[:150],
            "caller_phone": _text(data, "phone", 30),
            "district": district,
        },
        intervention={
            "title": f"{category.name} — {address}" if address else category.name,
            "category": category.code,
            "service": category.service,
            "description": description,
            "address": address,
            "latitude": lat,
            "longitude": lon,
        },
    )
    request = Open311Request(
        token=secrets.token_hex(16),
        call=call,
        key=key,
        media_url=media_url,
        attributes=answers,
        address=address,
        latitude=lat,
        longitude=lon,
        requested_at=call.started_at,
    )
    request.full_clean(exclude=["call", "key"])
    request.save()
    return request


# --- Reading requests ------------------------------------------------------------------------


def status_of(request: Open311Request) -> str:
    """Open until its intervention is resolved, closed or cancelled."""
    intervention = request.call.intervention
    return CLOSED if intervention is None or intervention.status in FINISHED else OPEN


def _when(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def request_record(request: Open311Request) -> dict:
    """A request as the public reads it: what, where, when, how far — never who."""
    call, intervention = request.call, request.call.intervention
    lat = (
        request.latitude
        if request.latitude is not None
        else getattr(intervention, "latitude", None)
    )
    lon = (
        request.longitude
        if request.longitude is not None
        else getattr(intervention, "longitude", None)
    )
    return {
        "service_request_id": intervention.reference if intervention else request.token,
        "status": status_of(request),
        # Where the city is with it, in words (the spec's open/closed says little to a citizen).
        "status_notes": str(intervention.get_status_display()) if intervention else "",
        "service_name": call.category.name,
        "service_code": call.category.code,
        "description": intervention.description if intervention else "",
        "agency_responsible": call.category.get_service_display(),
        "service_notice": "",
        "requested_datetime": _when(request.requested_at),
        "updated_datetime": _when(intervention.updated_at if intervention else None),
        "expected_datetime": _when(intervention.target_at if intervention else None),
        "address": request.address or (intervention.address if intervention else ""),
        "address_id": "",
        "zipcode": "",
        "lat": lat,
        "long": lon,
        "media_url": request.media_url,
    }


def _requests() -> QuerySet[Open311Request]:
    return Open311Request.objects.select_related("call__category", "call__intervention")


def find_request(service_request_id: str) -> Open311Request | None:
    return _requests().filter(call__intervention__reference=service_request_id).first()


def find_token(token: str) -> Open311Request | None:
    return _requests().filter(token=token).first()


def _date(query, name: str) -> datetime | None:
    if not query.get(name):
        return None
    try:
        return inputs.parse_timestamp(query[name])
    except inputs.BadValue as problem:
        raise ValidationError({name: str(problem)}) from None


def _listed(query, name: str) -> list[str]:
    return [part.strip() for part in (query.get(name) or "").split(",") if part.strip()]


def search_requests(query) -> list[dict]:
    """GET requests: by ids (which override every other filter), else by service codes,
    requested between start_date and end_date (the last 90 days by default), by status;
    newest first, at most 1,000."""
    found = _requests().order_by("-requested_at", "-pk")
    ids = _listed(query, "service_request_id")
    if ids:
        found = found.filter(call__intervention__reference__in=ids)
    else:
        start, end = _date(query, "start_date"), _date(query, "end_date")
        if start and end and start > end:
            raise ValidationError({"end_date": _("The end_date is before the start_date.")})
        if start is None and end is None:
            start = timezone.now() - DEFAULT_WINDOW
        if start:
            found = found.filter(requested_at__gte=start)
        if end:
            found = found.filter(requested_at__lte=end)
        codes = _listed(query, "service_code")
        if codes:
            found = found.filter(call__category__code__in=codes)
        statuses = set(_listed(query, "status"))
        if statuses - {OPEN, CLOSED}:
            raise ValidationError({"status": _("The status is open or closed.")})
        if statuses == {OPEN}:
            found = found.exclude(call__intervention__status__in=FINISHED).exclude(
                call__intervention=None
            )
        elif statuses == {CLOSED}:
            found = found.filter(
                Q(call__intervention__status__in=FINISHED) | Q(call__intervention=None)
            )
    return [request_record(request) for request in found[:MAX_REQUESTS]]


def jurisdiction_ok(jurisdiction_id: Any) -> bool:
    """Any jurisdiction_id is taken unless the city named its own (OPEN311_JURISDICTION)."""
    own = settings.OPEN311_JURISDICTION
    return not jurisdiction_id or not own or jurisdiction_id == own

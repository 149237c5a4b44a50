"""Cameras as streams: their settings, their login kept encrypted, and what they see.

A camera's login (to its RTSP streams and ONVIF service) is encrypted with Fernet under a key
from the environment (CAMERA_CREDENTIALS_KEY) and leaves this module only for the media gateway
and the PTZ client; pages, the API and the events log only learn whether one is stored.
"""

import base64
import hashlib
import math
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from equipment.models import Camera
from ondijon import bus
from ondijon.geo import distance_m

# Fields a service takes besides the model's own: the login, given in clear, stored encrypted.
CREDENTIAL_FIELDS = ("username", "password")
FORGET = "forget_credentials"


# --- The login, encrypted -------------------------------------------------------------------


def fernet() -> Fernet:
    key = settings.CAMERA_CREDENTIALS_KEY
    if not key:
        if not settings.CAMERA_CREDENTIALS_SECRET:
            raise ImproperlyConfigured(
                "CAMERA_CREDENTIALS_KEY must be set to store or read a camera's login."
            )
        digest = hashlib.sha256(b"ondijon-camera:" + settings.CAMERA_CREDENTIALS_SECRET.encode())
        key = base64.urlsafe_b64encode(digest.digest()).decode()
    try:
        return Fernet(key)
    except ValueError as error:
        raise ImproperlyConfigured("CAMERA_CREDENTIALS_KEY is not a Fernet key.") from error


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A camera's login cannot be read with this CAMERA_CREDENTIALS_KEY."
        ) from error


def camera_login(camera: Camera) -> tuple[str, str]:
    """The camera's username and password in clear: for the gateway and the PTZ client only."""
    return decrypt(camera.username_encrypted), decrypt(camera.password_encrypted)


def stream_url(camera: Camera, sub: bool = True) -> str:
    """The RTSP address the gateway opens, with the login put in (never stored this way)."""
    url = (camera.sub_stream_url if sub else "") or camera.main_stream_url
    username, password = camera_login(camera)
    if not url or not username:
        return url
    parts = urlsplit(url)
    login = quote(username, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{login}@{parts.netloc}"))


# --- What the room sees ---------------------------------------------------------------------


def camera_snapshot(camera: Camera) -> dict:
    """The camera as pages and the log see it: never its login."""
    equipment = camera.equipment
    return {
        "id": camera.pk,
        "code": equipment.code,
        "name": equipment.name,
        "lat": equipment.latitude,
        "lon": equipment.longitude,
        "status": equipment.status,
        "ptz": camera.ptz,
        "presets": camera.presets,
        "direction": camera.direction,
        "field_angle": camera.field_angle,
        "range_m": camera.range_m,
        "has_credentials": camera.has_credentials,
        "simulated": camera.simulated,
    }


def camera_record(kind: str, camera: Camera, actor=None, **payload: Any) -> bus.EventRecord:
    return bus.EventRecord(
        kind=kind,
        subject_type="camera",
        subject_id=camera.pk,
        subject_label=camera.equipment.code,
        payload={"camera": camera_snapshot(camera), **payload},
        actor=actor,
    )


def apply_login(camera: Camera, data: dict) -> list[str]:
    """Put a login given in clear into the encrypted fields; the names of what changed."""
    changed = []
    if data.pop(FORGET, False):
        camera.username_encrypted = camera.password_encrypted = ""
        changed.append("credentials")
    for name in CREDENTIAL_FIELDS:
        value = data.pop(name, None)
        if value:
            setattr(camera, f"{name}_encrypted", encrypt(value))
            if "credentials" not in changed:
                changed.append("credentials")
    return changed


@transaction.atomic
def create_camera(data: dict, actor=None) -> Camera:
    data = dict(data)
    camera = Camera()
    apply_login(camera, data)
    for name, value in data.items():
        setattr(camera, name, value)
    camera.full_clean()
    camera.save()
    bus.emit_many([camera_record("camera.created", camera, actor)])
    return camera


@transaction.atomic
def update_camera(camera: Camera, changes: dict, actor=None) -> Camera:
    changes = dict(changes)
    camera = Camera.objects.select_for_update().select_related("equipment").get(pk=camera.pk)
    fields = apply_login(camera, changes)
    for name, value in changes.items():
        if name == "equipment":
            raise ValidationError({"equipment": _("A camera stays with its equipment.")})
        setattr(camera, name, value)
        fields.append(name)
    camera.full_clean()
    camera.save()
    bus.emit_many([camera_record("camera.updated", camera, actor, fields=sorted(fields))])
    return camera


@transaction.atomic
def delete_camera(camera: Camera, actor=None) -> None:
    camera = Camera.objects.select_for_update().select_related("equipment").get(pk=camera.pk)
    record = camera_record("camera.deleted", camera, actor)
    record.payload = {"camera": None, "deleted": record.payload["camera"]}
    camera.delete()
    bus.emit_many([record])


# --- What a camera sees ---------------------------------------------------------------------


def bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360


def sees(camera: Camera, latitude: float, longitude: float) -> float | None:
    """How far the place is from the camera (metres) when it is in its field of view; a PTZ
    camera turns to it, so only its range counts."""
    equipment = camera.equipment
    distance = distance_m(equipment.latitude, equipment.longitude, latitude, longitude)
    if distance > camera.range_m:
        return None
    if camera.ptz or camera.field_angle >= 360 or distance < 1:
        return distance
    off = abs(
        (
            bearing(equipment.latitude, equipment.longitude, latitude, longitude)
            - camera.direction
            + 180
        )
        % 360
        - 180
    )
    return distance if off <= camera.field_angle / 2 else None


def cameras_seeing(latitude: float, longitude: float, limit: int = 1) -> list[Camera]:
    """The nearest cameras whose field of view covers a place, nearest first."""
    # A degree of latitude is 111 km: a box of the longest range first, then the exact test.
    reach = 5000 / 111_000
    box = Camera.objects.select_related("equipment").filter(
        equipment__latitude__range=(latitude - reach, latitude + reach),
        equipment__longitude__range=(
            longitude - reach / max(math.cos(math.radians(latitude)), 0.01),
            longitude + reach / max(math.cos(math.radians(latitude)), 0.01),
        ),
    )
    seen = [(d, c.pk, c) for c in box if (d := sees(c, latitude, longitude)) is not None]
    return [camera for _, _, camera in sorted(seen)[:limit]]

"""Steering a PTZ camera through its ONVIF service: go to one of its presets, pan, tilt and
zoom at a speed until stopped. Each move the camera accepted is an event (who steered which
camera, from which screen, how), written here and nowhere else.

The camera is spoken to with onvif-zeep-async (the ONVIF WSDLs it ships, through zeep), its
login read from the encrypted fields. A continuous move carries a timeout, so a camera whose
screen went away mid-move stops by itself.
"""

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from equipment.cameras import camera_login, update_camera
from equipment.models import Camera
from ondijon import bus

PRESET_RECALLED = "camera.preset_recalled"
MOVE_STARTED = "camera.move_started"
MOVE_STOPPED = "camera.move_stopped"
SCREEN_MAX = 80


class PtzUnavailable(Exception):
    """The camera could not be steered (unreachable, refused the login or the move): the
    operator is told, nothing is logged as done."""


# --- Speaking ONVIF -------------------------------------------------------------------------


def onvif_endpoint(camera: Camera) -> tuple[str, int]:
    parts = urlsplit(camera.onvif_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"camera": [_("This camera has no ONVIF service address.")]})
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


async def with_ptz(camera: Camera, login: tuple[str, str], operate: Callable) -> Any:
    """Open the camera's ONVIF services, run `operate(ptz, profile_token)`, close them."""
    from onvif import ONVIFCamera  # onvif-zeep-async: its WSDLs load only when a camera moves

    host, port = onvif_endpoint(camera)
    username, password = login
    device = ONVIFCamera(host, port, username, password, no_cache=True)
    try:
        await device.update_xaddrs()
        media = await device.create_media_service()
        profiles = await media.GetProfiles()
        if not profiles:
            raise PtzUnavailable(_("The camera has no media profile to steer."))
        ptz = await device.create_ptz_service()
        return await operate(ptz, profiles[0].token)
    finally:
        await device.close()


def run(camera: Camera, operate: Callable[[Any, str], Awaitable[Any]]) -> Any:
    """One ONVIF exchange, from the caller's (synchronous) thread, bounded in time."""
    login = camera_login(camera)

    async def bounded() -> Any:
        return await asyncio.wait_for(
            with_ptz(camera, login, operate), settings.CAMERA_PTZ_TIMEOUT_SECONDS
        )

    try:
        return asyncio.run(bounded())
    except (PtzUnavailable, ValidationError):
        raise
    except TimeoutError as error:
        raise PtzUnavailable(_("The camera does not answer.")) from error
    except Exception as error:  # zeep's faults, aiohttp's errors, the ONVIF client's own
        raise PtzUnavailable(
            _("The camera refused: %(reason)s") % {"reason": str(error)[:200]}
        ) from error


# --- What the room asks ---------------------------------------------------------------------


def steerable(camera: Camera) -> Camera:
    if not camera.ptz:
        raise ValidationError({"camera": [_("This camera cannot pan, tilt or zoom.")]})
    onvif_endpoint(camera)
    return camera


def screen_name(value: Any) -> str:
    return str(value or "").strip()[:SCREEN_MAX] or _("unknown screen")


def speed(value: Any, name: str, errors: dict) -> float:
    if value is None:
        return 0.0
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not -1 <= value <= 1
    ):
        errors[name] = [_("A speed between -1 and 1.")]
        return 0.0
    return float(value)


def record_move(kind: str, camera: Camera, actor, screen: str, **payload: Any):
    with transaction.atomic():
        return bus.emit(
            kind,
            subject_type="camera",
            subject_id=camera.pk,
            subject_label=camera.equipment.code,
            payload={"camera": camera.pk, "screen": screen_name(screen), **payload},
            actor=actor,
        )


def go_to_preset(camera: Camera, token: Any, actor=None, screen: str = ""):
    """Turn the camera to one of its presets (by the camera's own token)."""
    steerable(camera)
    preset = next((p for p in camera.presets if str(p.get("token")) == str(token)), None)
    if preset is None or token in (None, ""):
        raise ValidationError({"preset": [_("This camera has no such preset.")]})

    async def operate(ptz, profile: str) -> None:
        await ptz.GotoPreset({"ProfileToken": profile, "PresetToken": str(preset["token"])})

    run(camera, operate)
    return record_move(
        PRESET_RECALLED,
        camera,
        actor,
        screen,
        preset=str(preset["token"]),
        preset_name=str(preset.get("name", "")),
    )


def start_move(
    camera: Camera, pan: Any = 0, tilt: Any = 0, zoom: Any = 0, actor=None, screen: str = ""
):
    """Pan, tilt and zoom at these speeds (-1..1) until stopped, or for at most
    CAMERA_PTZ_MOVE_SECONDS (a screen gone mid-move leaves no camera turning)."""
    steerable(camera)
    errors: dict = {}
    speeds = (speed(pan, "pan", errors), speed(tilt, "tilt", errors), speed(zoom, "zoom", errors))
    if not errors and speeds == (0.0, 0.0, 0.0):
        errors["pan"] = [_("Give a direction: a pan, tilt or zoom speed.")]
    if errors:
        raise ValidationError(errors)
    seconds = settings.CAMERA_PTZ_MOVE_SECONDS

    async def operate(ptz, profile: str) -> None:
        await ptz.ContinuousMove(
            {
                "ProfileToken": profile,
                "Velocity": {"PanTilt": {"x": speeds[0], "y": speeds[1]}, "Zoom": {"x": speeds[2]}},
                "Timeout": timedelta(seconds=seconds),
            }
        )

    run(camera, operate)
    return record_move(
        MOVE_STARTED, camera, actor, screen, pan=speeds[0], tilt=speeds[1], zoom=speeds[2]
    )


def stop_move(camera: Camera, actor=None, screen: str = ""):
    steerable(camera)

    async def operate(ptz, profile: str) -> None:
        await ptz.Stop({"ProfileToken": profile, "PanTilt": True, "Zoom": True})

    run(camera, operate)
    return record_move(MOVE_STOPPED, camera, actor, screen)


def read_presets(camera: Camera, actor=None) -> Camera:
    """Take the camera's presets as the camera itself lists them (a camera's presets are set
    on the camera, by its installer)."""
    steerable(camera)

    async def operate(ptz, profile: str) -> list[dict]:
        presets = await ptz.GetPresets({"ProfileToken": profile}) or []
        return [{"token": str(p.token), "name": str(p.Name or p.token)} for p in presets]

    return update_camera(camera, {"presets": run(camera, operate)}, actor=actor)

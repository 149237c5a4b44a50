"""A camera's settings checked, field by field (the model's clean and every door use it)."""

from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

# Equipment.Kind.CAMERA, named here so that the model can call these checks.
CAMERA_KIND = "camera"


def url_problem(value: str, schemes: tuple[str, ...]) -> str | None:
    if not value:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (a bad port raises here)
    except ValueError:
        return _("Not a valid address.")
    if parts.scheme not in schemes or not parts.hostname:
        return _("Give an address as %(example)s.") % {"example": f"{schemes[0]}://host/path"}
    if parts.username or parts.password:
        return _("Put the login in the username and password fields, not in the address.")
    return None


def presets_problem(presets: Any) -> str | None:
    if not isinstance(presets, list) or not all(
        isinstance(row, dict)
        and set(row) == {"token", "name"}
        and isinstance(row["token"], str)
        and isinstance(row["name"], str)
        and 0 < len(row["token"]) <= 64
        and 0 < len(row["name"]) <= 100
        for row in presets
    ):
        return _('A list of presets as [{"token": "1", "name": "Entrance"}].')
    if len({row["token"] for row in presets}) != len(presets):
        return _("Each preset has its own token.")
    return None


def camera_problems(camera: Any) -> dict[str, str]:
    """What is wrong with a camera's settings (a Camera, before saving), by field."""
    problems = {}
    for name in ("main_stream_url", "sub_stream_url"):
        problem = url_problem(getattr(camera, name), ("rtsp", "rtsps"))
        if problem:
            problems[name] = problem
    problem = url_problem(camera.onvif_url, ("http", "https"))
    if problem:
        problems["onvif_url"] = problem
    problem = presets_problem(camera.presets)
    if problem:
        problems["presets"] = problem
    if camera.presets and not camera.ptz:
        problems["presets"] = _("Only a PTZ camera has presets.")
    if camera.equipment_id and camera.equipment.kind != CAMERA_KIND:
        problems["equipment"] = _("Choose equipment of the CCTV camera kind.")
    return problems

"""Signalling: a screen asks for a camera's live video here, and only here. Its session and
role are checked (the room's operators, supervisors, dispatchers and wall kiosks watch; field
crews and the public never do), then the camera's gateway answers its WebRTC offer, and the
view's start is logged; the gateway logs its end."""

import time
import uuid
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from equipment import ptz
from equipment.models import Camera
from ondijon.inputs import load_json
from supervision.models import AlertSnapshot, WallScreen
from supervision.video import pushes, services, signalling
from supervision.video.gateway import MJPEG_BOUNDARY, STREAMS

WATCH = "equipment.watch_camera"
STEER = "equipment.move_camera"
SDP_MAX = 20_000


def refused() -> JsonResponse:
    return JsonResponse({"detail": _("Your role cannot watch live video.")}, status=403)


def body_of(request: HttpRequest) -> dict | JsonResponse:
    try:
        body = load_json(request.body or b"{}")
    except ValueError as error:
        return JsonResponse({"body": [str(error)]}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"body": [_("Must be an object.")]}, status=400)
    return body


def camera_of(body: dict) -> Camera | JsonResponse:
    camera_id = body.get("camera")
    if not isinstance(camera_id, int) or isinstance(camera_id, bool):
        return JsonResponse({"camera": [_("Give the camera's number.")]}, status=400)
    camera = Camera.objects.select_related("equipment").filter(pk=camera_id).first()
    if camera is None:
        return JsonResponse({"camera": [_("No such camera.")]}, status=404)
    return camera


@never_cache
@login_required
@require_GET
def camera_list(request: HttpRequest) -> JsonResponse:
    if not request.user.has_perm(WATCH):
        return refused()
    return JsonResponse({"cameras": services.watchable_cameras()})


@never_cache
@login_required
@require_POST
def offer(request: HttpRequest) -> JsonResponse:
    if not request.user.has_perm(WATCH):
        return refused()
    body = body_of(request)
    if isinstance(body, JsonResponse):
        return body
    camera = camera_of(body)
    if isinstance(camera, JsonResponse):
        return camera
    errors = {}
    sdp = body.get("sdp")
    if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > SDP_MAX:
        errors["sdp"] = [_("Give the browser's WebRTC offer.")]
    if body.get("type", "offer") != "offer":
        errors["type"] = [_("Only an offer is answered.")]
    screen = body.get("screen", "")
    if not isinstance(screen, str):
        errors["screen"] = [_("Give the screen's name as text.")]
    stream = body.get("stream", "main")
    if stream not in STREAMS:
        errors["stream"] = [_("One of: main, sub.")]
    if errors:
        return JsonResponse(errors, status=400)
    try:
        session, answer = signalling.offer(camera.pk, sdp, "offer", stream)
    except signalling.GatewayUnavailable:
        return JsonResponse({"detail": _("The media gateway does not answer.")}, status=503)
    except ValueError:
        return JsonResponse({"sdp": [_("The browser's offer cannot be answered.")]}, status=400)
    services.record_view_started(camera, request.user, screen, session, stream)
    return JsonResponse({"session": session, **answer}, status=201)


async def mjpeg_pictures(camera_id: int, stream: str, session: str) -> AsyncIterator[bytes]:
    """The pictures until the screen leaves (the server cancels this then), and the view's
    end logged."""
    started = time.monotonic()
    try:
        async for part in signalling.mjpeg(camera_id, stream):
            yield part
    except signalling.GatewayUnavailable:
        return  # the answer ends; the tile says "signal lost" and asks again
    finally:
        await sync_to_async(services.record_view_stopped)(session, time.monotonic() - started)


@never_cache
@login_required
@require_GET
def mjpeg(request: HttpRequest, camera: int) -> HttpResponse:
    """A camera's pictures as MJPEG (multipart/x-mixed-replace), for a screen that cannot take
    WebRTC or a camera set to it: the same checks and the same log as a WebRTC view (`screen`
    and `stream` in the query)."""
    if not request.user.has_perm(WATCH):
        return refused()
    found = Camera.objects.select_related("equipment").filter(pk=camera).first()
    if found is None:
        return JsonResponse({"camera": [_("No such camera.")]}, status=404)
    stream = request.GET.get("stream", "main")
    if stream not in STREAMS:
        return JsonResponse({"stream": [_("One of: main, sub.")]}, status=400)
    session = uuid.uuid4().hex
    services.record_view_started(
        found, request.user, request.GET.get("screen", ""), session, stream, "mjpeg"
    )
    response = StreamingHttpResponse(
        mjpeg_pictures(found.pk, stream, session),
        content_type=f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Accel-Buffering"] = "no"  # a reverse proxy passes each picture on at once
    response["X-View-Session"] = session
    return response


@never_cache
@login_required
@require_POST
def close(request: HttpRequest) -> JsonResponse:
    if not request.user.has_perm(WATCH):
        return refused()
    body = body_of(request)
    if isinstance(body, JsonResponse):
        return body
    session = body.get("session")
    started = services.view_started(session) if isinstance(session, str) else None
    # A viewer ends their own views only.
    if started is None or started.actor_id != request.user.pk:
        return JsonResponse({"session": [_("No such view.")]}, status=404)
    try:
        signalling.close(int(started.subject_id), session)
    except signalling.GatewayUnavailable:
        return JsonResponse({"detail": _("The media gateway does not answer.")}, status=503)
    return JsonResponse({"closed": session})


@never_cache
@login_required
@require_POST
def steer(request: HttpRequest) -> JsonResponse:
    """A PTZ move: `action` is "preset" (with `preset`, the camera's token), "move" (with
    `pan`, `tilt`, `zoom` speeds from -1 to 1) or "stop"."""
    if not request.user.has_perm(STEER):
        return JsonResponse({"detail": _("Your role cannot steer a camera.")}, status=403)
    body = body_of(request)
    if isinstance(body, JsonResponse):
        return body
    camera = camera_of(body)
    if isinstance(camera, JsonResponse):
        return camera
    action, screen = body.get("action"), body.get("screen", "")
    if not isinstance(screen, str):
        return JsonResponse({"screen": [_("Give the screen's name as text.")]}, status=400)
    try:
        if action == "preset":
            event = ptz.go_to_preset(camera, body.get("preset"), request.user, screen)
        elif action == "move":
            event = ptz.start_move(
                camera, body.get("pan"), body.get("tilt"), body.get("zoom"), request.user, screen
            )
        elif action == "stop":
            event = ptz.stop_move(camera, request.user, screen)
        else:
            return JsonResponse({"action": [_("One of: preset, move, stop.")]}, status=400)
    except ValidationError as error:
        return JsonResponse(error.message_dict, status=400)
    except ptz.PtzUnavailable as error:
        return JsonResponse({"detail": str(error)}, status=502)
    return JsonResponse({"event": event.seq, "kind": event.kind, "payload": event.payload})


@never_cache
@login_required
@require_GET
def alert_snapshot(request: HttpRequest, alert: int) -> HttpResponse:
    """The frame of the alert's nearest camera at the alert's time (the alert's detail)."""
    if not request.user.has_perm(WATCH):
        return refused()
    snapshot = AlertSnapshot.objects.filter(alert_id=alert).exclude(image=b"").first()
    if snapshot is None:
        raise Http404(_("No snapshot of this alert."))
    response = HttpResponse(bytes(snapshot.image), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@login_required
@require_POST
def push(request: HttpRequest) -> JsonResponse:
    """Put a camera on a wall tile (`camera`, `screen` as its slug, `tile`, `origin`: the desk
    or the map it comes from), or give the tile back to its own cameras (`release`: true)."""
    if not request.user.has_perm(STEER):
        return JsonResponse({"detail": _("Your role cannot put cameras on the wall.")}, status=403)
    body = body_of(request)
    if isinstance(body, JsonResponse):
        return body
    slug = body.get("screen")
    screen = WallScreen.objects.filter(slug=slug).first() if isinstance(slug, str) else None
    if screen is None:
        return JsonResponse({"screen": [_("No such screen.")]}, status=400)
    origin = body.get("origin", "alerts")
    try:
        if body.get("release") is True:
            screen = pushes.release_tile(screen, body.get("tile"), request.user, origin)
        else:
            camera = camera_of(body)
            if isinstance(camera, JsonResponse):
                return camera
            screen = pushes.push_camera(screen, body.get("tile"), camera, request.user, origin)
    except ValidationError as error:
        return JsonResponse(error.message_dict, status=400)
    return JsonResponse({"screen": screen.slug, "pushed": screen.video_pushed})

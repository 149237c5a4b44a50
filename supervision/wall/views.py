"""Wall screen pages and the two reads a screen makes: its snapshot and its replay.

Kiosk accounts hold only `supervision.view_wall`, so these are the only reads they have.
"""

import gzip

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.gzip import gzip_page

from equipment.models import Equipment
from ondijon.kiosk import is_kiosk
from supervision.models import WallScreen
from supervision.video import tiles
from supervision.wall import legibility
from supervision.wall import state as wall

view_wall = permission_required("supervision.view_wall", raise_exception=True)


def active_screen(slug: str) -> WallScreen:
    return get_object_or_404(WallScreen, slug=slug, active=True)


@view_wall
def wall_index(request: HttpRequest) -> HttpResponse:
    return render(
        request, "supervision/wall_index.html", {"screens": WallScreen.objects.filter(active=True)}
    )


def video_config(screen: WallScreen, user) -> dict:
    """The screen's video tiles as its script opens them (supervision/video/). Someone at the
    screen who may steer gets the PTZ controls; a kiosk, with nobody at it, never does."""
    steers = user.has_perm("equipment.move_camera") and not is_kiosk(user)
    return {
        "layout": screen.video_layout,
        "tiles": tiles.screen_tiles(screen),
        "alarmTile": screen.alarm_tile,
        "pollSeconds": 2,
        "offerUrl": reverse("video-offer"),
        "closeUrl": reverse("video-close"),
        # The MJPEG fallback's address, camera 0 standing for the tile's camera.
        "mjpegUrl": reverse("video-mjpeg", args=[0]),
        "tilesUrl": reverse("wall-video", args=[screen.slug]),
        "screen": f"wall:{screen.slug}",
        "ptzUrl": reverse("video-ptz") if steers else None,
    }


@view_wall
def wall_screen(request: HttpRequest, screen: str) -> HttpResponse:
    screen = active_screen(screen)
    config = {
        "screen": screen.slug,
        "name": screen.name,
        "panels": screen.panels,
        "layers": screen.map_layers,
        "center": [screen.center_latitude, screen.center_longitude],
        "zoom": screen.zoom,
        "snapshotUrl": reverse("wall-snapshot", args=[screen.slug]),
        "eventsUrl": reverse("wall-events", args=[screen.slug]),
        "socketPath": f"/ws/wall/{screen.slug}/",
        "staleSeconds": settings.WALL_STALE_SECONDS,
        "failoverBannerSeconds": settings.WALL_FAILOVER_BANNER_SECONDS,
        "kinds": dict(Equipment.Kind.choices),
        "statuses": dict(Equipment.Status.choices),
        # Dates and times on the wall: the page's language and the city's time zone.
        "locale": get_language(),
        "timeZone": settings.TIME_ZONE,
        # Text sized for the room's distance (supervision/wall/legibility.py).
        "typography": legibility.typography(screen.width_m, screen.viewing_distance_m),
        # A kiosk account has nobody at a mouse: no control that needs one.
        "kiosk": is_kiosk(request.user),
        "video": video_config(screen, request.user)
        if WallScreen.Panel.VIDEO in screen.panels
        else None,
    }
    # Its configuration is JSON, read by the scripts: the site's Content-Security-Policy
    # (ondijon/csp.py) lets no inline script run on a room's screen.
    return render(
        request,
        "supervision/wall.html",
        {"screen": screen, "config": config, "tile_url": settings.MAP_TILE_URL},
    )


# A metropolis's snapshot is ~5 MB of JSON: gzip's fastest level packs it in ~35 ms to
# ~1.4 MB, its default level (gzip_page) takes 5 times as long for 10 % less.
SNAPSHOT_GZIP_LEVEL = 1


@never_cache
@view_wall
def wall_snapshot(request: HttpRequest, screen: str) -> HttpResponse:
    active_screen(screen)
    # A kiosk stays logged in: each snapshot (at start, and twice a day) renews its session,
    # so the cookie never reaches SESSION_COOKIE_AGE on a screen that is in use.
    request.session.modified = True
    body = wall.wire_snapshot()
    response = HttpResponse(content_type="application/json")
    patch_vary_headers(response, ["Accept-Encoding"])
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        body = gzip.compress(body, compresslevel=SNAPSHOT_GZIP_LEVEL, mtime=0)
        response["Content-Encoding"] = "gzip"
    response.content = body
    return response


@never_cache
@gzip_page
@view_wall
def wall_events(request: HttpRequest, screen: str) -> JsonResponse:
    """`?after=<seq>`: one frame with everything after it, or `{"type": "reload"}`."""
    active_screen(screen)
    after = request.GET.get("after", "")
    if not after.isdigit():
        return JsonResponse(
            {"after": [_("A sequence number (integer ≥ 0) is required.")]}, status=400
        )
    return JsonResponse(wall.replay_frame(int(after)))


@never_cache
@view_wall
def wall_video(request: HttpRequest, screen: str) -> JsonResponse:
    """What the screen's video tiles show now (a camera on alarm included)."""
    screen = active_screen(screen)
    return JsonResponse(tiles.live_tiles(screen))

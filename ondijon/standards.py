"""Read access to the open standards the city publishes (CAP, Open311, NGSI-LD), per standard.

A DRF view takes the mixin `StandardView` and declares `standard = "cap"` (a key of the
setting STANDARDS_ACCESS). The setting says, per
standard: "public" (anyone), "api_key" (a partner's key: an API token issued in the admin,
sent as `?api_key=` / form field `api_key` or `Authorization: Token …`), or "off" (404, as if
the standard were not there). Calls are counted per key, or per address without one
(STANDARDS_THROTTLE_RATES); past the rate, 429 with Retry-After. These endpoints publish no
personal data: what they serve is public by nature (alerts, the city's equipment).
"""

import hashlib

from django.conf import settings
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from ondijon.api.throttling import TokenRateThrottle

PUBLIC = "public"
API_KEY = "api_key"
OFF = "off"


def access(standard: str) -> str:
    """The standard's access ("public", "api_key" or "off"); an unknown value means off."""
    value = settings.STANDARDS_ACCESS.get(standard, OFF)
    return value if value in {PUBLIC, API_KEY} else OFF


def api_key_of(request) -> str | None:
    """The key the caller sent, if any: `api_key` in the query or form, or a Token header."""
    key = request.query_params.get("api_key")
    if not key and request.method == "POST":
        key = request.POST.get("api_key")
    if not key:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        key = value.strip() if scheme.lower() == "token" else None
    return key or None


def api_key_valid(key: str | None) -> bool:
    """A key is an active user's API token (issued in the admin, Tokens)."""
    from rest_framework.authtoken.models import Token

    return bool(key) and Token.objects.filter(key=key, user__is_active=True).exists()


class StandardAccess(BasePermission):
    """Lets the call in as the view's standard allows: off is 404, a missing or bad key 403."""

    def has_permission(self, request, view) -> bool:
        mode = access(view.standard)
        if mode == OFF:
            raise NotFound()
        return mode == PUBLIC or api_key_valid(api_key_of(request))


class StandardRateThrottle(TokenRateThrottle):
    """The standard's rate, per key or per address (shared cache, as the API's other limits)."""

    def allow_request(self, request, view) -> bool:
        self.scope = f"standard_{view.standard}"
        self.rate = settings.STANDARDS_THROTTLE_RATES.get(view.standard)
        if not self.rate:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return self.counted(request, view)

    def get_cache_key(self, request, view) -> str:
        key = api_key_of(request)
        # The key itself stays out of the cache's names.
        ident = hashlib.sha256(key.encode()).hexdigest()[:24] if key else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class StandardView:
    """Mixin (before APIView) of a standard's DRF view: set `standard`. No session or token
    login (a public reader has none; a key is checked by StandardAccess), the access rule and
    the standard's rate."""

    standard: str = ""
    authentication_classes = []
    permission_classes = [StandardAccess]
    throttle_classes = [StandardRateThrottle]

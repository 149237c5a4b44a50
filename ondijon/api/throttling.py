"""Rate limits of the API for calls made with a token: a device's (telemetry) or a user's (an
integration). A leaked or runaway token cannot flood the platform; it is told 429 with
Retry-After. Browser sessions (the desks) are not limited here: their logins are.

The rates are the setting `API_THROTTLE_RATES` (per scope, DRF's "N/period" form), read at
each call, so that a test can lower them.
"""

import logging
import time

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.authentication import TokenAuthentication
from rest_framework.throttling import SimpleRateThrottle

API_TOKEN = "api_token"

logger = logging.getLogger(__name__)

# While the shared cache is unreachable (Redis restarting or frozen) calls are not counted:
# a rate limit must not stop the devices' telemetry during an outage, nor make each call wait
# out the cache's time-out. After a failure the cache is left alone this long.
CACHE_PAUSE_SECONDS = 5.0
_cache_paused_until = 0.0


def token_scope(request) -> str | None:
    """The rate scope of the call's token (the authenticator's `throttle_scope`: "device" for
    device tokens), `api_token` for a user's token, None for a session or no credentials."""
    authenticator = request.successful_authenticator
    if request.auth is None or not isinstance(authenticator, TokenAuthentication):
        return None
    return getattr(authenticator, "throttle_scope", API_TOKEN)


class TokenRateThrottle(SimpleRateThrottle):
    """Counts each token's calls (the caller's user for a user's token, the device token
    otherwise) in the shared cache, so that every daphne process counts the same calls."""

    def __init__(self) -> None:
        """The rate depends on the call's token: set in `allow_request`."""

    def allow_request(self, request, view) -> bool:
        self.scope = token_scope(request)
        self.rate = settings.API_THROTTLE_RATES.get(self.scope) if self.scope else None
        if not self.rate:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return self.counted(request, view)

    def counted(self, request, view) -> bool:
        """Counts the call against `self.rate` (parsed), unless the shared cache is away."""
        global _cache_paused_until
        if time.monotonic() < _cache_paused_until:
            return True
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as error:
            _cache_paused_until = time.monotonic() + CACHE_PAUSE_SECONDS
            logger.warning("API rate limits not counted: the shared cache is away (%s)", error)
            return True

    def get_cache_key(self, request, view) -> str:
        user_id = getattr(request.user, "pk", None)
        ident = user_id if user_id is not None else request.auth.pk
        return self.cache_format % {"scope": self.scope, "ident": ident}

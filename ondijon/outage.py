"""Honest answers while the database or Redis is unreachable: 503 with `Retry-After`.

A device, a partner's system or a person asking during an outage is told to come back
shortly (503 Service Unavailable, `Retry-After`), never that the platform is broken (500):
gateways retry their batches, browsers show a plain page that says so. The API's errors
(ondijon/api/errors.py) answer in the API's shape; `OutageMiddleware` covers the pages,
including what the login requirement reads (the session and its user) before any view runs;
`server_error` (the project's 500 handler) covers what fails after the view, such as saving a
session.
"""

import sys
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# The database or Redis did not answer (down, restarting, frozen, its connections cut).
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
)


def is_outage(error: BaseException | None) -> bool:
    return isinstance(error, OUTAGE_ERRORS)


def retry_after() -> dict[str, str]:
    return {"Retry-After": str(settings.OUTAGE_RETRY_AFTER_SECONDS)}


def unavailable_detail() -> dict[str, str]:
    """The API's body for an outage, in the shape of its other errors."""
    return {
        "detail": _("The service is briefly unavailable; retry in a few seconds."),
        "code": "unavailable",
    }


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return JsonResponse(unavailable_detail(), status=503, headers=retry_after())
    # Rendered without the request: context processors could need the database.
    page = render_to_string(
        "unavailable.html", {"retry_after": settings.OUTAGE_RETRY_AFTER_SECONDS}
    )
    return HttpResponse(page, status=503, headers=retry_after())


class OutageMiddleware:
    """Turns an unreachable database or Redis into a 503 for every page and API call.

    Placed after the authentication middleware: it reads the user (session, then user rows)
    itself, where it can answer 503, before the login requirement does where it could not."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.user.is_authenticated  # noqa: B018 (loads the session and its user)
        except OUTAGE_ERRORS:
            return unavailable_response(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable_response(request) if is_outage(exception) else None


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler: an outage found outside any view still answers 503."""
    if is_outage(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request)

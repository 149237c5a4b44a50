"""Turn every foreseeable failure of an API call into a clear 4xx with details."""

import psycopg
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ondijon import outage


class Conflict(Exception):
    """A business rule refused the change because of the current state (HTTP 409)."""

    def __init__(self, message: str, code: str = "conflict"):
        super().__init__(message)
        self.message = message
        self.code = code


def concurrent_change(exc) -> bool:
    """PostgreSQL gave up one of two transactions that waited for each other (a deadlock or a
    serialization failure): nothing of it was saved, and the same request can simply be sent
    again. The project's lock order (ondijon/bus.py) is meant to leave none."""
    cause = getattr(exc, "__cause__", None)
    return isinstance(exc, OperationalError) and isinstance(
        cause, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure
    )


def exception_handler(exc, context):
    if concurrent_change(exc):
        return Response(
            {
                "detail": _(
                    "Another change to the same objects was saved at the same moment; "
                    "nothing of yours was saved: send it again."
                ),
                "code": "concurrent_change",
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    if outage.is_outage(exc):  # the database or Redis is unreachable: come back shortly
        return Response(
            outage.unavailable_detail(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers=outage.retry_after(),
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict):
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, IntegrityError):
        return Response(
            {"detail": _("The change conflicts with existing data."), "code": "integrity"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": _("Request body too large."), "code": "too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    return drf_exception_handler(exc, context)

"""A change PostgreSQL gave up because another one held what it needed (a deadlock, a
serialization failure) is answered as retryable, never as a server error."""

import psycopg
import pytest
from django.db import OperationalError

from ondijon.api.errors import exception_handler

# These tests read the wording of refusals, in English (the platform's second language).
pytestmark = pytest.mark.usefixtures("english")


def database_error(cause: Exception) -> OperationalError:
    """The error as Django raises it: psycopg's own, wrapped."""
    try:
        try:
            raise cause
        except psycopg.Error as error:
            raise OperationalError(*error.args) from error
    except OperationalError as wrapped:
        return wrapped


def test_a_deadlock_victim_is_told_to_send_its_change_again():
    error = database_error(psycopg.errors.DeadlockDetected("deadlock detected"))
    response = exception_handler(error, {})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.data["code"] == "concurrent_change"
    assert "send it again" in response.data["detail"]


def test_an_unreachable_database_is_still_an_outage():
    response = exception_handler(OperationalError("connection refused"), {})
    assert response.status_code == 503
    assert response.data["code"] == "unavailable"

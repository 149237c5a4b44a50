"""PostgreSQL sessions are pooled under ASGI: requests that follow each other reuse the
sessions of the process instead of opening one each (each costs a backend process and its
authentication, more than a telemetry batch's own statements)."""

import pytest
from channels.testing import HttpCommunicator
from django.db import connection
from django.db.backends.signals import connection_created


@pytest.mark.postgres
async def test_requests_through_the_asgi_application_reuse_database_sessions(
    transactional_db,
):
    from ondijon.asgi import application

    assert connection.settings_dict["CONN_MAX_AGE"] == 0  # a pool and persistent: refused
    pool_size = connection.settings_dict["OPTIONS"]["pool"]["max_size"]
    requests = pool_size + 3  # more requests than the process may hold sessions
    backends: list[int] = []

    def note_backend(sender, connection, **kwargs):
        # Sent each time a request's thread takes a session (opened or from the pool).
        with connection.connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backends.append(cursor.fetchone()[0])

    connection_created.connect(note_backend)
    try:
        for _ in range(requests):
            communicator = HttpCommunicator(
                application, "GET", "/healthz", headers=[(b"host", b"localhost")]
            )
            response = await communicator.get_response(timeout=10)
            assert response["status"] == 200
            await communicator.wait(10)  # the request's end, which gives its session back
    finally:
        connection_created.disconnect(note_backend)
    assert len(backends) == requests  # every request took a session
    # Fewer backends than requests: sessions were handed from request to request.
    assert len(set(backends)) <= pool_size, f"sessions not reused: {backends}"
